#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing
# (tools/setup.sh), checks that every program the tests start is there, runs
# the project's own checks (scripts, formatting, the set-up itself), builds
# Kiln (the end-to-end tests start the real `kiln` binary), runs every Swift
# test and a short run of each fuzz target, and closes with one line:
# "N passed, M failed", counting Swift tests and the checks.
#
# Arguments go to `swift test` (e.g. --filter WALTests). KILN_FUZZ_SECONDS sets
# the fuzz run per target (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
tools/setup.sh
venv=${KILN_VENV:-$PWD/.venv}
python=$venv/bin/python

# Every program a test starts, and where it comes from.
required=(
  "go:apt golang-go (builds the pprof scrape target, reads Kiln's pprof)"
  "$python:tools/setup.sh (the project's Python environment)"
  "$venv/bin/moto_server:tools/setup.sh (moto[server], the S3 server of the bucket tests)"
  "shellcheck:apt shellcheck"
)
missing=0
for entry in "${required[@]}"; do
  program=${entry%%:*}
  command -v "$program" >/dev/null || {
    echo "test.sh: missing $program, from ${entry#*:}" >&2
    missing=1
  }
done
swift format --version >/dev/null 2>&1 || {
  echo "test.sh: missing swift format (the Swift toolchain's formatter)" >&2
  missing=1
}
[ "$missing" -eq 0 ] || exit 1

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
checks_passed=0
checks_failed=()
# check NAME COMMAND…: one of the project's own checks, counted in the closing line.
check() {
  local name=$1
  shift
  echo "== check: $name"
  if "$@" >"$log/check" 2>&1; then
    checks_passed=$((checks_passed + 1))
    echo "✔ check $name passed"
  else
    tail -n 40 "$log/check"
    checks_failed+=("$name")
    echo "✘ check $name failed"
  fi
}

parses() {
  local f
  for f; do bash -n "$f" || return 1; done
}
scripts=(tools/*.sh tools/python/*.sh Fuzz/*.sh .ci/run)
check "bash -n" parses "${scripts[@]}"
check shellcheck shellcheck "${scripts[@]}"
check "swift format lint" swift format lint --strict --parallel --recursive Sources Tests Fuzz Package.swift
check "imports match Package.swift" "$python" tools/check-imports.py
check "set-up into an empty environment" tools/test-setup.sh

swift build --build-tests
set +e
swift test --skip-build --xunit-output "$log/xunit.xml" "$@" 2>&1 | tee "$log/swift-test"
status=${PIPESTATUS[0]}
set -e
# The fuzz targets must keep building and running: a short bounded run of each.
check "fuzz smoke run" Fuzz/run.sh "${KILN_FUZZ_SECONDS:-10}"
echo "test.sh: set-up, checks, build and tests took $((SECONDS - start)) s"

# Swift Testing's xUnit report: one <testcase> per test, with <failure> children when it failed.
read -r total failed < <("$python" - "$log/xunit-swift-testing.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
except (OSError, ET.ParseError):
    cases = []
print(len(cases), sum(1 for c in cases if c.find("failure") is not None))
PY
)
if [ "$total" -eq 0 ]; then
  echo "test.sh: no Swift test ran" >&2
  exit 1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "test.sh: swift test exited $status without a failed test (a crash?)" >&2
  failed=1
fi
for name in "${checks_failed[@]}"; do echo "test.sh: check failed: $name"; done
echo "$((total - failed + checks_passed)) passed, $((failed + ${#checks_failed[@]})) failed"
[ "$status" -eq 0 ] && [ ${#checks_failed[@]} -eq 0 ]
