// Replays a traffic file through a policy and prints the summary table of `ingate replay`.
//
//     java -cp ... Replay examples/traffic.jsonl examples/policy.toml
//
// Each line is an OpenAI Batch API request (`custom_id`, `method`, `url`, `body`) or a plain
// chat completion body, with optional `scope` and `tags`. Without vendor responses every call
// settles at its output cap, as `ingate replay` does without `--responses`.
@file:JvmName("Replay")

import dev.ingate.CallRecord
import dev.ingate.IngateException
import dev.ingate.Policy
import dev.ingate.Summary
import dev.ingate.Totals
import org.json.JSONException
import org.json.JSONObject
import java.io.File
import java.math.BigDecimal
import java.math.RoundingMode
import kotlin.system.exitProcess

/** One line of traffic: the request body, and where the call is charged. */
private class Traffic(val body: String, val scope: String?, val tags: Map<String, String>)

private fun parseLine(line: String): Traffic {
    val json = JSONObject(line)
    val scope = json.remove("scope")?.takeIf { it != JSONObject.NULL }?.let {
        it as? String ?: throw IllegalArgumentException("`scope` must be a string")
    }
    val tags = when (val raw = json.remove("tags")) {
        null, JSONObject.NULL -> emptyMap()
        is JSONObject -> raw.keySet().associateWith { key -> raw.get(key).let { it as? String ?: it.toString() } }
        else -> throw IllegalArgumentException("`tags` must be an object")
    }
    val body = json.optJSONObject("body") ?: return Traffic(json.toString(), scope, tags)
    val url = json.optString("url", "/v1/chat/completions")
    require(url == "/v1/chat/completions") { "url `$url` is not supported; only /v1/chat/completions requests replay" }
    return Traffic(body.toString(), scope, tags)
}

/**
 * Runs one call the way `ingate replay` does without responses: settle at the output cap.
 * A denial carries the record of the denied call; an error without one (a malformed request)
 * is rethrown.
 */
private fun replayOne(policy: Policy, traffic: Traffic): CallRecord = try {
    policy.begin(traffic.body, traffic.scope, traffic.tags).use { call ->
        try {
            call.finishSimulated()
        } catch (error: IngateException) {
            call.abort(error.kind)
        }
    }
} catch (denied: IngateException) {
    denied.record ?: throw denied
}

/** Formats [value] with [places] decimals, rounding the exact binary value half to even as Rust's `{:.N}` does. */
private fun fixed(value: Double, places: Int): String =
    BigDecimal(value).setScale(places, RoundingMode.HALF_EVEN).toPlainString()

/** Rounds to 4 decimals half to even, keeping a shorter scale as it is (rust_decimal's `round_dp`). */
private fun money(value: BigDecimal): String =
    (if (value.scale() > 4) value.setScale(4, RoundingMode.HALF_EVEN) else value).toPlainString()

private fun row(scope: String, model: String, totals: Totals): List<String> = listOf(
    scope,
    model,
    totals.calls.toString(),
    if (totals.denied.isEmpty()) "-" else totals.denied.entries.joinToString(" ") { "${it.key}:${it.value}" },
    totals.inputTokens.toString(),
    totals.outputTokens.toString(),
    money(totals.costUsd),
    fixed(totals.energyWh.value, 2),
    "${fixed(totals.energyWh.low, 2)}-${fixed(totals.energyWh.high, 2)}",
    fixed(totals.co2eG.value, 2),
    fixed(totals.kgCo2ePer1000Calls.value, 4),
)

/** Prints rows as a table: text columns left-aligned, number columns right-aligned. */
private fun printTable(rows: List<List<String>>) {
    val header = listOf(
        "scope", "model", "calls", "denied", "input tok", "output tok", "cost USD", "Wh", "Wh range", "gCO2e",
        "kgCO2e/1k calls",
    )
    val leftAligned = setOf(0, 1, 3)
    val all = listOf(header) + rows
    val widths = header.indices.map { column -> all.maxOf { it[column].length } }
    for (cells in all) {
        val line = cells.mapIndexed { column, cell ->
            if (column in leftAligned) cell.padEnd(widths[column]) else cell.padStart(widths[column])
        }.joinToString("  ")
        println(line.trimEnd())
    }
}

fun main(args: Array<String>) {
    if (args.isEmpty() || args.size > 2) {
        System.err.println("usage: Replay TRAFFIC.jsonl [POLICY.toml]")
        exitProcess(2)
    }
    val policy = if (args.size == 2) Policy.fromFile(args[1]) else Policy.default()
    for (message in policy.diagnostics) {
        System.err.println("policy: $message")
    }

    Summary().use { summary ->
        var malformed = 0
        File(args[0]).useLines { lines ->
            lines.forEachIndexed { index, line ->
                if (line.isBlank()) return@forEachIndexed
                val traffic = try {
                    parseLine(line)
                } catch (error: JSONException) {
                    malformed++
                    System.err.println("line ${index + 1}: not valid JSON; skipped")
                    return@forEachIndexed
                } catch (error: IllegalArgumentException) {
                    malformed++
                    System.err.println("line ${index + 1}: ${error.message}; skipped")
                    return@forEachIndexed
                }
                try {
                    summary.add(replayOne(policy, traffic))
                } catch (error: IngateException) {
                    malformed++
                    System.err.println("line ${index + 1}: ${error.message}; skipped")
                }
            }
        }

        val rows = summary.groups.map { row(it.scope, it.model, it.totals) } + listOf(row("TOTAL", "", summary.total))
        printTable(rows)
        if (malformed > 0) {
            System.err.println("$malformed malformed line(s) skipped")
        }
    }
}
