#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds
# Kiln (the end-to-end tests start the real `kiln` binary and the real
# pyroscope-io agent), runs every test, and closes with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
start=$(date +%s)
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test --skip-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "test.sh: build and tests took $(( $(date +%s) - start )) s"
# Swift Testing's closing line: "✔ Test run with N tests in M suites passed …"
# or "✘ Test run with N tests in M suites failed … with K issues".
summary=$(grep -E 'Test run with [0-9]+ tests? ' "$log" | tail -n 1 || true)
total=$(sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' <<<"$summary")
failed=$(grep -cE '^✘ Test .* failed after' "$log" || true)
if [ -z "$total" ] || [ "$total" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
echo "$(( total - failed )) passed, $failed failed"
exit "$status"
