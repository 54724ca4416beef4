#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds
# Kiln (the end-to-end tests start the real `kiln` binary), runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
start=$(date +%s)
swift build --build-tests
swift test --skip-build "$@"
echo "test.sh: build and tests took $(( $(date +%s) - start )) s"
