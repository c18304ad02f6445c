package dev.ingate

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class RedactionTest {
    private val policy = Policy.default()

    @Test
    fun offsetsAreUtf16AfterEmoji() {
        // U+1F600 and U+1D11E are astral-plane characters: two UTF-16 units, four UTF-8 bytes each.
        val text = "\uD83D\uDE00 hi \uD834\uDD1E é mail jane@example.com now"
        val redaction = policy.redact(text)
        val finding = redaction.findings.single()
        assertEquals("email", finding.kind)
        assertEquals("jane@example.com", text.substring(finding.start, finding.end))
        assertEquals(text.indexOf("jane@"), finding.start)
        assertEquals("\uD83D\uDE00 hi \uD834\uDD1E é mail <EMAIL_1> now", redaction.text)
    }

    @Test
    fun offsetsOfSeveralFindingsSliceTheOriginal() {
        val text = "\uD83D\uDC4D a@example.com, \uD83C\uDDEB\uD83C\uDDF7 b@example.org and 4111 1111 1111 1111"
        val redaction = policy.redact(text)
        val values = redaction.findings.map { text.substring(it.start, it.end) }
        assertEquals(listOf("a@example.com", "b@example.org", "4111 1111 1111 1111"), values)
        assertEquals(listOf("email", "email", "credit_card"), redaction.findings.map { it.kind })
    }

    @Test
    fun toStringHidesTextAndValues() {
        val text = "mail jane@example.com"
        val redaction = policy.redact(text)
        val shown = redaction.toString()
        assertFalse(shown.contains("jane"), shown)
        assertFalse(shown.contains("example.com"), shown)
        assertTrue(shown.contains("<${redaction.text.length} chars>"), shown)
        assertFalse(ChatMessage.user(text).toString().contains("jane"))
    }

    @Test
    fun streamRestorerHoldsBackSplitPlaceholder() {
        policy.begin("""{"model": "gpt-4o", "messages": [{"role": "user", "content": "mail jane@example.com"}]}""").use { call ->
            val restorer = call.restoreStream()
            val emitted = StringBuilder()
            for (chunk in listOf("Sent to <EM", "AIL_", "1>", " today.")) {
                emitted.append(restorer.push(chunk))
            }
            emitted.append(restorer.finish())
            assertEquals("Sent to jane@example.com today.", emitted.toString())
            val error = assertThrows<InvalidRequestException> { restorer.push("more") }
            assertTrue(error.message.contains("already finished"), error.message)
        }
    }

    @Test
    fun restoreAllYieldsRestoredChunks() {
        policy.begin("""{"model": "gpt-4o", "messages": [{"role": "user", "content": "mail jane@example.com"}]}""").use { call ->
            val restored = call.restoreStream().restoreAll(listOf("<EMAIL", "_1> ok")).joinToString("")
            assertEquals("jane@example.com ok", restored)
        }
    }

    @Test
    fun restoreJsonEscapesRestoredValues() {
        // The policy's own pattern matches a value with a quote, a backslash, a tab and a non-ASCII letter.
        val toml = """
            [redaction]
            detectors = []
            [[redaction.patterns]]
            name = "code"
            regex = 'C"[^ ]+'
        """.trimIndent()
        // The request is JSON, so the content decodes to: Use C"a\b<tab>ü now
        val request = """{"model": "gpt-4o", "messages": [{"role": "user", "content": "Use C\"a\\b\tü now"}]}"""
        Policy.fromToml(toml).use { codePolicy ->
            codePolicy.begin(request).use { call ->
                assertEquals("Use <CODE_1> now", Regex(""""content":"([^"]*)"""").find(call.request)?.groupValues?.get(1))

                val restored = call.restoreJson("""{"code": "<CODE_1>", "other": "<CODE_2>"}""")
                assertEquals("""{"code": "C\"a\\b\tü", "other": "<CODE_2>"}""", restored)

                val restorer = call.restoreJsonStream()
                val pieces = listOf("""{"code": "<CO""", "DE_1>\"", """, "x": "<CO""").map { restorer.push(it) }
                assertEquals(listOf("""{"code": """", """C\"a\\b\tü"""", """, "x": """"), pieces)
                assertEquals("<CO", restorer.finish())
            }
        }
    }

    @Test
    fun restoreLeavesForeignPlaceholders() {
        policy.begin("""{"model": "gpt-4o", "messages": [{"role": "user", "content": "mail jane@example.com"}]}""").use { call ->
            assertEquals("jane@example.com and <EMAIL_2>", call.restore("<EMAIL_1> and <EMAIL_2>"))
        }
    }
}
