package dev.ingate

import dev.ingate.ffi.ErrorDetail
import dev.ingate.ffi.InternalException
import dev.ingate.ffi.NativeException
import java.math.BigDecimal
import java.time.Instant
import java.time.LocalDate

/**
 * An error from ingate, one subclass per public error kind.
 *
 * [message] is a readable sentence that names the value that failed and the fix; it never
 * contains prompt text, matched values or secrets. [kind] is the kind's stable snake_case
 * name, the same as in call records and in the Python and Node bindings. [record] is the
 * record of the denied call when [Policy.begin] denied it, and `null` otherwise.
 *
 * It is unchecked (a [RuntimeException]) so that Java callers catch it where they choose,
 * the way Kotlin callers do.
 */
sealed class IngateException(
    message: String,
    /** The stable snake_case name of the kind, for example `budget_exceeded`. */
    val kind: String,
    /** The record of the denied call, when [Policy.begin] denied it. */
    val record: CallRecord?,
) : RuntimeException(message) {
    override val message: String
        get() = super.message ?: kind
}

/** The policy file or text is invalid; [path], [line] and [column] locate the problem when known. */
class InvalidPolicyException internal constructor(
    message: String,
    record: CallRecord?,
    /** The policy file, when the policy came from a file. */
    val path: String?,
    /** The 1-based line of the offending key or value. */
    val line: Int?,
    /** The 1-based column of the offending key or value. */
    val column: Int?,
) : IngateException(message, "invalid_policy", record)

/** A model catalog (built-in or imported) has an invalid entry. */
class InvalidCatalogException internal constructor(
    message: String,
    record: CallRecord?,
    /** The entry's key in the catalog. */
    val entry: String,
) : IngateException(message, "invalid_catalog", record)

/** No catalog entry or alias matches the model name. */
class UnknownModelException internal constructor(
    message: String,
    record: CallRecord?,
    /** The requested name. */
    val name: String,
    /** The nearest known names, closest first. */
    val suggestions: List<String>,
) : IngateException(message, "unknown_model", record)

/** The model was shut down by its vendor, or the policy denies it as deprecated. */
class ModelRetiredException internal constructor(
    message: String,
    record: CallRecord?,
    /** The requested name. */
    val name: String,
    /** The catalog id the name resolved to. */
    val model: String,
    /** `true` when the shutdown date has passed; `false` when the policy denies a retiring model. */
    val retired: Boolean,
    /** The vendor's shutdown date, when known. */
    val shutdown: LocalDate?,
    /** The vendor's recommended replacement, when known. */
    val successor: String?,
) : IngateException(message, "model_retired", record)

/** The request's input tokens exceed the model's input limit. */
class ContextWindowExceededException internal constructor(
    message: String,
    record: CallRecord?,
    /** The resolved model id. */
    val model: String,
    /** The counted input tokens (the limit plus one when counting stopped early). */
    val tokens: Long,
    /** The model's input limit. */
    val limit: Long,
) : IngateException(message, "context_window_exceeded", record)

/** A hard budget limit would be crossed by the call. */
class BudgetExceededException internal constructor(
    message: String,
    record: CallRecord?,
    /** The scope whose limit would be crossed. */
    val scope: String,
    /** The unit of the limit: `usd`, `tokens` or `requests`. */
    val unit: String,
    /** The window of the limit, for example `day` or `minute`. */
    val window: String,
    /** The limit. */
    val limit: BigDecimal,
    /** The amount already spent or reserved in the window. */
    val spent: BigDecimal,
    /** The amount this call would reserve. */
    val requested: BigDecimal,
    /** When the window resets. */
    val resetsAt: Instant,
) : IngateException(message, "budget_exceeded", record)

/** A redaction detector with the `block` operator matched. */
class RedactionBlockedException internal constructor(
    message: String,
    record: CallRecord?,
    /** The detector that matched. */
    val detector: String,
    /** How many values it matched. */
    val count: Long,
) : IngateException(message, "redaction_blocked", record)

/** The budget store could not be reached and the policy sets `on_error = "deny"`. */
class StoreUnavailableException internal constructor(
    message: String,
    record: CallRecord?,
    /** The store URL without credentials. */
    val store: String,
) : IngateException(message, "store_unavailable", record)

/** The request or usage given to ingate is malformed, or a call was used after it ended. */
class InvalidRequestException internal constructor(
    message: String,
    record: CallRecord?,
) : IngateException(message, "invalid_request", record)

/**
 * An error of a kind that the core added after this binding was written, so the binding maps
 * it to no class of its own yet; [kind] names it.
 */
class OtherIngateException internal constructor(
    message: String,
    kind: String,
    record: CallRecord?,
) : IngateException(message, kind, record)

/** Converts the generated exception into the exception class of its kind. */
internal fun NativeException.toIngate(): IngateException = when (this) {
    is NativeException.Failed -> convert(display, detail, record?.let(CallRecord::from))
}

private fun convert(message: String, detail: ErrorDetail, record: CallRecord?): IngateException =
    when (detail) {
        is ErrorDetail.InvalidPolicy -> InvalidPolicyException(
            message, record, detail.path, detail.line?.toInt(), detail.column?.toInt(),
        )
        is ErrorDetail.InvalidCatalog -> InvalidCatalogException(message, record, detail.entry)
        is ErrorDetail.UnknownModel -> UnknownModelException(
            message, record, detail.name, detail.suggestions,
        )
        is ErrorDetail.ModelRetired -> ModelRetiredException(
            message, record, detail.name, detail.model, detail.retired,
            detail.shutdown?.let(LocalDate::parse), detail.successor,
        )
        is ErrorDetail.ContextWindowExceeded -> ContextWindowExceededException(
            message, record, detail.model, detail.tokens.toLong(), detail.limit.toLong(),
        )
        is ErrorDetail.BudgetExceeded -> BudgetExceededException(
            message, record, detail.scope, detail.unit, detail.window,
            BigDecimal(detail.limit), BigDecimal(detail.spent), BigDecimal(detail.requested),
            Instant.parse(detail.resetsAt),
        )
        is ErrorDetail.RedactionBlocked -> RedactionBlockedException(
            message, record, detail.detector, detail.count.toLong(),
        )
        is ErrorDetail.StoreUnavailable -> StoreUnavailableException(message, record, detail.store)
        is ErrorDetail.InvalidRequest -> InvalidRequestException(message, record)
        is ErrorDetail.Other -> OtherIngateException(message, detail.kind, record)
    }

/** Runs [block] and rethrows a generated exception as an [IngateException]. */
internal inline fun <T> native(block: () -> T): T {
    NativeLibrary.ensureLoaded()
    try {
        return block()
    } catch (error: NativeException) {
        throw error.toIngate()
    } catch (error: InternalException) {
        // uniffi turns a Rust panic into this exception, so it marks a bug, not bad input.
        throw IllegalStateException("ingate failed internally (${error.message}); this is a bug in ingate", error)
    }
}
