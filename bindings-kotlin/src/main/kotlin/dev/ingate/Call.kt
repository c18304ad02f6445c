package dev.ingate

import dev.ingate.ffi.NativeCall
import dev.ingate.ffi.NativeStreamRestorer
import java.math.BigDecimal

/**
 * One call in flight: the request to send, its budget reservation and its redaction vault.
 *
 * End it with [finish] after the vendor replied, or with [abort]. [close] aborts a call that is still
 * open, with the reason `dropped`, and releases its reservation, so leaving `use { }` or a
 * try-with-resources block releases the budget. A call is safe to use from several threads.
 */
class Call internal constructor(private val inner: NativeCall) : AutoCloseable {
    @Volatile
    private var ended = false

    /** The call id, also the record's `id`. */
    val id: String by lazy { native { inner.id() } }

    /** The scope the call is charged to. */
    val scope: String by lazy { native { inner.scope() } }

    /** The catalog id of the resolved model. */
    val model: String by lazy { native { inner.model() } }

    /** The request to send, as JSON: the model resolved to the vendor's name, the messages redacted. */
    val request: String by lazy { native { inner.requestJson() } }

    /** The input token count of the redacted request. */
    val inputTokens: TokenCount by lazy { native { TokenCount.from(inner.inputTokens()) } }

    /** The output cap that was reserved for. */
    val outputCap: Long by lazy { native { inner.outputCap().toLong() } }

    /** The USD reserved for the worst case (input plus the output cap). */
    val reservedUsd: BigDecimal by lazy { native { BigDecimal(inner.reservedUsd()) } }

    /** The warnings collected so far: deprecations, fallbacks, soft budget limits. */
    val warnings: List<String> get() = native { inner.warnings() }

    /** Replaces the placeholders this call issued in [text] (the vendor's reply) with the original values. */
    fun restore(text: String): String = native { inner.restore(text) }

    /**
     * Replaces the placeholders this call issued in [text], JSON text such as tool-call
     * arguments, with the original values escaped as JSON string content. The result stays
     * valid JSON and decodes to the originals even when they contain `"`, `\` or a control
     * character, which [restore] would write unescaped.
     */
    fun restoreJson(text: String): String = native { inner.restoreJson(text) }

    /**
     * Returns a restorer for a streamed reply: [StreamRestorer.push] each chunk and emit what
     * it returns, then emit [StreamRestorer.finish]. A placeholder split across chunks is held
     * back until the chunk that completes it.
     */
    fun restoreStream(): StreamRestorer = native { StreamRestorer(inner.streamRestorer()) }

    /**
     * Returns a restorer for streamed JSON text, such as tool-call argument fragments. It
     * restores as [restoreJson] does and holds back a split placeholder as [restoreStream] does.
     */
    fun restoreJsonStream(): StreamRestorer = native { StreamRestorer(inner.jsonStreamRestorer()) }

    /**
     * Settles the call with the vendor's usage JSON (OpenAI, Anthropic or Gemini shape) and
     * returns its record. Invalid usage throws and leaves the call open.
     */
    fun finish(usageJson: String): CallRecord = end { CallRecord.from(inner.finishJson(usageJson)) }

    /** Settles the call with typed usage and returns its record. */
    fun finish(usage: Usage): CallRecord {
        val native = usage.toNative()
        return end { CallRecord.from(inner.finish(native)) }
    }

    /**
     * Settles the call as if the vendor had used the whole output cap, for replays without
     * responses; the record has [CallRecord.usageSimulated] set.
     */
    fun finishSimulated(): CallRecord = end { CallRecord.from(inner.finishSimulated()) }

    /** Releases the reservation without spending and returns the record. */
    @JvmOverloads
    fun abort(reason: String = "aborted"): CallRecord = end { CallRecord.from(inner.abort(reason)) }

    /** Aborts the call with the reason `dropped` unless it ended, then frees the native call. */
    override fun close() {
        try {
            if (!ended) {
                abort("dropped")
            }
        } finally {
            inner.close()
        }
    }

    // The request and vault hold prompt text and redacted values; only the id appears here.
    // A closed call has no native state left to read its id from.
    override fun toString(): String = "Call(id=${runCatching { id }.getOrDefault("<closed>")}, ended=$ended)"

    private inline fun end(block: () -> CallRecord): CallRecord {
        val record = native(block)
        ended = true
        return record
    }
}

/**
 * Restores placeholders in a streamed reply. [push] returns the text that is safe to emit so
 * far; [finish] returns what was held back at the end, after which the restorer is spent.
 */
class StreamRestorer internal constructor(private val inner: NativeStreamRestorer) : AutoCloseable {
    /** Restores one chunk and returns the text that is safe to emit so far. */
    fun push(chunk: String): String = native { inner.push(chunk) }

    /** Returns the text held back at the end of the stream. */
    fun finish(): String = native { inner.finish() }

    /** Restores a whole stream of chunks, yielding the restored text as it becomes safe to emit. */
    fun restoreAll(chunks: Iterable<String>): Sequence<String> = sequence {
        for (chunk in chunks) {
            val restored = push(chunk)
            if (restored.isNotEmpty()) yield(restored)
        }
        val rest = finish()
        if (rest.isNotEmpty()) yield(rest)
    }

    /** Frees the native restorer. */
    override fun close() = inner.close()
}
