// Compiled with `tsc --noEmit -p test/types`: every export of the package is
// used with the types a caller would write, including the OpenAI SDK's own.

import OpenAI from 'openai'
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'

import {
  Call,
  ErrorCode,
  Policy,
  StreamRestorer,
  isIngateError,
  wrapOpenAI,
  type CallRecord,
  type ChatRequest,
  type Energy,
  type IngateError,
  type IngateErrorCode,
  type Redaction,
  type Resolution,
  type TokenCount,
  type Usage,
} from 'ingate'

async function useEverything(): Promise<void> {
  const policy: Policy = Policy.fromToml('[models.aliases]\nfast = "gpt-4o-mini"\n')
  const fromFile: Policy = Policy.fromFile('policy.toml')
  const fixed: Policy = Policy.default().withClock(new Date()).withClock('2026-12-04T12:00:00Z')

  const count: TokenCount = policy.countTokens('gpt-4o', 'Hello')
  const counted: TokenCount = await policy.countTokensAsync('gpt-4o', 'Hello')
  const request: ChatRequest = { model: 'fast', messages: [{ role: 'user', content: 'Hi' }] }
  const chat: TokenCount = policy.countChat(request)
  const resolution: Resolution = policy.resolveModel('fast')
  const redaction: Redaction = policy.redact('jane@example.com')
  const redacted: Redaction = await policy.redactAsync('jane@example.com')
  const energy: Energy = policy.estimateEnergy('gpt-4o', 10, 5, 'us-east-1')
  const carbon: number = energy.co2eG.value + redaction.findings[0].start + redacted.findings.length

  // A request typed with the SDK's own parameter type is accepted as is.
  const sdkRequest: ChatCompletionCreateParamsNonStreaming = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }
  const call: Call = policy.begin(sdkRequest, { scope: 'acme/search', tags: { team: 'search' } })
  const later: Call = await fixed.beginAsync(request)
  const sent: ChatRequest = call.request
  const text: string = call.restore('<EMAIL_1>') + call.id + call.scope + call.model + call.reservedUsd
  const cap: number = call.outputCap + call.inputTokens.tokens + call.warnings.length
  const restorer: StreamRestorer = call.streamRestorer()
  const pushed: string = restorer.push('<EMA') + restorer.finish()
  const jsonRestorer: StreamRestorer = call.jsonStreamRestorer()
  const argumentsText: string = call.restoreJson('{"to": "<EMAIL_1>"}') + jsonRestorer.push('{"to": "<EMA')
  for await (const piece of call.restoreStream(['<EMA', 'IL_1>'])) {
    const restored: string = piece
  }

  // The SDK's usage object is accepted as is.
  const usage: CompletionUsage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 }
  const record: CallRecord = call.finish(usage)
  const recordLater: CallRecord = await later.finishAsync({ prompt_tokens: 1, completion_tokens: 1 } satisfies Usage)
  const aborted: CallRecord = policy.begin(request).abort('user cancelled')
  const cost: string = record.costUsd + recordLater.reservedUsd + aborted.json

  try {
    policy.begin(request)
  } catch (error) {
    if (isIngateError(error, ErrorCode.BudgetExceeded)) {
      const resetsAt: Date = error.resetsAt
      const limit: string = error.limit
      const denied: CallRecord | undefined = error.record
    }
    if (isIngateError(error)) {
      const code: IngateErrorCode = error.code
      const known: IngateError = error
      if (error.code === 'INGATE_MODEL_RETIRED') {
        const successor: string | null = error.successor
      }
      if (error.code === 'INGATE_UNKNOWN_MODEL') {
        const suggestions: string[] = error.suggestions
      }
      if (error.code === 'INGATE_INVALID_POLICY') {
        const line: number | null = error.line
      }
    }
  }

  const client = wrapOpenAI(new OpenAI({ apiKey: 'test', baseURL: 'http://127.0.0.1:1/v1' }), policy, {
    scope: 'acme/search',
    tags: { team: 'search' },
    onRecord: (settled: CallRecord) => settled.costUsd,
  })
  const completion = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'Hi' }] })
  const reply: string | null = completion.choices[0].message.content
  const stream = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'Hi' }], stream: true })
  for await (const chunk of stream) {
    const delta: string | null | undefined = chunk.choices[0]?.delta.content
  }

  void [fromFile, count, counted, chat, resolution, carbon, sent, text, cap, pushed, cost, reply]
}

void useEverything
