'use strict'

// Compares ingate's countTokens with the JavaScript tokenizers gpt-tokenizer
// and js-tiktoken (o200k_base, the encoding of gpt-4o) in one run:
//
// 1. Every prompt of awesome-chatgpt-prompts.csv: the three libraries must
//    give identical counts; the script reports throughput and ratios.
// 2. 10 KB and 100 KB of spaces and of one repeated punctuation character,
//    inputs on which a byte-pair merge loop can take quadratic time. Each
//    peer run happens in a child process killed after a cap (60 s by
//    default) and is reported as over the cap.
//
// Usage: node bench/bench.js [DATA_DIR]
//   DATA_DIR defaults to ../shared/data from the repository root, or
//   $INGATE_DATA; INGATE_BENCH_CAP_SECONDS sets the cap.

const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const MODEL = 'gpt-4o'
const CAP_SECONDS = Number(process.env.INGATE_BENCH_CAP_SECONDS || 60)

/** The token counters under test; each loads its library on first use. */
const counters = {
  ingate: () => {
    const policy = require('ingate').Policy.default()
    return (text) => policy.countTokens(MODEL, text).tokens
  },
  'gpt-tokenizer': () => {
    const { countTokens } = require('gpt-tokenizer/cjs/encoding/o200k_base')
    return (text) => countTokens(text)
  },
  'js-tiktoken': () => {
    const { Tiktoken } = require('js-tiktoken/lite')
    const ranks = require('js-tiktoken/ranks/o200k_base')
    const encoder = new Tiktoken(ranks)
    return (text) => encoder.encode(text).length
  },
}

/** Parses RFC 4180 CSV: quoted fields may contain commas, newlines and doubled quotes. */
function parseCsv(text) {
  const rows = []
  let row = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') {
        quoted = false
      } else {
        field += c
      }
    } else if (c === '"') {
      quoted = true
    } else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++
      }
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else {
      field += c
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

function loadPrompts(dataDir) {
  const file = path.join(dataDir, 'prompts', 'awesome-chatgpt-prompts.csv')
  const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'))
  const column = header.indexOf('prompt')
  assert.ok(column >= 0, `${file} has no \`prompt\` column`)
  return rows.map((row) => row[column]).filter((prompt) => typeof prompt === 'string' && prompt.length > 0)
}

/** Returns the median wall time in ms of `rounds` runs of `fn`, after one warm-up run. */
function medianMs(fn, rounds) {
  fn()
  const times = []
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint()
    fn()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

function pathologicalInputs() {
  const inputs = []
  for (const [name, character] of [['spaces', ' '], ['"!" repeated', '!']]) {
    for (const kilobytes of [10, 100]) {
      inputs.push({ name: `${kilobytes} KB of ${name}`, text: character.repeat(kilobytes * 1000) })
    }
  }
  return inputs
}

/** Child mode: time one counter on one pathological input and print `{ms, tokens}`. */
function runChild(counterName, inputIndex) {
  const count = counters[counterName]()
  const { text } = pathologicalInputs()[inputIndex]
  const start = process.hrtime.bigint()
  const tokens = count(text)
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  process.stdout.write(JSON.stringify({ ms, tokens }))
}

/** Times one counter on one input in a child process; returns `null` when it passes the cap. */
function timeInChild(counterName, inputIndex) {
  const child = spawnSync(process.execPath, [__filename, '--child', counterName, String(inputIndex)], {
    timeout: CAP_SECONDS * 1000,
    encoding: 'utf8',
  })
  if (child.error && child.error.code === 'ETIMEDOUT') {
    return null
  }
  if (child.status !== 0) {
    throw new Error(`${counterName} failed on input ${inputIndex}: ${child.stderr}`)
  }
  return JSON.parse(child.stdout)
}

function formatMs(ms) {
  if (ms === null) {
    return `over ${CAP_SECONDS} s`
  }
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(2)} ms`
}

function main() {
  const dataDir = process.argv[2] || process.env.INGATE_DATA || path.join(__dirname, '..', '..', '..', 'shared', 'data')
  const prompts = loadPrompts(dataDir)
  const bytes = prompts.reduce((sum, prompt) => sum + Buffer.byteLength(prompt, 'utf8'), 0)
  const count = Object.fromEntries(Object.entries(counters).map(([name, load]) => [name, load()]))

  // Identical counts on every prompt, before any timing.
  let tokens = 0
  for (const prompt of prompts) {
    const expected = count.ingate(prompt)
    tokens += expected
    for (const name of ['gpt-tokenizer', 'js-tiktoken']) {
      assert.equal(count[name](prompt), expected, `${name} disagrees with ingate on a prompt of ${prompt.length} characters`)
    }
  }

  const cpu = (os.cpus()[0] || { model: 'unknown' }).model
  console.log(`machine: ${os.cpus().length} CPUs, ${cpu}; Node ${process.version}`)
  console.log(`prompts: ${prompts.length} (${(bytes / 1e6).toFixed(2)} MB, ${tokens} o200k_base tokens); counts identical in all three libraries\n`)

  const rounds = 5
  const times = {}
  for (const name of Object.keys(counters)) {
    times[name] = medianMs(() => {
      for (const prompt of prompts) {
        count[name](prompt)
      }
    }, rounds)
  }
  console.log('| library | time for all prompts (median of 5) | MB/s | ingate speed-up |')
  console.log('| --- | --- | --- | --- |')
  for (const name of Object.keys(counters)) {
    const throughput = bytes / 1e6 / (times[name] / 1000)
    const ratio = times[name] / times.ingate
    console.log(`| ${name} | ${formatMs(times[name])} | ${throughput.toFixed(1)} | ${ratio.toFixed(2)}x |`)
  }

  console.log(`\n| input | ingate | gpt-tokenizer | js-tiktoken |`)
  console.log('| --- | --- | --- | --- |')
  pathologicalInputs().forEach((input, index) => {
    const ingate = medianMs(() => count.ingate(input.text), rounds)
    const peers = ['gpt-tokenizer', 'js-tiktoken'].map((name) => {
      const result = timeInChild(name, index)
      if (result !== null) {
        assert.equal(result.tokens, count.ingate(input.text), `${name} disagrees with ingate on ${input.name}`)
      }
      return formatMs(result && result.ms)
    })
    console.log(`| ${input.name} | ${formatMs(ingate)} | ${peers.join(' | ')} |`)
  })
}

if (process.argv[2] === '--child') {
  runChild(process.argv[3], Number(process.argv[4]))
} else {
  main()
}
