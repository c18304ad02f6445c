'use strict'

// Wraps the official `openai` SDK's `chat.completions.create` so every call
// passes through a policy: the request is redacted and counted and its budget
// reserved before it leaves, the reply is restored, and the call is settled
// with the vendor's usage.
//
// The SDK is not a dependency: any client with `chat.completions.create`
// taking an OpenAI chat request works.

/**
 * Returns a view of `client` whose `chat.completions.create` goes through `policy`.
 *
 * Everything else on the client is the client's own.
 */
function wrapOpenAI(client, policy, options = {}) {
  if (!client || !client.chat || !client.chat.completions || typeof client.chat.completions.create !== 'function') {
    throw new TypeError('wrapOpenAI expects an OpenAI client with chat.completions.create, such as `new OpenAI()`')
  }
  const { scope, tags, onRecord } = options
  const callOptions = { scope, tags }
  const report = typeof onRecord === 'function' ? onRecord : () => {}
  const completions = client.chat.completions
  const create = (body, requestOptions) =>
    createThroughPolicy(completions, body, requestOptions, policy, callOptions, report)

  const wrappedCompletions = override(completions, 'create', create)
  const wrappedChat = override(client.chat, 'completions', wrappedCompletions)
  return override(client, 'chat', wrappedChat)
}

/** Returns a proxy of `target` whose `name` is `value`; its methods run on `target` itself. */
function override(target, name, value) {
  return new Proxy(target, {
    get(object, property) {
      if (property === name) {
        return value
      }
      const member = Reflect.get(object, property, object)
      return typeof member === 'function' ? member.bind(object) : member
    },
  })
}

async function createThroughPolicy(completions, body, requestOptions, policy, callOptions, report) {
  let call
  try {
    call = await policy.beginAsync(body, callOptions)
  } catch (error) {
    if (error && error.record) {
      report(error.record)
    }
    throw error
  }

  const sent = call.request
  if (sent.stream) {
    // Without usage in the last chunk the call could only be settled with a local count.
    sent.stream_options = { ...(sent.stream_options || {}), include_usage: true }
  }

  let response
  try {
    response = await completions.create(sent, requestOptions)
  } catch (error) {
    report(call.abort(vendorErrorReason(error)))
    throw error
  }

  if (sent.stream) {
    return restoreChunks(response, call, policy, report)
  }

  for (const choice of response.choices || []) {
    restoreMessage(call, choice.message)
  }
  const usage = response.usage || countedUsage(call, policy, outputTexts(response))
  report(await finishOrAbort(call, usage))
  return response
}

/** Restores the texts of one reply message in place. */
function restoreMessage(call, message) {
  if (!message) {
    return
  }
  if (typeof message.content === 'string') {
    message.content = call.restore(message.content)
  }
  if (typeof message.refusal === 'string') {
    message.refusal = call.restore(message.refusal)
  }
  for (const toolCall of message.tool_calls || []) {
    if (toolCall.function && typeof toolCall.function.arguments === 'string') {
      // Arguments are JSON, so the restored values are JSON-escaped.
      toolCall.function.arguments = call.restoreJson(toolCall.function.arguments)
    }
  }
}

function outputTexts(response) {
  const texts = []
  for (const choice of response.choices || []) {
    const message = choice.message || {}
    if (typeof message.content === 'string') {
      texts.push(message.content)
    }
    for (const toolCall of message.tool_calls || []) {
      if (toolCall.function && typeof toolCall.function.arguments === 'string') {
        texts.push(toolCall.function.arguments)
      }
    }
  }
  return texts
}

/**
 * Yields the vendor's chunks with their text restored, then settles the call.
 *
 * Content and each tool call's arguments have their own stream restorer. The
 * restorers of arguments write the restored values JSON-escaped, because
 * arguments are JSON. The call settles with the usage of the last chunk. A stream that ends
 * without usage, or that the caller stops reading, settles with the input
 * count taken at `begin` and the output counted from the chunks received.
 * An error from the vendor releases the reservation.
 */
async function* restoreChunks(stream, call, policy, report) {
  const restorers = new Map()
  const received = []
  let usage = null
  let last = null
  let settled = false

  const restorerFor = (key) => {
    let restorer = restorers.get(key)
    if (!restorer) {
      restorer = key.endsWith(':content') ? call.streamRestorer() : call.jsonStreamRestorer()
      restorers.set(key, restorer)
    }
    return restorer
  }
  const restore = (key, text) => {
    received.push(text)
    return restorerFor(key).push(text)
  }
  const flush = (key) => {
    const restorer = restorers.get(key)
    restorers.delete(key)
    return restorer ? restorer.finish() : ''
  }

  try {
    for await (const chunk of stream) {
      last = chunk
      if (chunk.usage) {
        usage = chunk.usage
      }
      for (const choice of chunk.choices || []) {
        restoreDelta(choice, restore, flush)
      }
      yield chunk
    }

    const tail = flushAll(restorers, flush)
    if (tail.length > 0 && last) {
      yield { ...last, choices: tail, usage: null }
    }
    settled = true
    report(await finishOrAbort(call, usage || countedUsage(call, policy, received)))
  } catch (error) {
    if (!settled) {
      settled = true
      report(call.abort(vendorErrorReason(error)))
    }
    throw error
  } finally {
    if (!settled) {
      // The caller stopped reading: the vendor billed what it sent so far.
      settled = true
      report(await finishOrAbort(call, usage || countedUsage(call, policy, received)))
    }
  }
}

/** Restores one streamed choice's delta in place; a finished choice releases its held-back text. */
function restoreDelta(choice, restore, flush) {
  const delta = choice.delta
  const contentKey = `${choice.index}:content`
  if (delta && typeof delta.content === 'string') {
    delta.content = restore(contentKey, delta.content)
  }
  for (const toolCall of (delta && delta.tool_calls) || []) {
    if (toolCall.function && typeof toolCall.function.arguments === 'string') {
      const key = `${choice.index}:tool:${toolCall.index}`
      toolCall.function.arguments = restore(key, toolCall.function.arguments)
    }
  }
  if (choice.finish_reason != null && delta) {
    const tail = flush(contentKey)
    if (tail !== '') {
      delta.content = (delta.content || '') + tail
    }
    for (const toolCall of delta.tool_calls || []) {
      const tailArguments = flush(`${choice.index}:tool:${toolCall.index}`)
      if (tailArguments !== '' && toolCall.function) {
        toolCall.function.arguments += tailArguments
      }
    }
  }
}

/** Returns one delta per choice that still holds back text when the stream ends. */
function flushAll(restorers, flush) {
  const byChoice = new Map()
  for (const key of [...restorers.keys()]) {
    const [index, field, toolIndex] = key.split(':')
    const text = flush(key)
    if (text === '') {
      continue
    }
    const delta = byChoice.get(index) || {}
    if (field === 'content') {
      delta.content = text
    } else {
      delta.tool_calls = [...(delta.tool_calls || []), { index: Number(toolIndex), function: { arguments: text } }]
    }
    byChoice.set(index, delta)
  }
  return [...byChoice].map(([index, delta]) => ({ index: Number(index), delta, finish_reason: null }))
}

/** Returns an OpenAI usage object from the input count at `begin` and the output counted locally. */
function countedUsage(call, policy, texts) {
  const output = policy.countTokens(call.model, texts.join(''))
  return { prompt_tokens: call.inputTokens.tokens, completion_tokens: output.tokens }
}

/** Settles the call; invalid usage releases the reservation before the error propagates. */
async function finishOrAbort(call, usage) {
  try {
    return await call.finishAsync(usage)
  } catch (error) {
    call.abort('invalid vendor usage')
    throw error
  }
}

/** Returns an abort reason that names the vendor error by status or class, never by its message. */
function vendorErrorReason(error) {
  if (error && typeof error.status === 'number') {
    return `vendor error: HTTP ${error.status}`
  }
  const name = error && error.constructor && error.constructor.name
  return `vendor error: ${name || 'unknown'}`
}

module.exports = { wrapOpenAI }
