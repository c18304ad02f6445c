'use strict'

// The package's API through `require('ingate')`: counting, redaction offsets
// in UTF-16 code units, the call lifecycle, stream restoration, the
// Promise-returning forms and the error objects.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const { Call, ErrorCode, Policy, StreamRestorer, isIngateError } = require('ingate')

const request = (content, model = 'gpt-4o-mini') => ({ model, messages: [{ role: 'user', content }] })

/** Returns the error `fn` throws, failing the test when it returns. */
function thrown(fn) {
  try {
    fn()
  } catch (error) {
    return error
  }
  assert.fail('expected an error')
}

test('countTokens exact o200k count', () => {
  const count = Policy.default().countTokens('gpt-4o', 'Hello, world!')
  assert.deepEqual(count, { tokens: 4, exact: true, encoding: 'o200k_base' })
})

test('countTokensAsync matches countTokens', async () => {
  const policy = Policy.default()
  const text = 'The quick brown fox. '.repeat(5000)
  const promise = policy.countTokensAsync('gpt-4o', text)
  assert.ok(promise instanceof Promise)
  assert.deepEqual(await promise, policy.countTokens('gpt-4o', text))
})

test('countChat counts a whole request', () => {
  const policy = Policy.default()
  const count = policy.countChat(request('Hello'))
  assert.equal(count.exact, true)
  assert.ok(count.tokens > policy.countTokens('gpt-4o-mini', 'Hello').tokens, 'message overhead is counted')
})

test('resolveModel follows policy aliases', () => {
  const policy = Policy.fromToml('[models.aliases]\nfast = "gpt-4o-mini"\n').withClock('2026-06-01T00:00:00Z')
  const resolution = policy.resolveModel('fast')
  assert.equal(resolution.requested, 'fast')
  assert.equal(resolution.model, 'gpt-4o-mini-2024-07-18')
  assert.deepEqual(resolution.chain, ['fast', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18'])
})

test('redact offsets are UTF-16 units around astral characters', () => {
  // U+1D11E (musical G clef) and emoji are two UTF-16 units each; the skin
  // tone modifier is a second astral code point.
  const text = '𝄞🙂 a: jane@example.com 👍🏽 then b@example.org 😀 end'
  const redaction = Policy.default().redact(text)

  assert.equal(redaction.text, '𝄞🙂 a: <EMAIL_1> 👍🏽 then <EMAIL_2> 😀 end')
  assert.equal(redaction.findings.length, 2)
  const [first, second] = redaction.findings
  assert.deepEqual([first.start, first.end], [8, 24])
  assert.deepEqual([second.start, second.end], [35, 48])
  assert.equal(text.slice(first.start, first.end), 'jane@example.com')
  assert.equal(text.slice(second.start, second.end), 'b@example.org')
  assert.equal(first.kind, 'email')
  assert.equal(first.vendor, null)
  assert.equal(first.replacement, '<EMAIL_1>')
})

test('redact offsets after a finding at the start', () => {
  const text = 'jane@example.com 🙂'
  const [finding] = Policy.default().redact(text).findings
  assert.deepEqual([finding.start, finding.end], [0, 16])
})

test('redactAsync matches redact', async () => {
  const policy = Policy.default()
  const text = '🙂 mail jane@example.com, card 4111 1111 1111 1111. '.repeat(200)
  assert.deepEqual(await policy.redactAsync(text), policy.redact(text))
})

test('estimateEnergy returns ranges', () => {
  const energy = Policy.default().estimateEnergy('gpt-4o', 1000, 500, 'us-east-1')
  assert.equal(energy.zone, 'USA')
  assert.equal(energy.method, 'ingate-energy/1')
  assert.ok(energy.wh.low < energy.wh.value)
  assert.ok(energy.wh.value < energy.wh.high)
  assert.ok(energy.co2eG.value > 0)
  assert.ok(energy.waterMl.value > 0)
})

test('estimateEnergy rejects fractional tokens', () => {
  const error = thrown(() => Policy.default().estimateEnergy('gpt-4o', 1.5, 1))
  assert.equal(error.code, ErrorCode.InvalidRequest)
  assert.match(error.message, /inputTokens/)
})

test('call redacts, restores and settles', () => {
  const policy = Policy.default()
  const call = policy.begin(request('Write to jane@example.com'), { scope: 'acme/search', tags: { team: 'search' } })

  assert.ok(call instanceof Call)
  const sent = call.request
  assert.equal(sent.messages[0].content, 'Write to <EMAIL_1>')
  assert.equal(sent.model, 'gpt-4o-mini-2024-07-18')
  sent.messages[0].content = 'changed'
  assert.equal(call.request.messages[0].content, 'Write to <EMAIL_1>', 'each read returns a new object')
  assert.equal(call.scope, 'acme/search')
  assert.equal(call.model, 'gpt-4o-mini-2024-07-18')
  assert.equal(call.inputTokens.exact, true)
  assert.match(call.reservedUsd, /^\d+\.\d+$/)
  assert.equal(call.restore('Wrote to <EMAIL_1>.'), 'Wrote to jane@example.com.')

  // The OpenAI SDK's usage object, details included.
  const record = call.finish({
    prompt_tokens: 12,
    completion_tokens: 7,
    total_tokens: 19,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  })
  assert.equal(record.costUsd, '0.000006')
  assert.equal(record.inputTokens, 12)
  assert.equal(record.outputTokens, 7)
  assert.equal(record.decision, 'allowed')
  assert.equal(record.scope, 'acme/search')
  assert.deepEqual(record.tags, { team: 'search' })
  assert.deepEqual(record.redactions, { email: 1 })
  assert.equal(record.id, call.id)
  assert.ok(!Number.isNaN(Date.parse(record.ts)))
  const json = JSON.parse(record.json)
  assert.equal(json['ingate.cost_usd'], '0.000006')
  assert.equal(json['gen_ai.usage.input_tokens'], 12)
  assert.ok(!record.json.includes('jane@example.com'), 'the record holds no redacted value')
})

test('finish twice is an invalid request', () => {
  const call = Policy.default().begin(request('hi'))
  call.finish({ prompt_tokens: 8, completion_tokens: 1 })
  const error = thrown(() => call.finish({ prompt_tokens: 8, completion_tokens: 1 }))
  assert.equal(error.code, ErrorCode.InvalidRequest)
})

test('invalid usage leaves the call open', () => {
  const call = Policy.default().begin(request('hi'))
  const error = thrown(() => call.finish({ prompt_tokens: 1, completion_tokens: 1, completion_tokens_details: { reasoning_tokens: 5 } }))
  assert.equal(error.code, ErrorCode.InvalidRequest)
  assert.equal(call.finish({ prompt_tokens: 1, completion_tokens: 1 }).outputTokens, 1)
})

test('abort records the reason', () => {
  const record = Policy.default().begin(request('hi')).abort('user cancelled')
  assert.equal(record.abortReason, 'user cancelled')
  assert.equal(record.costUsd, '0')
  assert.equal(Policy.default().begin(request('hi')).abort().abortReason, 'aborted')
})

test('beginAsync and finishAsync settle a call', async () => {
  const call = await Policy.default().beginAsync(request('Write to jane@example.com'))
  assert.ok(call instanceof Call)
  const record = await call.finishAsync({ prompt_tokens: 12, completion_tokens: 7 })
  assert.equal(record.costUsd, '0.000006')
})

test('restoreStream restores a placeholder split across chunks', async () => {
  const call = Policy.default().begin(request('Write to jane@example.com and b@example.org'))
  async function* chunks() {
    yield 'Sent to <EM'
    yield 'AIL_1> and <'
    yield 'EMAIL_2'
    yield '>. <EMAIL_9> stays'
  }
  const pieces = []
  for await (const piece of call.restoreStream(chunks())) {
    pieces.push(piece)
  }
  // The empty output of the third chunk is skipped; the unissued <EMAIL_9> stays as sent.
  assert.deepEqual(pieces, ['Sent to ', 'jane@example.com and ', 'b@example.org. <EMAIL_9> stays'])
  call.abort()
})

test('restoreJson escapes restored values', () => {
  // The policy's own pattern matches a value with a quote, a backslash, a tab and a non-ASCII letter.
  const policy = Policy.fromToml('[redaction]\ndetectors = []\n[[redaction.patterns]]\nname = "code"\nregex = \'C"[^ ]+\'\n')
  const original = 'C"a\\b\tü'
  const call = policy.begin(request(`Use ${original} now`))

  const restored = call.restoreJson('{"code": "<CODE_1>", "other": "<CODE_2>"}')
  assert.equal(restored, '{"code": "C\\"a\\\\b\\tü", "other": "<CODE_2>"}')
  assert.deepEqual(JSON.parse(restored), { code: original, other: '<CODE_2>' })

  const restorer = call.jsonStreamRestorer()
  assert.ok(restorer instanceof StreamRestorer)
  const pieces = ['{"code": "<CO', 'DE_1>"', ', "x": "<CO'].map((piece) => restorer.push(piece))
  pieces.push(restorer.finish())
  assert.deepEqual(pieces, ['{"code": "', 'C\\"a\\\\b\\tü"', ', "x": "', '<CO'])
  call.abort()
})

test('restoreStream releases a held-back tail at the end', async () => {
  const call = Policy.default().begin(request('Write to jane@example.com'))
  const pieces = []
  for await (const piece of call.restoreStream(['done <EMA'])) {
    pieces.push(piece)
  }
  assert.deepEqual(pieces, ['done ', '<EMA'])
  call.abort()
})

test('streamRestorer rejects push after finish', () => {
  const call = Policy.default().begin(request('Write to jane@example.com'))
  const restorer = call.streamRestorer()
  assert.ok(restorer instanceof StreamRestorer)
  assert.equal(restorer.push('to <EMAIL'), 'to ')
  assert.equal(restorer.push('_1>'), 'jane@example.com')
  assert.equal(restorer.finish(), '')
  assert.equal(thrown(() => restorer.push('x')).code, ErrorCode.InvalidRequest)
  call.abort()
})

test('withClock accepts a Date and rejects a bad string', () => {
  const policy = Policy.default().withClock(new Date('2026-12-04T12:00:00Z'))
  const record = policy.begin(request('hi')).abort()
  assert.equal(record.ts, '2026-12-04T12:00:00Z')
  const error = thrown(() => Policy.default().withClock('yesterday'))
  assert.equal(error.code, ErrorCode.InvalidRequest)
})

test('invalid policy error has its position', () => {
  const error = thrown(() => Policy.fromToml('[[budgets]]\nscope = 1\n'))
  assert.ok(error instanceof Error)
  assert.equal(error.code, 'INGATE_INVALID_POLICY')
  assert.equal(error.kind, 'invalid_policy')
  assert.equal(error.line, 2)
  assert.equal(error.column, 9)
  assert.equal(error.path, null)
  assert.ok(isIngateError(error, ErrorCode.InvalidPolicy))
})

test('invalid policy file error has its path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingate-'))
  const file = path.join(dir, 'policy.toml')
  fs.writeFileSync(file, '[models]\nunknown_key = 1\n')
  const error = thrown(() => Policy.fromFile(file))
  assert.equal(error.code, ErrorCode.InvalidPolicy)
  assert.equal(error.path, file)
  assert.equal(error.line, 2)
  fs.rmSync(dir, { recursive: true })
})

test('invalid catalog error names the entry', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingate-'))
  fs.writeFileSync(
    path.join(dir, 'catalog.json'),
    JSON.stringify({ 'bad-model': { input_cost_per_token: 'x', litellm_provider: 'openai', mode: 'chat' } }),
  )
  fs.writeFileSync(path.join(dir, 'policy.toml'), '[catalog]\nlitellm = "catalog.json"\n')
  const error = thrown(() => Policy.fromFile(path.join(dir, 'policy.toml')))
  assert.equal(error.code, ErrorCode.InvalidCatalog)
  assert.equal(error.entry, 'bad-model')
  fs.rmSync(dir, { recursive: true })
})

test('unknown model error lists suggestions', () => {
  const error = thrown(() => Policy.default().countTokens('gtp-4o', 'x'))
  assert.equal(error.code, ErrorCode.UnknownModel)
  assert.equal(error.name, 'gtp-4o')
  assert.ok(error.suggestions.includes('gpt-4o'))
})

test('retired model error has date and successor', () => {
  const error = thrown(() => Policy.default().resolveModel('gpt-4-32k'))
  assert.equal(error.code, ErrorCode.ModelRetired)
  assert.equal(error.model, 'gpt-4-32k')
  assert.equal(error.retired, true)
  assert.equal(error.shutdown, '2025-06-06')
  assert.equal(error.successor, 'gpt-4o')
})

test('context window error has counts and the record', () => {
  const error = thrown(() => Policy.default().begin(request('hello '.repeat(140000), 'gpt-4o')))
  assert.equal(error.code, ErrorCode.ContextWindowExceeded)
  assert.equal(error.limit, 128000)
  assert.equal(error.tokens, 128001)
  assert.equal(error.record.decision, 'denied')
  assert.equal(error.record.denyReason, 'context_window_exceeded')
})

test('budget error has limit, spend and reset time', () => {
  const policy = Policy.fromToml('[[budgets]]\nscope = "acme"\nrequests_per_minute = 1\n').withClock('2026-12-04T12:00:30Z')
  policy.begin(request('hi'), { scope: 'acme/search' })
  const error = thrown(() => policy.begin(request('hi'), { scope: 'acme/search' }))
  assert.equal(error.code, ErrorCode.BudgetExceeded)
  assert.equal(error.scope, 'acme')
  assert.equal(error.unit, 'requests')
  assert.equal(error.window, 'minute')
  assert.equal(error.limit, '1')
  assert.equal(error.spent, '1')
  assert.equal(error.requested, '1')
  assert.ok(error.resetsAt instanceof Date)
  assert.ok(error.resetsAt.getTime() > Date.parse('2026-12-04T12:00:30Z'))
  assert.equal(error.record.denyReason, 'budget_exceeded')
})

test('beginAsync rejects a denial with the record', async () => {
  const policy = Policy.fromToml('[[budgets]]\nscope = "acme"\nrequests_per_minute = 1\n')
  await policy.beginAsync(request('hi'), { scope: 'acme' })
  await assert.rejects(policy.beginAsync(request('hi'), { scope: 'acme' }), (error) => {
    assert.ok(error instanceof Error)
    assert.equal(error.code, ErrorCode.BudgetExceeded)
    assert.equal(error.record.decision, 'denied')
    return true
  })
})

test('redaction block error names the detector, not the value', () => {
  const policy = Policy.fromToml('[redaction.operators]\nemail = "block"\n')
  const error = thrown(() => policy.begin(request('mail jane@example.com')))
  assert.equal(error.code, ErrorCode.RedactionBlocked)
  assert.equal(error.detector, 'email')
  assert.equal(error.count, 1)
  assert.ok(!error.message.includes('jane@example.com'))
  assert.ok(!error.record.json.includes('jane@example.com'))
})

test('store error names the store', () => {
  const toml = '[store]\nurl = "sqlite:/nonexistent/ingate/budget.db"\n[[budgets]]\nscope = "a"\nrequests_per_minute = 5\n'
  const error = thrown(() => Policy.fromToml(toml))
  assert.equal(error.code, ErrorCode.StoreUnavailable)
  assert.equal(error.store, 'sqlite:/nonexistent/ingate/budget.db')
})

test('invalid request error for a non-object request', () => {
  const error = thrown(() => Policy.default().begin('hello'))
  assert.equal(error.code, ErrorCode.InvalidRequest)
  assert.equal(error.kind, 'invalid_request')
  assert.ok(!isIngateError(new Error('other')))
})

test('every error code is distinct and prefixed', () => {
  const codes = Object.values(ErrorCode)
  assert.equal(codes.length, 9)
  assert.equal(new Set(codes).size, codes.length)
  for (const code of codes) {
    assert.match(code, /^INGATE_[A-Z_]+$/)
  }
})

test('every runtime export is declared', () => {
  const declarations = ['index.d.ts', 'native.d.ts']
    .map((file) => fs.readFileSync(path.join(__dirname, '..', file), 'utf8'))
    .join('\n')
  const exported = Object.keys(require('ingate')).sort()
  assert.deepEqual(exported, ['Call', 'ErrorCode', 'Policy', 'StreamRestorer', 'isIngateError', 'wrapOpenAI'])
  for (const name of exported) {
    const declared = new RegExp(`export declare (class|const|function) ${name}\\b`)
    assert.match(declarations, declared, `${name} has no declaration`)
  }
})
