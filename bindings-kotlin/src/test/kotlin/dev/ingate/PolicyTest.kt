package dev.ingate

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.math.BigDecimal
import java.nio.file.Path
import java.time.Instant
import java.time.LocalDate
import kotlin.io.path.writeText

class PolicyTest {
    private val now = Instant.parse("2026-12-04T12:00:00Z")

    private fun chat(model: String, content: String, maxTokens: Int = 100) =
        """{"model": "$model", "messages": [{"role": "user", "content": "$content"}], "max_tokens": $maxTokens}"""

    @Test
    fun countTokensIsExactForOpenAi() {
        val count = Policy.default().countTokens("gpt-4o", "Hello, world!")
        assertEquals(TokenCount(4, true, "o200k_base"), count)
    }

    @Test
    fun countTokensTopLevelUsesDefaultPolicy() {
        assertEquals(4, countTokens("gpt-4o", "Hello, world!").tokens)
    }

    @Test
    fun countChatTypedMatchesJson() {
        val policy = Policy.default()
        val typed = policy.countChat(ChatRequest("gpt-4o", listOf(ChatMessage.user("Hello there"))))
        val json = policy.countChat(chat("gpt-4o", "Hello there"))
        assertEquals(json, typed)
        assertTrue(typed.tokens > 2)
    }

    @Test
    fun firstCallRedactsRestoresAndSettles() {
        val policy = Policy.fromToml(
            """
            [models.aliases]
            fast = "gpt-4o-mini"
            [[budgets]]
            scope = "acme/search"
            usd_per_day = "100"
            """.trimIndent(),
        ).withClock(now)
        val record = policy.begin(chat("fast", "Write to jane@example.com"), "acme/search", mapOf("team" to "search")).use { call ->
            assertTrue(call.request.contains("Write to <EMAIL_1>"), "the request sent is redacted")
            assertFalse(call.request.contains("jane@example.com"))
            assertEquals("acme/search", call.scope)
            assertEquals("Wrote to jane@example.com.", call.restore("Wrote to <EMAIL_1>."))
            assertTrue(call.reservedUsd > BigDecimal.ZERO)
            call.finish("""{"prompt_tokens": 12, "completion_tokens": 7}""")
        }
        assertEquals(BigDecimal("0.000006"), record.costUsd)
        assertEquals(12, record.inputTokens)
        assertEquals(7, record.outputTokens)
        assertEquals(mapOf("email" to 1L), record.redactions)
        assertEquals(mapOf("team" to "search"), record.tags)
        assertEquals(now, record.ts)
        assertTrue(record.allowed)
        assertTrue(record.json.contains("\"gen_ai.usage.input_tokens\":12"))
    }

    @Test
    fun finishWithTypedUsage() {
        Policy.default().withClock(now).begin(ChatRequest("gpt-4o-mini", listOf(ChatMessage.user("hi")), 10)).use { call ->
            val record = call.finish(Usage(inputTokens = 12, outputTokens = 7))
            assertEquals(BigDecimal("0.000006"), record.costUsd)
        }
    }

    @Test
    fun usageFromJsonReadsAnthropicShape() {
        val usage = Usage.fromJson("""{"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 20}""")
        assertEquals(30, usage.inputTokens)
        assertEquals(20, usage.cachedReadTokens)
        assertEquals(5, usage.outputTokens)
    }

    @Test
    fun negativeUsageIsInvalidRequest() {
        Policy.default().begin(chat("gpt-4o", "hi")).use { call ->
            val error = assertThrows<InvalidRequestException> { call.finish(Usage(-1, 0)) }
            assertTrue(error.message.contains("inputTokens"), error.message)
        }
    }

    /** Builds a policy that allows one request per minute at `acme`. */
    private fun oneRequestPolicy() = Policy.fromToml(
        """
        [[budgets]]
        scope = "acme"
        requests_per_minute = 1
        """.trimIndent(),
    ).withClock(now)

    @Test
    fun closeWithoutFinishReleasesReservation() {
        val policy = oneRequestPolicy()
        val call = policy.begin(chat("gpt-4o", "hi"), "acme")
        call.close()

        // The first reservation was released, so a second call fits the limit of one.
        policy.begin(chat("gpt-4o", "hi"), "acme").use { second ->
            assertEquals(BigDecimal.ZERO, second.finish("""{"prompt_tokens": 0, "completion_tokens": 0}""").costUsd)
        }
    }

    @Test
    fun useWithoutFinishAbortsAsDropped() {
        val policy = oneRequestPolicy()
        policy.begin(chat("gpt-4o", "hi"), "acme").use { }
        policy.begin(chat("gpt-4o", "hi"), "acme").use { call ->
            val record = call.abort("vendor_error")
            assertEquals("vendor_error", record.abortReason)
        }
    }

    @Test
    fun budgetExceededCarriesFieldsAndRecord() {
        val policy = oneRequestPolicy()
        policy.begin(chat("gpt-4o", "hi"), "acme/search").use { call ->
            call.finish("""{"prompt_tokens": 3, "completion_tokens": 1}""")
        }
        val error = assertThrows<BudgetExceededException> { policy.begin(chat("gpt-4o", "hi"), "acme/search") }
        assertEquals("budget_exceeded", error.kind)
        assertEquals("acme", error.scope)
        assertEquals("requests", error.unit)
        assertEquals("minute", error.window)
        assertEquals(BigDecimal.ONE, error.limit)
        assertEquals(BigDecimal.ONE, error.spent)
        assertEquals(BigDecimal.ONE, error.requested)
        assertEquals(Instant.parse("2026-12-04T12:01:00Z"), error.resetsAt)
        assertTrue(error.message.startsWith("budget exceeded for scope `acme`"), error.message)
        val record = assertNotNull(error.record).let { error.record!! }
        assertEquals("denied", record.decision)
        assertEquals("budget_exceeded", record.denyReason)
        assertEquals("acme/search", record.scope)
    }

    @Test
    fun errorsAreOneSealedHierarchy() {
        val error: IngateException = assertThrows<UnknownModelException> { Policy.default().countTokens("gpt-4o-minii", "x") }
        val described = when (error) {
            is UnknownModelException -> "unknown ${error.name}, suggestions ${error.suggestions}"
            is InvalidPolicyException, is InvalidCatalogException, is ModelRetiredException,
            is ContextWindowExceededException, is BudgetExceededException, is RedactionBlockedException,
            is StoreUnavailableException, is InvalidRequestException, is OtherIngateException,
            -> "other"
        }
        assertTrue(described.startsWith("unknown gpt-4o-minii"), described)
        assertTrue(error.suggestions().contains("gpt-4o-mini"), described)
        assertTrue(error.message.startsWith("unknown model `gpt-4o-minii`; did you mean"), error.message)
        assertNull(error.record)
    }

    private fun IngateException.suggestions() = (this as UnknownModelException).suggestions

    @Test
    fun modelRetiredHasDateAndSuccessor() {
        val error = assertThrows<ModelRetiredException> { Policy.default().withClock(now).resolveModel("gpt-4-32k") }
        assertEquals(LocalDate.of(2025, 6, 6), error.shutdown)
        assertEquals("gpt-4o", error.successor)
        assertTrue(error.retired)
        assertEquals("model `gpt-4-32k` retired on 2025-06-06, successor `gpt-4o`", error.message)
    }

    @Test
    fun invalidPolicyFileHasPathLineColumn(@TempDir dir: Path) {
        val file = dir.resolve("policy.toml")
        file.writeText("[models]\non_deprecated = \"warn\"\n\n[budget]\nscope = \"acme\"\n")
        val error = assertThrows<InvalidPolicyException> { Policy.fromFile(file) }
        assertEquals(file.toString(), error.path)
        assertEquals(4, error.line)
        assertNotNull(error.column)
        assertTrue(error.message.startsWith("invalid policy: $file:4:"), error.message)
    }

    @Test
    fun contextWindowExceededHasLimit() {
        val long = "word ".repeat(140_000)
        val error = assertThrows<ContextWindowExceededException> { Policy.default().begin(chat("gpt-4o", long)) }
        assertEquals("gpt-4o", error.model.substringBefore("-20"))
        assertTrue(error.tokens > error.limit)
        assertFalse(error.message.contains("word word"), "the message holds no prompt text")
    }

    @Test
    fun redactionBlockedNamesDetector() {
        val policy = Policy.fromToml("[redaction]\noperator = \"block\"\n")
        val error = assertThrows<RedactionBlockedException> { policy.begin(chat("gpt-4o", "mail jane@example.com")) }
        assertEquals("email", error.detector)
        assertEquals(1, error.count)
        assertFalse(error.message.contains("jane@example.com"))
        assertEquals("redaction_blocked", error.record?.denyReason)
    }

    @Test
    fun invalidJsonRequestIsInvalidRequest() {
        val error = assertThrows<InvalidRequestException> { Policy.default().countChat("{not json") }
        assertTrue(error.message.startsWith("invalid request"), error.message)
    }

    @Test
    fun estimateEnergyHasRangeAndZone() {
        val energy = Policy.default().estimateEnergy("gpt-4o", 1000, 500, "us-east-1")
        assertEquals("USA", energy.zone)
        assertTrue(energy.wh.low < energy.wh.value, energy.toString())
        assertTrue(energy.wh.value < energy.wh.high, energy.toString())
        assertThrows<InvalidRequestException> { Policy.default().estimateEnergy("gpt-4o", -1, 0) }
    }

    @Test
    fun resolveModelFollowsAliases() {
        val policy = Policy.fromToml("[models.aliases]\nfast = \"gpt-4o-mini\"\n").withClock(now)
        val resolution = policy.resolveModel("fast")
        assertEquals("fast", resolution.chain.first())
        assertTrue(resolution.model.startsWith("gpt-4o-mini"), resolution.model)
    }

    @Test
    fun unknownRegionIsInvalidPolicy() {
        val error = assertThrows<InvalidPolicyException> { Policy.fromToml("[energy]\nregion = \"us-middle-9\"\n") }
        assertTrue(error.message.contains("us-middle-9"), error.message)
    }
}
