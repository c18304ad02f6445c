// Token counting throughput from Kotlin: ingate (through JNA, one native call per prompt)
// against jtokkit, the Java port of tiktoken, over the same prompts in the same JVM.
//
// Run with bindings-kotlin/bench.sh. The counts must be identical for every prompt; the
// harness warms both up, then alternates timed rounds and reports medians.
@file:JvmName("TokenBench")

package dev.ingate.bench

import com.knuddels.jtokkit.Encodings
import com.knuddels.jtokkit.api.EncodingType
import dev.ingate.Policy
import java.io.File
import kotlin.system.exitProcess

private const val MODEL = "gpt-4o"
private const val WARMUP_ROUNDS = 5
private const val TIMED_ROUNDS = 15

/** Parses RFC 4180 CSV (quoted fields may hold commas, quotes and newlines) into rows. */
internal fun parseCsv(text: String): List<List<String>> {
    val rows = mutableListOf<List<String>>()
    var row = mutableListOf<String>()
    val field = StringBuilder()
    var quoted = false
    var index = 0
    while (index < text.length) {
        val char = text[index]
        when {
            quoted && char == '"' && index + 1 < text.length && text[index + 1] == '"' -> {
                field.append('"')
                index++
            }
            char == '"' -> quoted = !quoted
            !quoted && char == ',' -> {
                row.add(field.toString())
                field.setLength(0)
            }
            !quoted && (char == '\n' || char == '\r') -> {
                if (char == '\r' && index + 1 < text.length && text[index + 1] == '\n') index++
                row.add(field.toString())
                field.setLength(0)
                rows.add(row)
                row = mutableListOf()
            }
            else -> field.append(char)
        }
        index++
    }
    if (field.isNotEmpty() || row.isNotEmpty()) {
        row.add(field.toString())
        rows.add(row)
    }
    return rows
}

private fun median(values: List<Long>): Long = values.sorted()[values.size / 2]

fun main(args: Array<String>) {
    val path = args.firstOrNull() ?: "../../shared/data/prompts/awesome-chatgpt-prompts.csv"
    val rows = parseCsv(File(path).readText())
    val column = rows.first().indexOf("prompt")
    check(column >= 0) { "$path has no `prompt` column" }
    val prompts = rows.drop(1).map { it[column] }
    val chars = prompts.sumOf { it.length }
    val bytes = prompts.sumOf { it.toByteArray(Charsets.UTF_8).size }

    val policy = Policy.default()
    val jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE)
    check(policy.countTokens(MODEL, "x").encoding == "o200k_base") { "$MODEL is not counted with o200k_base" }

    // Identical counts, prompt by prompt, before any timing.
    var mismatches = 0
    var tokens = 0L
    for ((index, prompt) in prompts.withIndex()) {
        val ours = policy.countTokens(MODEL, prompt).tokens
        val theirs = jtokkit.countTokensOrdinary(prompt).toLong()
        tokens += ours
        if (ours != theirs) {
            mismatches++
            System.err.println("prompt ${index + 1} (${prompt.length} chars): ingate $ours, jtokkit $theirs")
        }
    }
    if (mismatches > 0) {
        System.err.println("$mismatches of ${prompts.size} prompts counted differently")
        exitProcess(1)
    }

    fun timeIngate(): Long {
        val start = System.nanoTime()
        var sum = 0L
        for (prompt in prompts) sum += policy.countTokens(MODEL, prompt).tokens
        check(sum == tokens)
        return System.nanoTime() - start
    }

    fun timeJtokkit(): Long {
        val start = System.nanoTime()
        var sum = 0L
        for (prompt in prompts) sum += jtokkit.countTokensOrdinary(prompt)
        check(sum == tokens)
        return System.nanoTime() - start
    }

    repeat(WARMUP_ROUNDS) {
        timeIngate()
        timeJtokkit()
    }
    val ingateTimes = mutableListOf<Long>()
    val jtokkitTimes = mutableListOf<Long>()
    repeat(TIMED_ROUNDS) {
        ingateTimes.add(timeIngate())
        jtokkitTimes.add(timeJtokkit())
    }

    val ingate = median(ingateTimes)
    val baseline = median(jtokkitTimes)
    fun report(name: String, nanos: Long) {
        val seconds = nanos / 1e9
        println(
            "%-8s %8.1f ms/round  %8.0f prompts/s  %6.2f MB/s  %6.2f M tokens/s".format(
                java.util.Locale.ROOT, name, nanos / 1e6, prompts.size / seconds, bytes / 1e6 / seconds,
                tokens / 1e6 / seconds,
            ),
        )
    }
    println(
        "${prompts.size} prompts, $chars chars, $bytes UTF-8 bytes, $tokens o200k_base tokens; counts identical; " +
            "median of $TIMED_ROUNDS rounds after $WARMUP_ROUNDS warm-up rounds",
    )
    report("ingate", ingate)
    report("jtokkit", baseline)
    println("ratio: ingate is %.2fx jtokkit's throughput".format(java.util.Locale.ROOT, baseline.toDouble() / ingate))
}
