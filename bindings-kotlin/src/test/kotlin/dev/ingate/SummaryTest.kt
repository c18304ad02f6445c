package dev.ingate

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.math.BigDecimal
import java.time.Instant

class SummaryTest {
    @Test
    fun summarySumsCostExactlyAndCountsDenials() {
        val policy = Policy.fromToml("[[budgets]]\nscope = \"acme\"\nrequests_per_minute = 3\n")
            .withClock(Instant.parse("2026-12-04T12:00:00Z"))
        val request = """{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}"""
        Summary().use { summary ->
            repeat(4) {
                try {
                    policy.begin(request, "acme").use { call ->
                        summary.add(call.finish("""{"prompt_tokens": 1000, "completion_tokens": 100}"""))
                    }
                } catch (denied: BudgetExceededException) {
                    summary.add(denied.record!!)
                }
            }
            val total = summary.total
            assertEquals(4, total.calls)
            assertEquals(mapOf("budget_exceeded" to 1L), total.denied)
            assertEquals(3000, total.inputTokens)
            assertEquals(300, total.outputTokens)
            // 3 x (1000 x $0.15/M + 100 x $0.60/M) = 3 x $0.00021
            assertEquals(BigDecimal("0.00063"), total.costUsd)
            assertEquals(listOf("acme"), summary.groups.map { it.scope })
        }
    }
}
