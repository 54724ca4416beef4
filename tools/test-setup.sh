#!/usr/bin/env bash
# Tests tools/setup.sh itself: into an empty temporary virtual environment it
# must install every pinned package of tools/python/requirements.txt (and the
# programs and modules the tests use must work from it), and a second run must
# change nothing and install nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KILN_VENV=$tmp/venv

fail() {
  echo "test-setup: $*" >&2
  exit 1
}

first=$(tools/setup.sh 2>&1) || fail "first run failed: $first"
echo "$first"
grep -q "building the Python environment" <<<"$first" || fail "the first run built no environment"

# Every pinned package, at its pinned version (pip normalises names: '_' and '-', case).
normalise() { grep -v '^#' | tr '[:upper:]_' '[:lower:]-' | sort; }
want=$(normalise <tools/python/requirements.txt)
have=$("$KILN_VENV/bin/python" -m pip freeze --all --exclude pip --exclude setuptools --exclude wheel | normalise)
[ "$want" = "$have" ] || fail "installed packages differ from requirements.txt: $(diff <(echo "$want") <(echo "$have") || true)"

# What the tests and tools use from it.
"$KILN_VENV/bin/python" -c 'import boto3, duckdb, grpc, moto, numpy, opentelemetry.proto.profiles, pyarrow, pyroscope, requests' ||
  fail "a module the tests import does not load"
"$KILN_VENV/bin/moto_server" --help >/dev/null || fail "moto_server does not run"

before=$(find "$KILN_VENV" -printf '%p %s %T@\n' | sort)
second=$(tools/setup.sh 2>&1) || fail "second run failed: $second"
[ -z "$second" ] || fail "the second run was not silent: $second"
after=$(find "$KILN_VENV" -printf '%p %s %T@\n' | sort)
[ "$before" = "$after" ] || fail "the second run changed the environment"
echo "test-setup: the first run installed $(wc -l <<<"$want") packages; the second changed nothing"
