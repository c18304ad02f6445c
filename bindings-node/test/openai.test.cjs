'use strict'

// wrapOpenAI with the official `openai` SDK against a mock server on
// 127.0.0.1 that responds like OpenAI's chat completions endpoint: JSON with
// usage, or server-sent events with usage in the last chunk. Budgets live in
// a SQLite file, so a second policy reading the same file sees what the
// wrapped calls reserved and settled.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const { after, before, test } = require('node:test')

const OpenAI = require('openai')

const { ErrorCode, Policy, wrapOpenAI } = require('ingate')

const MODEL = 'gpt-4o-mini'
const SNAPSHOT = 'gpt-4o-mini-2024-07-18'

/** The mock's behaviour for the next request, and every body it received. */
const server = { reply: null, bodies: [], url: '' }
let httpServer
let dir
let policyFile

before(async () => {
  httpServer = http.createServer((req, res) => {
    let body = ''
    req.on('data', (data) => {
      body += data
    })
    req.on('end', () => {
      const parsed = JSON.parse(body)
      server.bodies.push(parsed)
      server.reply(parsed, res)
    })
  })
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  server.url = `http://127.0.0.1:${httpServer.address().port}/v1`

  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingate-openai-'))
  policyFile = path.join(dir, 'policy.toml')
  fs.writeFileSync(
    policyFile,
    [
      '[store]',
      `url = "sqlite:${path.join(dir, 'budget.db')}"`,
      '[[budgets]]',
      'scope = "acme"',
      'tokens_per_hour = 100000',
      'usd_per_day = "1"',
      '',
    ].join('\n'),
  )
})

after(async () => {
  httpServer.closeAllConnections()
  await new Promise((resolve) => httpServer.close(resolve))
  fs.rmSync(dir, { recursive: true, force: true })
})

function client() {
  return new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 })
}

/** Returns the tokens the store holds for scope `acme` in the current hour, read through a second policy. */
function tokensSpent() {
  const probe = Policy.fromFile(policyFile)
  const huge = { model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 16000 }
  // Six calls of 16000 output tokens each cross the 100000-token limit; the denial reports the spend.
  const calls = []
  try {
    for (let i = 0; i < 7; i++) {
      calls.push(probe.begin(huge, { scope: 'acme' }))
    }
  } catch (error) {
    assert.equal(error.code, ErrorCode.BudgetExceeded)
    assert.equal(error.unit, 'tokens')
    const reservedByProbe = calls.reduce((sum, call) => sum + call.inputTokens.tokens + call.outputCap, 0)
    return Number(error.spent) - reservedByProbe
  } finally {
    for (const call of calls) {
      call.abort()
    }
  }
  assert.fail('the probe calls were not denied')
}

function completion(content, usage) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1764806400,
    model: SNAPSHOT,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage,
  }
}

function chunk(delta, finishReason = null) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 1764806400,
    model: SNAPSHOT,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    usage: null,
  }
}

function sse(res, events) {
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  for (const event of events) {
    res.write(`data: ${JSON.stringify(event)}\n\n`)
  }
  res.end('data: [DONE]\n\n')
}

const usage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, prompt_tokens_details: { cached_tokens: 0 } }

test('non-streaming call is redacted, restored and settled', async () => {
  const before = tokensSpent()
  let reservedDuringCall = null
  server.reply = (body, res) => {
    reservedDuringCall = tokensSpent() - before
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(completion('Sent to <EMAIL_1>.', usage)))
  }
  const records = []
  const openai = wrapOpenAI(client(), Policy.fromFile(policyFile), {
    scope: 'acme/search',
    tags: { team: 'search' },
    onRecord: (record) => records.push(record),
  })

  const response = await openai.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Write to jane@example.com' }],
    max_tokens: 100,
  })

  const sent = server.bodies.at(-1)
  assert.equal(sent.messages[0].content, 'Write to <EMAIL_1>')
  assert.equal(sent.model, SNAPSHOT)
  assert.equal(response.choices[0].message.content, 'Sent to jane@example.com.')

  assert.equal(records.length, 1)
  const [record] = records
  assert.equal(record.costUsd, '0.000006')
  assert.equal(record.inputTokens, 12)
  assert.equal(record.outputTokens, 7)
  assert.deepEqual(record.tags, { team: 'search' })
  assert.equal(record.scope, 'acme/search')

  // The reservation covered the counted input and the 100-token cap; the settlement is the real 19.
  assert.ok(reservedDuringCall >= 100, `reserved ${reservedDuringCall} tokens during the call`)
  assert.equal(tokensSpent() - before, 19)
})

test('streaming call restores deltas and settles with the last chunk usage', async () => {
  const before = tokensSpent()
  server.reply = (body, res) => {
    sse(res, [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Sent to <EM' }),
      chunk({ content: 'AIL_1> and <EMA' }),
      chunk({ content: 'IL_2>' }),
      chunk({}, 'stop'),
      { ...chunk({}), choices: [], usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 } },
    ])
  }
  const records = []
  const openai = wrapOpenAI(client(), Policy.fromFile(policyFile), { scope: 'acme', onRecord: (record) => records.push(record) })

  const stream = await openai.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Write to jane@example.com and b@example.org' }],
    stream: true,
  })
  const deltas = []
  for await (const event of stream) {
    for (const choice of event.choices) {
      if (choice.delta.content) {
        deltas.push(choice.delta.content)
      }
    }
  }

  const sent = server.bodies.at(-1)
  assert.equal(sent.messages[0].content, 'Write to <EMAIL_1> and <EMAIL_2>')
  assert.equal(sent.stream, true)
  assert.equal(sent.stream_options.include_usage, true)
  assert.equal(deltas.join(''), 'Sent to jane@example.com and b@example.org')
  assert.ok(!deltas.some((delta) => delta.includes('<')), 'no delta shows a placeholder')

  assert.equal(records.length, 1)
  assert.equal(records[0].inputTokens, 20)
  assert.equal(records[0].outputTokens, 9)
  assert.equal(tokensSpent() - before, 29)
})

test('stream stopped early settles with the delivered output', async () => {
  const before = tokensSpent()
  server.reply = (body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write(`data: ${JSON.stringify(chunk({ role: 'assistant', content: 'The first part of a long answer' }))}\n\n`)
    // The rest never comes: the client stops reading and closes the connection.
    res.on('error', () => {})
  }
  const records = []
  const policy = Policy.fromFile(policyFile)
  const openai = wrapOpenAI(client(), policy, { scope: 'acme', onRecord: (record) => records.push(record) })

  const stream = await openai.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Tell me a long story' }],
    stream: true,
    max_tokens: 500,
  })
  for await (const event of stream) {
    assert.equal(event.choices[0].delta.content, 'The first part of a long answer')
    break
  }

  assert.equal(records.length, 1)
  const [record] = records
  const output = policy.countTokens(MODEL, 'The first part of a long answer').tokens
  assert.equal(record.outputTokens, output)
  assert.equal(record.inputTokens, policy.countChat({ model: MODEL, messages: [{ role: 'user', content: 'Tell me a long story' }] }).tokens)
  assert.equal(tokensSpent() - before, record.inputTokens + output)
})

test('vendor error aborts the call and releases the reservation', async () => {
  const before = tokensSpent()
  server.reply = (body, res) => {
    res.writeHead(429, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }))
  }
  const records = []
  const openai = wrapOpenAI(client(), Policy.fromFile(policyFile), { scope: 'acme', onRecord: (record) => records.push(record) })

  await assert.rejects(
    openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000 }),
    (error) => {
      assert.ok(error instanceof OpenAI.RateLimitError)
      return true
    },
  )
  assert.equal(records.length, 1)
  assert.equal(records[0].abortReason, 'vendor error: HTTP 429')
  assert.equal(records[0].costUsd, '0')
  assert.equal(tokensSpent() - before, 0)
})

test('vendor error mid-stream aborts the call', async () => {
  const before = tokensSpent()
  server.reply = (body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write(`data: ${JSON.stringify(chunk({ role: 'assistant', content: 'Hel' }))}\n\n`)
    res.end(`event: error\ndata: ${JSON.stringify({ error: { message: 'server overloaded' } })}\n\n`)
  }
  const records = []
  const openai = wrapOpenAI(client(), Policy.fromFile(policyFile), { scope: 'acme', onRecord: (record) => records.push(record) })

  const stream = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true })
  await assert.rejects(async () => {
    for await (const event of stream) {
      assert.ok(event.choices)
    }
  })
  assert.equal(records.length, 1)
  assert.match(records[0].abortReason, /^vendor error: /)
  assert.equal(tokensSpent() - before, 0)
})

test('denied call never reaches the vendor', async () => {
  const received = server.bodies.length
  const records = []
  const policy = Policy.fromToml('[redaction.operators]\nemail = "block"\n')
  const openai = wrapOpenAI(client(), policy, { onRecord: (record) => records.push(record) })

  await assert.rejects(
    openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'mail jane@example.com' }] }),
    { code: ErrorCode.RedactionBlocked },
  )
  assert.equal(server.bodies.length, received)
  assert.equal(records.length, 1)
  assert.equal(records[0].decision, 'denied')
})

test('wrapped client keeps its other members', () => {
  const original = client()
  const openai = wrapOpenAI(original, Policy.default())
  assert.equal(openai.baseURL, original.baseURL)
  assert.equal(openai.models, original.models)
  assert.equal(typeof openai.chat.completions.create, 'function')
  assert.notEqual(openai.chat.completions.create, original.chat.completions.create)
  assert.throws(() => wrapOpenAI({}, Policy.default()), TypeError)
})

// The policy's own pattern matches ticket ids with a quote and a backslash, which JSON must escape.
const TICKET_POLICY = '[redaction]\ndetectors = ["email"]\n[[redaction.patterns]]\nname = "ticket"\nregex = \'T"[0-9]{2}\\\\[0-9]{2}\'\n'
const TICKET = 'T"12\\34'
// Spacing the restore must keep, and a placeholder no call issued.
const TOOL_ARGUMENTS = '{"ticket":  "<TICKET_1>", "cc": ["<EMAIL_1>", "<TICKET_9>"]}'

function toolCallCompletion(args) {
  const response = completion(null, usage)
  response.choices[0].message.tool_calls = [{ id: 'call_1', type: 'function', function: { name: 'open_ticket', arguments: args } }]
  response.choices[0].finish_reason = 'tool_calls'
  return response
}

/** Returns the chunks of a streamed tool call whose arguments arrive `size` characters at a time. */
function toolCallChunks(args, size) {
  const chunks = [chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'open_ticket', arguments: '' } }] })]
  for (let start = 0; start < args.length; start += size) {
    chunks.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(start, start + size) } }] }))
  }
  chunks.push(chunk({}, 'tool_calls'))
  chunks.push({ ...chunk({}), choices: [], usage })
  return chunks
}

for (const streamed of [false, true]) {
  test(`${streamed ? 'streamed' : 'whole'} tool-call arguments restore JSON-escaped`, async () => {
    server.reply = (body, res) => {
      if (streamed) {
        sse(res, toolCallChunks(TOOL_ARGUMENTS, 2))
      } else {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(toolCallCompletion(TOOL_ARGUMENTS)))
      }
    }
    const openai = wrapOpenAI(client(), Policy.fromToml(TICKET_POLICY))

    const response = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: `Reopen ${TICKET} for jane@example.com please.` }],
      stream: streamed,
    })
    let args = ''
    if (streamed) {
      for await (const event of response) {
        for (const choice of event.choices) {
          for (const toolCall of choice.delta.tool_calls || []) {
            args += (toolCall.function && toolCall.function.arguments) || ''
          }
        }
      }
    } else {
      args = response.choices[0].message.tool_calls[0].function.arguments
    }

    assert.equal(server.bodies.at(-1).messages[0].content, 'Reopen <TICKET_1> for <EMAIL_1> please.')
    assert.deepEqual(JSON.parse(args), { ticket: TICKET, cc: ['jane@example.com', '<TICKET_9>'] })
    assert.ok(args.startsWith('{"ticket":  "T\\"12\\\\34"'), args)
  })
}
