package dev.ingate

import dev.ingate.ffi.NativeSummary
import dev.ingate.ffi.NativeTotals
import java.math.BigDecimal

/** Totals of one group of call records. */
data class Totals(
    /** Calls, allowed and denied. */
    val calls: Long,
    /** Denied calls by error kind, sorted by kind. */
    val denied: Map<String, Long>,
    /** Input tokens of allowed calls. */
    val inputTokens: Long,
    /** Output tokens of allowed calls. */
    val outputTokens: Long,
    /** Calls whose tokens were estimated. */
    val inexactCalls: Long,
    /** Calls settled without vendor usage. */
    val simulatedCalls: Long,
    /** Settled cost in USD, summed exactly. */
    val costUsd: BigDecimal,
    /** Energy in Wh, summed per bound. */
    val energyWh: Estimate,
    /** Carbon in gCO2e, summed per bound. */
    val co2eG: Estimate,
    /** kgCO2e per 1,000 calls (allowed and denied alike). */
    val kgCo2ePer1000Calls: Estimate,
) {
    internal companion object {
        fun from(native: NativeTotals) = Totals(
            calls = native.calls.toLong(),
            denied = native.denied.mapValues { it.value.toLong() }.toSortedMap(),
            inputTokens = native.inputTokens.toLong(),
            outputTokens = native.outputTokens.toLong(),
            inexactCalls = native.inexactCalls.toLong(),
            simulatedCalls = native.simulatedCalls.toLong(),
            costUsd = BigDecimal(native.costUsd),
            energyWh = Estimate.from(native.energyWh),
            co2eG = Estimate.from(native.co2eG),
            kgCo2ePer1000Calls = Estimate.from(native.kgCo2ePer1000Calls),
        )
    }
}

/** The totals of the records of one scope and model. */
data class SummaryGroup(
    /** The scope path. */
    val scope: String,
    /** The resolved model, or the requested name for a call denied before it resolved. */
    val model: String,
    /** The group's totals. */
    val totals: Totals,
)

/**
 * Totals of call records by scope and model plus a grand total, the aggregation that
 * `ingate report` and `ingate replay` print. Safe to share between threads.
 */
class Summary : AutoCloseable {
    private val inner: NativeSummary = native { NativeSummary() }

    /** Adds one record. */
    fun add(record: CallRecord) = native { inner.add(record.json) }

    /** The totals over every record added. */
    val total: Totals get() = native { Totals.from(inner.total()) }

    /** The totals per scope and model, sorted by scope, then model. */
    val groups: List<SummaryGroup>
        get() = native { inner.groups().map { SummaryGroup(it.scope, it.model, Totals.from(it.totals)) } }

    /** Frees the native summary. */
    override fun close() = inner.close()
}
