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
# The fuzz targets must keep building and running: a short bounded run of each.
if [ "$status" -eq 0 ]; then
  Fuzz/run.sh "${KILN_FUZZ_SECONDS:-10}" >"$log.fuzz" 2>&1 || { tail -n 40 "$log.fuzz"; status=1; echo "✘ Test fuzz smoke run failed after 0 seconds" >>"$log"; }
  grep -E '^== |^Done ' "$log.fuzz" || true
  rm -f "$log.fuzz"
fi
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
