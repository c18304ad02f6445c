package dev.ingate

import dev.ingate.ffi.uniffiEnsureInitialized

/**
 * Loads the native library once and runs uniffi's integrity check.
 *
 * The check compares the checksum of every exported function with the generated Kotlin, so a
 * jar built from other sources than the library fails here with a clear error instead of
 * crashing the JVM on the first mismatched call.
 */
internal object NativeLibrary {
    private val loadError: Throwable? = try {
        uniffiEnsureInitialized()
        null
    } catch (error: LinkageError) {
        error
    } catch (error: RuntimeException) {
        error
    }

    /** Throws [IllegalStateException] when the library failed to load or does not match this jar. */
    fun ensureLoaded() {
        val error = loadError ?: return
        throw IllegalStateException(
            "the ingate native library `ingate_kotlin` failed to load or does not match this jar " +
                "(${error.message}); put libingate_kotlin.so on `-Djna.library.path` or rebuild the jar " +
                "with `mvn package` in bindings-kotlin",
            error,
        )
    }
}
