package dev.ingate

import java.nio.file.Path
import java.nio.file.Paths

/** The repository root: the `ingate.repo` system property that Surefire sets, else the parent folder. */
internal val repoRoot: Path =
    Paths.get(System.getProperty("ingate.repo") ?: "..").toAbsolutePath().normalize()
