'use strict'

// Runs the language-neutral vectors in tests/vectors/*.json through the
// package, as core/tests/vectors.rs runs them through the Rust API. Each case
// has an `op`, its `input`, and `expect` or `expect_error`. Every key of the
// expectation must match, and floats compare with a relative tolerance of 1e-9.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const { Policy } = require('ingate')

const vectorsDir = path.join(__dirname, '..', '..', 'tests', 'vectors')

/** Builds the case's policy: its `policy` TOML (or the default) at noon UTC of its `today` (or 2026-12-04). */
function policyFor(input) {
  const policy = typeof input.policy === 'string' ? Policy.fromToml(input.policy) : Policy.default()
  return policy.withClock(`${input.today || '2026-12-04'}T12:00:00Z`)
}

/** Runs one case and returns its result in the vectors' shape; errors are thrown. */
function runCase(op, input) {
  const policy = policyFor(input)
  switch (op) {
    case 'count_tokens':
      return policy.countTokens(input.model, input.text)
    case 'count_chat':
      return policy.countChat(input.request)
    case 'resolve_model':
      return policy.resolveModel(input.name)
    case 'redact': {
      const redaction = policy.redact(input.text)
      return {
        text: redaction.text,
        findings: redaction.findings.map((finding) => offsetsInEveryUnit(input.text, finding)),
      }
    }
    case 'cost': {
      // A call settled with the usage is priced by the same function as the Rust case's `Usage::cost`.
      const call = policy.begin({ model: input.model, messages: [{ role: 'user', content: 'x' }] })
      try {
        return { cost_usd: call.finish(input.usage).costUsd }
      } finally {
        call.abort()
      }
    }
    case 'estimate_energy':
      return toSnakeCase(policy.estimateEnergy(input.model, input.input_tokens, input.output_tokens, input.region))
    default:
      throw new Error(`unknown op \`${op}\``)
  }
}

/** Returns a finding with its UTF-16 offsets also as UTF-8 bytes and code points, the units the vectors give. */
function offsetsInEveryUnit(text, finding) {
  const before = text.slice(0, finding.start)
  const through = text.slice(0, finding.end)
  return {
    kind: finding.kind,
    vendor: finding.vendor,
    replacement: finding.replacement,
    start: Buffer.byteLength(before, 'utf8'),
    end: Buffer.byteLength(through, 'utf8'),
    start_code_points: [...before].length,
    end_code_points: [...through].length,
    start_utf16: finding.start,
    end_utf16: finding.end,
  }
}

function toSnakeCase(energy) {
  return {
    wh: energy.wh,
    co2e_g: energy.co2eG,
    water_ml: energy.waterMl,
    zone: energy.zone,
    location_based: energy.locationBased,
    parameters_assumed: energy.parametersAssumed,
    method: energy.method,
  }
}

/** Checks that every key of `expected` matches `actual`, as the Rust runner does. */
function assertMatches(name, where, expected, actual) {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    for (const [key, value] of Object.entries(expected)) {
      const child = actual === null || actual === undefined ? undefined : actual[key]
      assertMatches(name, `${where}.${key}`, value, child === undefined ? null : child)
    }
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${name}: ${where} is ${JSON.stringify(actual)}, expected an array`)
    assert.equal(actual.length, expected.length, `${name}: ${where} has ${actual.length} items`)
    expected.forEach((item, index) => assertMatches(name, `${where}[${index}]`, item, actual[index]))
  } else if (typeof expected === 'number' && !Number.isInteger(expected)) {
    const tolerance = 1e-9 * Math.max(Math.abs(expected), 1e-12)
    assert.ok(Math.abs(expected - actual) <= tolerance, `${name}: ${where} is ${actual}, expected ${expected}`)
  } else {
    assert.deepEqual(actual, expected, `${name}: ${where}`)
  }
}

const files = fs
  .readdirSync(vectorsDir)
  .filter((file) => file.endsWith('.json'))
  .sort()

test('vector files exist', () => {
  assert.ok(files.length >= 5, `found ${files.length} vector files in ${vectorsDir}`)
})

for (const file of files) {
  const document = JSON.parse(fs.readFileSync(path.join(vectorsDir, file), 'utf8'))
  for (const testCase of document.cases) {
    const name = `${file}: ${testCase.name}`
    test(name, () => {
      let result
      let error
      try {
        result = runCase(testCase.op, testCase.input)
      } catch (thrown) {
        error = thrown
      }
      if (testCase.expect_error) {
        assert.ok(error, `${name}: expected an error, got ${JSON.stringify(result)}`)
        assert.ok(error instanceof Error, `${name}: the thrown value is an Error`)
        assert.equal(error.code, `INGATE_${testCase.expect_error.kind.toUpperCase()}`)
        assertMatches(name, 'error', testCase.expect_error, error)
      } else {
        if (error) {
          throw error
        }
        assertMatches(name, '', testCase.expect, result)
      }
    })
  }
}
