package dev.ingate

import dev.ingate.ffi.NativePolicy
import java.nio.file.Path
import java.time.Instant

/**
 * A loaded policy: catalog, aliases, budgets, redaction and energy settings.
 *
 * A policy is immutable and safe to share between threads; budget state lives in its store.
 * Reloading a policy file means building a new `Policy`. [close] frees the native policy
 * early; without it the garbage collector frees it.
 */
class Policy private constructor(private val inner: NativePolicy) : AutoCloseable {

    companion object {
        /** Loads a policy file (TOML, or JSON when the name ends in `.json`). */
        @JvmStatic
        fun fromFile(path: String): Policy = native { Policy(NativePolicy.fromFile(path)) }

        /** Loads a policy file (TOML, or JSON when the name ends in `.json`). */
        @JvmStatic
        fun fromFile(path: Path): Policy = fromFile(path.toString())

        /** Parses a policy from TOML text. */
        @JvmStatic
        fun fromToml(text: String): Policy = native { Policy(NativePolicy.fromToml(text)) }

        /**
         * Returns the built-in default policy: the built-in catalog, no budgets, redaction of
         * emails, payment cards and secrets, the world-average grid. Java calls it `defaultPolicy()`.
         */
        @JvmStatic
        @JvmName("defaultPolicy")
        fun default(): Policy = native { Policy(NativePolicy.defaultPolicy()) }
    }

    /**
     * Returns a copy of this policy whose clock is fixed at [now]: deprecation dates,
     * budget windows and record timestamps use it. Tests and what-if replays use this;
     * the copy shares the budget store.
     */
    fun withClock(now: Instant): Policy = native { Policy(inner.withClock(now.toString())) }

    /** The messages of the checks run when the policy loaded (aliases, pins and fallbacks that hit a sunset). */
    val diagnostics: List<String> get() = native { inner.diagnostics() }

    /** Counts the tokens of [text] for [model] (any name that resolves). */
    fun countTokens(model: String, text: String): TokenCount =
        native { TokenCount.from(inner.countTokens(model, text)) }

    /** Counts a chat request given as JSON (an OpenAI chat completion body) the way its vendor bills the input. */
    fun countChat(requestJson: String): TokenCount =
        native { TokenCount.from(inner.countChatJson(requestJson)) }

    /** Counts a typed chat request the way its vendor bills the input. */
    fun countChat(request: ChatRequest): TokenCount =
        native { TokenCount.from(inner.countChat(request.toNative())) }

    /** Resolves a model name with the policy's aliases and deprecation rules. */
    fun resolveModel(name: String): Resolution = native { Resolution.from(inner.resolveModel(name)) }

    /** Redacts [text] with the policy's detectors; finding offsets are indexes into [text]. */
    fun redact(text: String): Redaction = native { Redaction.from(inner.redact(text)) }

    /** Estimates the energy, carbon and water of a call; [region] overrides the policy's region. */
    @JvmOverloads
    fun estimateEnergy(model: String, inputTokens: Long, outputTokens: Long, region: String? = null): Energy {
        requireTokens("inputTokens", inputTokens)
        requireTokens("outputTokens", outputTokens)
        return native {
            Energy.from(inner.estimateEnergy(model, inputTokens.toULong(), outputTokens.toULong(), region))
        }
    }

    /**
     * Begins a call from a JSON chat completion body: resolves the model, redacts the messages,
     * counts the input and reserves budget at [scope] (the policy's default scope when `null`).
     *
     * Send [Call.request] to the vendor, then [Call.finish] with its usage. Closing the call
     * without finishing it aborts it and releases the reservation, so use it in `use { }`
     * (Kotlin) or try-with-resources (Java). A denial throws an [IngateException] whose
     * [IngateException.record] is the record of the denied call.
     */
    @JvmOverloads
    fun begin(requestJson: String, scope: String? = null, tags: Map<String, String> = emptyMap()): Call =
        native { Call(inner.beginJson(requestJson, scope, tags)) }

    /** Begins a call from a typed request; see the JSON overload. */
    @JvmOverloads
    fun begin(request: ChatRequest, scope: String? = null, tags: Map<String, String> = emptyMap()): Call =
        native { Call(inner.begin(request.toNative(), scope, tags)) }

    internal fun parseUsage(usageJson: String) = inner.parseUsage(usageJson)

    /** Frees the native policy; calls already begun keep working. */
    override fun close() = inner.close()

    override fun toString(): String = "Policy"
}

internal fun requireTokens(name: String, value: Long) {
    if (value < 0) {
        throw InvalidRequestException("invalid request: `$name` is $value; token counts must be 0 or more", null)
    }
}
