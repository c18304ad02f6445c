@file:JvmName("Ingate")

package dev.ingate

// Standalone helpers on the built-in default policy, for code that needs one capability
// without a policy file. Java calls them as `Ingate.countTokens(...)`.

/** The built-in default policy, built on first use. */
internal val defaultPolicy: Policy by lazy { Policy.default() }

/** Counts the tokens of [text] for [model] with the default policy's catalog. */
fun countTokens(model: String, text: String): TokenCount = defaultPolicy.countTokens(model, text)

/** Counts a chat request given as JSON with the default policy's catalog. */
fun countChat(requestJson: String): TokenCount = defaultPolicy.countChat(requestJson)

/** Resolves a model name with the built-in catalog's aliases. */
fun resolveModel(name: String): Resolution = defaultPolicy.resolveModel(name)

/** Redacts [text] with the default detectors (emails, payment cards, secrets). */
fun redact(text: String): Redaction = defaultPolicy.redact(text)

/** Estimates the energy, carbon and water of a call; [region] defaults to the world-average grid. */
@JvmOverloads
fun estimateEnergy(model: String, inputTokens: Long, outputTokens: Long, region: String? = null): Energy =
    defaultPolicy.estimateEnergy(model, inputTokens, outputTokens, region)
