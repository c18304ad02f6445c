// Type declarations of the `ingate` package. The classes and result objects
// come from the native module (native.d.ts, generated from the Rust sources).
// This file adds the request and usage shapes, the parts written in
// JavaScript and the error types.

import type { CallOptions, CallRecord, Policy } from './native'

export * from './native'

declare module './native' {
  interface Call {
    /**
     * Restores the placeholders of this call in a stream of text chunks.
     *
     * A placeholder split across chunks is held back until the chunk that
     * completes it arrives, and empty outputs are skipped. The concatenated
     * outputs equal `call.restore` of the concatenated inputs.
     */
    restoreStream(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<string, void, undefined>
  }
}

/** One part of a multi-part message content (`text`, `image_url`, ...). */
export interface ContentPart {
  type: string
  text?: string
  image_url?: { url: string; detail?: string | null }
  input_audio?: unknown
  file?: unknown
}

/** One message of an OpenAI-style chat request. */
export interface ChatMessage {
  role: string
  content?: string | ReadonlyArray<ContentPart> | null
  name?: string
  tool_calls?: ReadonlyArray<unknown>
  tool_call_id?: string
  refusal?: string | null
  audio?: unknown
  function_call?: unknown
}

/**
 * An OpenAI chat completion request body (`POST /v1/chat/completions`).
 * Fields ingate does not read are sent as given.
 */
export interface ChatRequest {
  model: string
  messages: ReadonlyArray<ChatMessage>
  tools?: ReadonlyArray<unknown>
  max_tokens?: number | null
  max_completion_tokens?: number | null
  stream?: boolean | null
  // `any`, not `unknown`: an interface such as the OpenAI SDK's parameter
  // types only satisfies an index signature whose value type is `any`.
  [key: string]: any
}

/** Token details nested in a vendor usage object. */
export interface UsageDetails {
  cached_tokens?: number | null
  reasoning_tokens?: number | null
  [key: string]: any
}

/**
 * A vendor's usage object: OpenAI chat (`prompt_tokens`, ...), OpenAI
 * Responses or Anthropic (`input_tokens`, ...), Gemini (`promptTokenCount`,
 * ...), or ingate's own fields (`cached_read_tokens`, ...).
 */
export interface Usage {
  prompt_tokens?: number | null
  completion_tokens?: number | null
  total_tokens?: number | null
  prompt_tokens_details?: UsageDetails | null
  completion_tokens_details?: UsageDetails | null
  input_tokens?: number | null
  output_tokens?: number | null
  input_tokens_details?: UsageDetails | null
  output_tokens_details?: UsageDetails | null
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
  promptTokenCount?: number | null
  candidatesTokenCount?: number | null
  cachedContentTokenCount?: number | null
  thoughtsTokenCount?: number | null
  totalTokenCount?: number | null
  cached_read_tokens?: number | null
  cache_write_tokens?: number | null
  reasoning_tokens?: number | null
  [key: string]: any
}

/** The `code` of each error kind, as set on every error the package throws. */
export declare const ErrorCode: {
  readonly InvalidPolicy: 'INGATE_INVALID_POLICY'
  readonly InvalidCatalog: 'INGATE_INVALID_CATALOG'
  readonly UnknownModel: 'INGATE_UNKNOWN_MODEL'
  readonly ModelRetired: 'INGATE_MODEL_RETIRED'
  readonly ContextWindowExceeded: 'INGATE_CONTEXT_WINDOW_EXCEEDED'
  readonly BudgetExceeded: 'INGATE_BUDGET_EXCEEDED'
  readonly RedactionBlocked: 'INGATE_REDACTION_BLOCKED'
  readonly StoreUnavailable: 'INGATE_STORE_UNAVAILABLE'
  readonly InvalidRequest: 'INGATE_INVALID_REQUEST'
}

/** One of the values of {@link ErrorCode}. */
export type IngateErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Fields every ingate error has. */
interface IngateErrorBase<Code extends IngateErrorCode, Kind extends string> extends Error {
  /** The stable code of the error's kind. */
  code: Code
  /** The kind in snake_case, as in call records' `denyReason`. */
  kind: Kind
  /** The record of the denied call, on errors thrown by `begin` and `beginAsync`. */
  record?: CallRecord
}

/** The policy file or text is invalid. */
export interface InvalidPolicyError extends IngateErrorBase<'INGATE_INVALID_POLICY', 'invalid_policy'> {
  /** The policy file, when the policy came from a file. */
  path: string | null
  /** The 1-based line of the offending key or value, when known. */
  line: number | null
  /** The 1-based column of the offending key or value, when known. */
  column: number | null
}

/** A model catalog has an invalid entry. */
export interface InvalidCatalogError extends IngateErrorBase<'INGATE_INVALID_CATALOG', 'invalid_catalog'> {
  /** The entry's key in the catalog. */
  entry: string
}

/** No catalog entry or alias matches the model name. */
export interface UnknownModelError extends IngateErrorBase<'INGATE_UNKNOWN_MODEL', 'unknown_model'> {
  /** The requested name. */
  name: string
  /** The nearest known names, closest first. */
  suggestions: string[]
}

/** The model was shut down by its vendor, or the policy denies it as deprecated. */
export interface ModelRetiredError extends IngateErrorBase<'INGATE_MODEL_RETIRED', 'model_retired'> {
  /** The requested name. */
  name: string
  /** The catalog id the name resolved to. */
  model: string
  /** `true` when the shutdown date has passed. */
  retired: boolean
  /** The vendor's shutdown date (`YYYY-MM-DD`), when known. */
  shutdown: string | null
  /** The vendor's recommended replacement, when known. */
  successor: string | null
}

/** The request's input tokens exceed the model's input limit. */
export interface ContextWindowExceededError
  extends IngateErrorBase<'INGATE_CONTEXT_WINDOW_EXCEEDED', 'context_window_exceeded'> {
  /** The resolved model id. */
  model: string
  /** The counted input tokens (the limit plus one when counting stopped early). */
  tokens: number
  /** The model's input limit. */
  limit: number
}

/** A hard budget limit would be crossed by this call. */
export interface BudgetExceededError extends IngateErrorBase<'INGATE_BUDGET_EXCEEDED', 'budget_exceeded'> {
  /** The scope whose limit would be crossed. */
  scope: string
  /** The unit of the limit: `usd`, `tokens` or `requests`. */
  unit: 'usd' | 'tokens' | 'requests'
  /** The window of the limit, for example `day` or `minute`. */
  window: string
  /** The limit, a decimal string. */
  limit: string
  /** The amount already spent or reserved in the window, a decimal string. */
  spent: string
  /** The amount this call would reserve, a decimal string. */
  requested: string
  /** When the window resets. */
  resetsAt: Date
}

/** A redaction detector with the `block` operator matched. */
export interface RedactionBlockedError extends IngateErrorBase<'INGATE_REDACTION_BLOCKED', 'redaction_blocked'> {
  /** The detector that matched. */
  detector: string
  /** How many values it matched. */
  count: number
}

/** The budget store could not be reached and the policy sets `on_error = "deny"`. */
export interface StoreUnavailableError extends IngateErrorBase<'INGATE_STORE_UNAVAILABLE', 'store_unavailable'> {
  /** The store URL without credentials. */
  store: string
}

/** The request or usage given to the library is malformed. */
export interface InvalidRequestError extends IngateErrorBase<'INGATE_INVALID_REQUEST', 'invalid_request'> {}

/** Any error thrown by ingate; narrow it with `code`. */
export type IngateError =
  | InvalidPolicyError
  | InvalidCatalogError
  | UnknownModelError
  | ModelRetiredError
  | ContextWindowExceededError
  | BudgetExceededError
  | RedactionBlockedError
  | StoreUnavailableError
  | InvalidRequestError

/** Returns whether `value` is an error thrown by ingate, optionally of one `code`. */
export declare function isIngateError<Code extends IngateErrorCode = IngateErrorCode>(
  value: unknown,
  code?: Code,
): value is Extract<IngateError, { code: Code }>

/** Options of {@link wrapOpenAI}. */
export interface WrapOpenAIOptions extends CallOptions {
  /** Receives the record of every call: settled, aborted or denied. */
  onRecord?: (record: CallRecord) => void
}

/** The part of an OpenAI client that {@link wrapOpenAI} replaces. */
export interface OpenAIChatClient {
  chat: { completions: { create: (...args: any[]) => any } }
}

/**
 * Returns a view of an OpenAI client whose `chat.completions.create` passes
 * through `policy`: the request is redacted, counted and reserved for, the
 * reply's text is restored, and the call settles with the vendor's usage.
 *
 * The wrapped `create` returns a plain Promise: the SDK's `withResponse()`
 * and `asResponse()` are not available on it. A stream is an async iterable
 * of chunks that settles when it ends. When the caller stops reading it, it
 * settles with the output counted from the chunks received. A vendor error
 * releases the reservation and is rethrown.
 */
export declare function wrapOpenAI<Client extends OpenAIChatClient>(
  client: Client,
  policy: Policy,
  options?: WrapOpenAIOptions,
): Client
