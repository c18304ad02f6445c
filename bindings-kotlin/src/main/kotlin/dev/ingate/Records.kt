package dev.ingate

import dev.ingate.ffi.NativeCallRecord
import dev.ingate.ffi.NativeChatRequest
import dev.ingate.ffi.NativeEnergy
import dev.ingate.ffi.NativeEstimate
import dev.ingate.ffi.NativeMessage
import dev.ingate.ffi.NativeRedaction
import dev.ingate.ffi.NativeResolution
import dev.ingate.ffi.NativeTokenCount
import dev.ingate.ffi.NativeUsage
import java.math.BigDecimal
import java.time.Instant

/** A token count; [exact] is `false` for an estimate, and [encoding] then names the method. */
data class TokenCount(
    /** The number of tokens. */
    val tokens: Long,
    /** `false` when the count is an estimate (vendors without a public tokenizer). */
    val exact: Boolean,
    /** The encoding (`o200k_base`, ...), or the estimation method when [exact] is `false`. */
    val encoding: String,
) {
    internal companion object {
        fun from(native: NativeTokenCount) =
            TokenCount(native.tokens.toLong(), native.exact, native.encoding)
    }
}

/** How a model name resolved: the catalog id and each name visited on the way. */
data class Resolution(
    /** The name as requested. */
    val requested: String,
    /** The catalog id it resolved to. */
    val model: String,
    /** Each name visited, from the requested name to the id. */
    val chain: List<String>,
    /** Deprecation and substitution notices. */
    val warnings: List<String>,
) {
    internal companion object {
        fun from(native: NativeResolution) =
            Resolution(native.requested, native.model, native.chain, native.warnings)
    }
}

/**
 * One detected value. [start] and [end] are UTF-16 offsets into the original text, so
 * `original.substring(start, end)` is the value.
 */
class Finding(
    /** `email`, `credit_card`, `secret`, ... */
    val kind: String,
    /** For secrets, the vendor (`openai`, `aws`, ...). */
    val vendor: String?,
    /** UTF-16 offset of the value in the original text. */
    val start: Int,
    /** UTF-16 offset just past the value. */
    val end: Int,
    /** The text that replaced the value (a placeholder, mask, partial value or hash). */
    val replacement: String,
) {
    override fun equals(other: Any?): Boolean = other is Finding && kind == other.kind &&
        vendor == other.vendor && start == other.start && end == other.end &&
        replacement == other.replacement

    override fun hashCode(): Int = listOf(kind, vendor, start, end, replacement).hashCode()

    // A partial replacement keeps part of the value, so only its length is shown.
    override fun toString(): String =
        "Finding(kind=$kind, vendor=$vendor, start=$start, end=$end, replacement=<${replacement.length} chars>)"
}

/** A redacted text and its findings, in text order. */
class Redaction(
    /** The text with every finding replaced. */
    val text: String,
    /** The findings, in text order. */
    val findings: List<Finding>,
) {
    override fun equals(other: Any?): Boolean =
        other is Redaction && text == other.text && findings == other.findings

    override fun hashCode(): Int = 31 * text.hashCode() + findings.hashCode()

    // The text may still hold prompt content, so only its length is shown.
    override fun toString(): String = "Redaction(text=<${text.length} chars>, findings=$findings)"

    internal companion object {
        fun from(native: NativeRedaction) = Redaction(
            native.text,
            native.findings.map {
                Finding(it.kind, it.vendor, it.start.toInt(), it.end.toInt(), it.replacement)
            },
        )
    }
}

/** A figure with its uncertainty range. */
data class Estimate(
    /** Lower bound. */
    val low: Double,
    /** Central value. */
    val value: Double,
    /** Upper bound. */
    val high: Double,
) {
    internal companion object {
        fun from(native: NativeEstimate) = Estimate(native.low, native.value, native.high)
    }
}

/** The energy, carbon and water estimate of one call; docs/energy.md describes the method. */
data class Energy(
    /** Energy at the facility meter (IT energy times PUE), in Wh. */
    val wh: Estimate,
    /** Location-based carbon of that energy, in gCO2e. */
    val co2eG: Estimate,
    /** Off-site water used to generate the electricity, in mL. */
    val waterMl: Estimate,
    /** The grid zone: an ISO 3166 alpha-3 code, or `WOR` for the world average. */
    val zone: String,
    /** `true`: carbon uses the zone's average grid intensity, not market instruments. */
    val locationBased: Boolean,
    /** `true` when the catalog had no parameter counts and the estimate assumed a size. */
    val parametersAssumed: Boolean,
    /** The method version, for example `ingate-energy/1`. */
    val method: String,
) {
    internal companion object {
        fun from(native: NativeEnergy) = Energy(
            Estimate.from(native.wh), Estimate.from(native.co2eG), Estimate.from(native.waterMl),
            native.zone, native.locationBased, native.parametersAssumed, native.method,
        )
    }
}

/**
 * Normalized token usage of one call, with OpenAI's meaning: [inputTokens] counts every input
 * token, and [cachedReadTokens] and [cacheWriteTokens] are parts of it.
 */
data class Usage @JvmOverloads constructor(
    /** Every input token, cached or not. */
    val inputTokens: Long,
    /** Every output token, reasoning included. */
    val outputTokens: Long,
    /** Input tokens read from the vendor's prompt cache (part of [inputTokens]). */
    val cachedReadTokens: Long = 0,
    /** Input tokens written to the vendor's prompt cache (part of [inputTokens]). */
    val cacheWriteTokens: Long = 0,
    /** Reasoning tokens (part of [outputTokens]). */
    val reasoningTokens: Long = 0,
) {
    internal fun toNative(): NativeUsage {
        for ((name, value) in listOf(
            "inputTokens" to inputTokens, "outputTokens" to outputTokens,
            "cachedReadTokens" to cachedReadTokens, "cacheWriteTokens" to cacheWriteTokens,
            "reasoningTokens" to reasoningTokens,
        )) {
            if (value < 0) {
                throw InvalidRequestException("invalid usage: `$name` is $value; token counts must be 0 or more", null)
            }
        }
        return NativeUsage(
            inputTokens.toULong(), outputTokens.toULong(), cachedReadTokens.toULong(),
            cacheWriteTokens.toULong(), reasoningTokens.toULong(),
        )
    }

    companion object {
        /**
         * Parses vendor usage JSON: OpenAI (`prompt_tokens`), Anthropic (`input_tokens`),
         * Gemini (`promptTokenCount`) or ingate's own shape.
         */
        @JvmStatic
        fun fromJson(usageJson: String): Usage = native {
            val usage = defaultPolicy.parseUsage(usageJson)
            Usage(
                usage.inputTokens.toLong(), usage.outputTokens.toLong(),
                usage.cachedReadTokens.toLong(), usage.cacheWriteTokens.toLong(),
                usage.reasoningTokens.toLong(),
            )
        }
    }
}

/** One chat message with plain text content; [toString] shows the content's length only. */
class ChatMessage @JvmOverloads constructor(
    /** `system`, `user`, `assistant` or `tool`. */
    val role: String,
    /** The text; `null` for an assistant message that only calls tools. */
    val content: String?,
    /** The participant name. */
    val name: String? = null,
) {
    override fun equals(other: Any?): Boolean =
        other is ChatMessage && role == other.role && content == other.content && name == other.name

    override fun hashCode(): Int = listOf(role, content, name).hashCode()

    override fun toString(): String =
        "ChatMessage(role=$role, content=<${content?.length ?: 0} chars>, name=$name)"

    companion object {
        /** A `system` message. */
        @JvmStatic fun system(content: String) = ChatMessage("system", content)

        /** A `user` message. */
        @JvmStatic fun user(content: String) = ChatMessage("user", content)

        /** An `assistant` message. */
        @JvmStatic fun assistant(content: String) = ChatMessage("assistant", content)
    }
}

/**
 * A chat completion request with plain text messages. Requests with images, tools or other
 * vendor keys go to [Policy.begin] and [Policy.countChat] as JSON text instead.
 */
data class ChatRequest @JvmOverloads constructor(
    /** The model name: an alias, a catalog id or a vendor name. */
    val model: String,
    /** The messages, in order. */
    val messages: List<ChatMessage>,
    /** The output cap (`max_tokens`); the policy's default applies when `null`. */
    val maxTokens: Long? = null,
) {
    internal fun toNative(): NativeChatRequest {
        if (maxTokens != null && maxTokens < 0) {
            throw InvalidRequestException("invalid request: `maxTokens` is $maxTokens; it must be 0 or more", null)
        }
        return NativeChatRequest(
            model,
            messages.map { NativeMessage(it.role, it.content, it.name) },
            maxTokens?.toULong(),
        )
    }
}

/**
 * The record of one finished, aborted or denied call. It holds counts, ids and names, never
 * prompt text or redacted values. [json] is the record as one JSON line with OpenTelemetry
 * GenAI key names (`gen_ai.usage.input_tokens`, ...), as `ingate replay --records` writes it.
 */
data class CallRecord(
    /** A unique id for the call. */
    val id: String,
    /** When the call began. */
    val ts: Instant,
    /** The scope the call was charged to. */
    val scope: String,
    /** The caller's tags, sorted by key. */
    val tags: Map<String, String>,
    /** `allowed` or `denied`. */
    val decision: String,
    /** The error kind that denied the call (`budget_exceeded`, ...), when denied. */
    val denyReason: String?,
    /** The model name as requested. */
    val requestModel: String,
    /** The catalog id the name resolved to. */
    val responseModel: String?,
    /** Every input token, cached or not. */
    val inputTokens: Long,
    /** Every output token, reasoning included. */
    val outputTokens: Long,
    /** `false` when a token count is an estimate. */
    val tokensExact: Boolean,
    /** `true` when the output cap stood in for vendor usage. */
    val usageSimulated: Boolean,
    /** The settled cost in USD, exact. */
    val costUsd: BigDecimal,
    /** The reservation taken at `begin`, in USD. */
    val reservedUsd: BigDecimal,
    /** Input tokens read from the vendor's cache. */
    val cachedReadTokens: Long,
    /** Input tokens written to the vendor's cache. */
    val cacheWriteTokens: Long,
    /** Reasoning tokens, part of the output tokens. */
    val reasoningTokens: Long,
    /** Energy in Wh. */
    val energyWh: Estimate,
    /** Carbon in gCO2e. */
    val co2eG: Estimate,
    /** Off-site water in mL. */
    val waterMl: Estimate,
    /** `true` when the energy estimate assumed a model size. */
    val energyParametersAssumed: Boolean,
    /** The grid zone of the energy estimate. */
    val energyZone: String?,
    /** The energy method version. */
    val energyMethod: String?,
    /** Values redacted from the request, counted by kind. */
    val redactions: Map<String, Long>,
    /** The names visited while resolving the model. */
    val resolutionChain: List<String>,
    /** Deprecation notices, substitutions and soft budget limits. */
    val warnings: List<String>,
    /** The denial's message, when denied. */
    val denyMessage: String?,
    /** Why an allowed call ended without usage: `aborted`, `dropped`, or the caller's reason. */
    val abortReason: String?,
    /** The budget store failure during this call and what the policy did, when one happened. */
    val storeError: String?,
    /** The record as one line of JSON. */
    val json: String,
) {
    /** `true` when the policy let the call through. */
    val allowed: Boolean get() = decision == "allowed"

    internal companion object {
        fun from(native: NativeCallRecord) = CallRecord(
            id = native.id,
            ts = Instant.parse(native.ts),
            scope = native.scope,
            tags = native.tags.toSortedMap(),
            decision = native.decision,
            denyReason = native.denyReason,
            requestModel = native.requestModel,
            responseModel = native.responseModel,
            inputTokens = native.inputTokens.toLong(),
            outputTokens = native.outputTokens.toLong(),
            tokensExact = native.tokensExact,
            usageSimulated = native.usageSimulated,
            costUsd = BigDecimal(native.costUsd),
            reservedUsd = BigDecimal(native.reservedUsd),
            cachedReadTokens = native.cachedReadTokens.toLong(),
            cacheWriteTokens = native.cacheWriteTokens.toLong(),
            reasoningTokens = native.reasoningTokens.toLong(),
            energyWh = Estimate.from(native.energyWh),
            co2eG = Estimate.from(native.co2eG),
            waterMl = Estimate.from(native.waterMl),
            energyParametersAssumed = native.energyParametersAssumed,
            energyZone = native.energyZone,
            energyMethod = native.energyMethod,
            redactions = native.redactions.mapValues { it.value.toLong() }.toSortedMap(),
            resolutionChain = native.resolutionChain,
            warnings = native.warnings,
            denyMessage = native.denyMessage,
            abortReason = native.abortReason,
            storeError = native.storeError,
            json = native.json,
        )
    }
}
