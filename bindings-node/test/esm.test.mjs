// The package through `import`: named and default exports are the CommonJS objects.

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import ingate, { Call, ErrorCode, Policy, StreamRestorer, isIngateError, wrapOpenAI } from 'ingate'

const require = createRequire(import.meta.url)

test('named exports match require', () => {
  const required = require('ingate')
  assert.equal(Policy, required.Policy)
  assert.equal(Call, required.Call)
  assert.equal(StreamRestorer, required.StreamRestorer)
  assert.equal(ErrorCode, required.ErrorCode)
  assert.equal(isIngateError, required.isIngateError)
  assert.equal(wrapOpenAI, required.wrapOpenAI)
  assert.equal(ingate, required)
})

test('policy works from an ES module', async () => {
  const policy = Policy.default()
  assert.equal(policy.countTokens('gpt-4o', 'Hello, world!').tokens, 4)
  const redaction = await policy.redactAsync('🙂 jane@example.com')
  assert.deepEqual([redaction.findings[0].start, redaction.findings[0].end], [3, 19])
})

test('errors from an ES module carry their code', () => {
  assert.throws(() => Policy.default().resolveModel('gpt-4-32k'), { code: ErrorCode.ModelRetired, successor: 'gpt-4o' })
})
