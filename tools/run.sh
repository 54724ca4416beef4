#!/usr/bin/env bash
# Runs the Kiln server with its embedded defaults (all roles in one process,
# listening on 0.0.0.0:4040), after installing what is missing.
# Extra arguments go to `kiln` (see `kiln --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
exec swift run -c release kiln "$@"
