#!/usr/bin/env bash
# Token counting benchmark: ingate from Kotlin (JNA crossing included) against jtokkit,
# over every prompt of awesome-chatgpt-prompts.csv. Not part of test.sh.
#
# Usage: bindings-kotlin/bench.sh [PROMPTS.csv]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
prompts="${1:-$here/../../shared/data/prompts/awesome-chatgpt-prompts.csv}"

mvn -B -q package -DskipTests
classpath="target/classes:target/test-classes:$(cat target/test-classpath.txt)"
java -cp "$classpath" dev.ingate.bench.TokenBench "$prompts"
