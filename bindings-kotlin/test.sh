#!/usr/bin/env bash
# Builds and tests the Kotlin/JVM library: clippy on the uniffi crate, the Maven build
# (Rust library, generated Kotlin, JUnit tests, jar), the Java example against the jar,
# and the Kotlin replay example against `ingate replay`.
#
# Needs cargo, a JDK 17 or newer and Maven 3.8 or newer; Maven fetches its plugins and
# dependencies from Maven Central. Runs from any directory.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

echo "== cargo clippy -p ingate-kotlin"
cargo clippy -q -p ingate-kotlin -- -D warnings

echo "== mvn package (cargo build, uniffi bindgen, kotlinc, JUnit)"
# Maven 3.8 prints color resets even with -B; strip them so that the summary lines stay plain.
(cd bindings-kotlin && mvn -B -q package) 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
# -q hides Surefire's summary, so sum its per-class reports (Maven fails the build on any failure).
awk -F'[:,] *' '/^Tests run:/ { run += $2; failed += $4 + $6; skipped += $8 }
    END { printf "junit: %d passed, %d failed, %d skipped\n", run - failed - skipped, failed, skipped }' \
    bindings-kotlin/target/surefire-reports/*.txt

jar="bindings-kotlin/target/ingate-0.1.0.jar"
runtime_cp="$jar:$(cat bindings-kotlin/target/runtime-classpath.txt)"

echo "== Java example against the jar"
java_out="bindings-kotlin/target/java-example"
rm -rf "$java_out"
javac -Xlint:all -Werror -cp "$runtime_cp" -d "$java_out" examples/java/FirstCall.java
java -cp "$java_out:$runtime_cp" FirstCall

echo "== Kotlin replay example against ingate replay"
test_cp="bindings-kotlin/target/classes:bindings-kotlin/target/test-classes:$(cat bindings-kotlin/target/test-classpath.txt)"
cli_table="$(cargo run -q -p ingate-cli -- replay examples/traffic.jsonl --policy examples/policy.toml 2>/dev/null)"
jvm_table="$(java -cp "$test_cp" Replay examples/traffic.jsonl examples/policy.toml 2>/dev/null)"
# Column widths may differ; the cells of every row, TOTAL included, must not.
normalize() { tr -s ' ' | sed 's/ *$//'; }
if ! diff <(normalize <<<"$cli_table") <(normalize <<<"$jvm_table"); then
    echo "the Kotlin replay's summary differs from ingate replay's (diff above)" >&2
    exit 1
fi
grep '^TOTAL' <<<"$jvm_table"
echo "replay totals match ingate replay"
