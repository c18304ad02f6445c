package dev.ingate

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.fail
import java.nio.file.Files
import java.time.Instant
import kotlin.io.path.extension
import kotlin.io.path.name
import kotlin.io.path.readText

/**
 * Runs the language-neutral vectors, the JSON files in tests/vectors, through the Kotlin API.
 *
 * Each case has an `op`, its `input`, and `expect` or `expect_error`; core/tests/vectors.rs
 * runs the same files in Rust. Offsets are compared in UTF-16 units, Kotlin's string index.
 */
class VectorsTest {
    private val files = Files.list(repoRoot.resolve("tests/vectors")).use { stream ->
        stream.filter { it.extension == "json" }.sorted().toList()
    }

    @TestFactory
    fun vectors(): List<DynamicTest> = files.flatMap { file ->
        val cases = JSONObject(file.readText()).getJSONArray("cases")
        (0 until cases.length()).map { index ->
            val case = cases.getJSONObject(index)
            DynamicTest.dynamicTest("${file.name}: ${case.getString("name")}") { runCase(case) }
        }
    }

    @Test
    fun vectorFilesCoverEveryOp() {
        val ops = files.flatMap { file ->
            val cases = JSONObject(file.readText()).getJSONArray("cases")
            (0 until cases.length()).map { cases.getJSONObject(it).getString("op") }
        }.toSet()
        assertEquals(setOf("count_tokens", "count_chat", "resolve_model", "redact", "cost", "estimate_energy"), ops)
    }

    private fun runCase(case: JSONObject) {
        val name = case.getString("name")
        val input = case.getJSONObject("input")
        val result = try {
            Result.success(run(case.getString("op"), input))
        } catch (error: IngateException) {
            Result.failure(error)
        }
        when {
            case.has("expect") -> {
                val actual = result.getOrElse { fail("$name: unexpected ${it.javaClass.simpleName}: ${it.message}") }
                assertMatches(name, "", case.get("expect"), actual)
            }
            case.has("expect_error") -> {
                val error = result.exceptionOrNull() as? IngateException
                    ?: fail("$name: expected an error, got ${result.getOrNull()}")
                assertMatches(name, "error", case.get("expect_error"), errorJson(error))
            }
            else -> fail("$name: the case has neither `expect` nor `expect_error`")
        }
    }

    private fun policyFor(input: JSONObject): Policy {
        val policy = if (input.has("policy")) Policy.fromToml(input.getString("policy")) else Policy.default()
        val today = input.optString("today", "2026-12-04")
        return policy.withClock(Instant.parse("${today}T12:00:00Z"))
    }

    private fun run(op: String, input: JSONObject): Any = policyFor(input).use { policy ->
        when (op) {
            "count_tokens" -> tokenJson(policy.countTokens(input.getString("model"), input.getString("text")))
            "count_chat" -> tokenJson(policy.countChat(input.getJSONObject("request").toString()))
            "resolve_model" -> policy.resolveModel(input.getString("name")).let {
                JSONObject().put("model", it.model).put("chain", JSONArray(it.chain))
            }
            "redact" -> redactJson(input.getString("text"), policy.redact(input.getString("text")))
            "cost" -> cost(policy, input.getString("model"), input.getJSONObject("usage").toString())
            "estimate_energy" -> policy.estimateEnergy(
                input.getString("model"),
                input.getLong("input_tokens"),
                input.getLong("output_tokens"),
                input.optString("region").ifEmpty { null },
            ).let(::energyJson)
            else -> fail("unknown op `$op`")
        }
    }

    /** Prices usage through the public lifecycle: begin a call on the model, finish it with the usage. */
    private fun cost(policy: Policy, model: String, usageJson: String): JSONObject {
        val message = JSONObject().put("role", "user").put("content", "x")
        val request = JSONObject().put("model", model).put("messages", JSONArray().put(message)).toString()
        return policy.begin(request).use { call ->
            JSONObject().put("cost_usd", call.finish(usageJson).costUsd.toPlainString())
        }
    }

    private fun tokenJson(count: TokenCount) = JSONObject()
        .put("tokens", count.tokens).put("exact", count.exact).put("encoding", count.encoding)

    private fun redactJson(original: String, redaction: Redaction): JSONObject {
        val findings = redaction.findings.map { finding ->
            // The vectors' byte and code point offsets are derived from the UTF-16 offsets Kotlin gets.
            val before = original.substring(0, finding.start)
            val value = original.substring(finding.start, finding.end)
            JSONObject()
                .put("kind", finding.kind)
                .put("vendor", finding.vendor ?: JSONObject.NULL)
                .put("replacement", finding.replacement)
                .put("start_utf16", finding.start)
                .put("end_utf16", finding.end)
                .put("start_code_points", before.codePointCount(0, before.length))
                .put("end_code_points", before.codePointCount(0, before.length) + value.codePointCount(0, value.length))
                .put("start", before.toByteArray(Charsets.UTF_8).size)
                .put("end", before.toByteArray(Charsets.UTF_8).size + value.toByteArray(Charsets.UTF_8).size)
        }
        return JSONObject().put("text", redaction.text).put("findings", JSONArray(findings))
    }

    private fun estimateJson(estimate: Estimate) = JSONObject()
        .put("low", estimate.low).put("value", estimate.value).put("high", estimate.high)

    private fun energyJson(energy: Energy) = JSONObject()
        .put("wh", estimateJson(energy.wh))
        .put("co2e_g", estimateJson(energy.co2eG))
        .put("water_ml", estimateJson(energy.waterMl))
        .put("zone", energy.zone)
        .put("location_based", energy.locationBased)
        .put("parameters_assumed", energy.parametersAssumed)
        .put("method", energy.method)

    private fun errorJson(error: IngateException): JSONObject {
        val json = JSONObject().put("kind", error.kind).put("message", error.message)
        when (error) {
            is ModelRetiredException -> json
                .put("successor", error.successor ?: JSONObject.NULL)
                .put("shutdown", error.shutdown?.toString() ?: JSONObject.NULL)
            is UnknownModelException -> json.put("suggestions", JSONArray(error.suggestions))
            is RedactionBlockedException -> json.put("detector", error.detector)
            else -> {}
        }
        return json
    }

    /** Checks that every key of [expected] matches [actual]; floats compare with a relative tolerance. */
    private fun assertMatches(case: String, path: String, expected: Any?, actual: Any?) {
        when (expected) {
            is JSONObject -> for (key in expected.keySet()) {
                val child = (actual as? JSONObject)?.opt(key)
                assertMatches(case, "$path.$key", expected.get(key), child ?: JSONObject.NULL)
            }
            is JSONArray -> {
                val array = actual as? JSONArray ?: fail("$case: $path is $actual, expected an array")
                assertEquals(expected.length(), array.length(), "$case: $path has ${array.length()} items: $array")
                for (index in 0 until expected.length()) {
                    assertMatches(case, "$path[$index]", expected.get(index), array.get(index))
                }
            }
            is Double, is java.math.BigDecimal -> {
                val e = (expected as Number).toDouble()
                val a = (actual as? Number)?.toDouble() ?: fail("$case: $path is $actual, expected $e")
                val tolerance = 1e-9 * maxOf(Math.abs(e), 1e-12)
                assertTrue(Math.abs(e - a) <= tolerance, "$case: $path is $a, expected $e")
            }
            is Number -> {
                val a = actual as? Number ?: fail("$case: $path is $actual, expected $expected")
                assertEquals(expected.toLong(), a.toLong(), "$case: $path")
            }
            else -> assertEquals(expected, actual, "$case: $path")
        }
    }
}
