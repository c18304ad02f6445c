package dev.ingate

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.time.Instant
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

class ConcurrencyTest {
    @Test
    fun sharedPolicyEnforcesLimitAcrossThreads() {
        val policy = Policy.fromToml("[[budgets]]\nscope = \"acme\"\nrequests_per_minute = 10\n")
            .withClock(Instant.parse("2026-12-04T12:00:00Z"))
        val request = """{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}"""
        val pool = Executors.newFixedThreadPool(4)
        try {
            val outcomes = (1..40).map {
                pool.submit(Callable {
                    try {
                        policy.begin(request, "acme").use { call -> call.finish("""{"prompt_tokens": 8, "completion_tokens": 5}""") }
                        "allowed"
                    } catch (denied: BudgetExceededException) {
                        "denied"
                    }
                })
            }.map { it.get(60, TimeUnit.SECONDS) }
            assertEquals(10, outcomes.count { it == "allowed" })
            assertEquals(30, outcomes.count { it == "denied" })
        } finally {
            pool.shutdownNow()
        }
    }

    @Test
    fun examplePolicyFileLoads() {
        val policy = Policy.fromFile(repoRoot.resolve("examples/policy.toml"))
        assertEquals("gpt-4o-mini", policy.resolveModel("fast").chain[1])
    }
}
