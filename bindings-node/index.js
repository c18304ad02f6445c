'use strict'

// The package's entry point: the native classes plus the parts written in
// JavaScript (stream restoration as an async generator, the OpenAI SDK
// wrapper and the table of error codes).

const native = require('./native.js')
const { wrapOpenAI } = require('./lib/openai.js')

const { Policy, Call, StreamRestorer } = native

/** The `code` of each error kind, as set on every error the package throws. */
const ErrorCode = Object.freeze({
  InvalidPolicy: 'INGATE_INVALID_POLICY',
  InvalidCatalog: 'INGATE_INVALID_CATALOG',
  UnknownModel: 'INGATE_UNKNOWN_MODEL',
  ModelRetired: 'INGATE_MODEL_RETIRED',
  ContextWindowExceeded: 'INGATE_CONTEXT_WINDOW_EXCEEDED',
  BudgetExceeded: 'INGATE_BUDGET_EXCEEDED',
  RedactionBlocked: 'INGATE_REDACTION_BLOCKED',
  StoreUnavailable: 'INGATE_STORE_UNAVAILABLE',
  InvalidRequest: 'INGATE_INVALID_REQUEST',
})

const codes = new Set(Object.values(ErrorCode))

/** Returns whether `value` is an error thrown by ingate, optionally of one `code`. */
function isIngateError(value, code) {
  if (!(value instanceof Error) || !codes.has(value.code)) {
    return false
  }
  return code === undefined || value.code === code
}

/**
 * Restores the placeholders of this call in a stream of text chunks.
 *
 * A placeholder split across chunks is held back until the chunk that
 * completes it arrives, so an output chunk can be shorter than its input,
 * and empty outputs are skipped. The concatenated outputs equal
 * `call.restore` of the concatenated inputs.
 */
Call.prototype.restoreStream = async function* restoreStream(chunks) {
  const restorer = this.streamRestorer()
  for await (const chunk of chunks) {
    const text = restorer.push(chunk)
    if (text !== '') {
      yield text
    }
  }
  const tail = restorer.finish()
  if (tail !== '') {
    yield tail
  }
}

module.exports = {
  Policy,
  Call,
  StreamRestorer,
  ErrorCode,
  isIngateError,
  wrapOpenAI,
}
