#!/usr/bin/env bash
# Installs what Kiln's build, tests and tools need on a Debian machine with
# Swift, skipping whatever is already there (safe to run any number of times).
#
#   apt: the C libraries Kiln links (zstd, lz4, libdeflate for gzip, curl), Go (the
#        pprof target and reader the tests use), the JDK (javac, java and jfr make
#        and read the JFR recordings the tests check the JFR reader against),
#        Python's venv module, shellcheck
#   pip: tools/python/requirements.txt (every package pinned), installed into the
#        project's own virtual environment, $KILN_VENV (default .venv), which is
#        created when missing and rebuilt when the requirements or the
#        interpreter change. The tests and tools run its interpreter only, so
#        nothing depends on what the machine's own Python has installed.
#        The pinned wheels are kept in $KILN_WHEELS (default ~/.cache/kiln/wheels):
#        pip's own cache keeps nothing here (the index answers no-store), so a
#        fresh clone would download them all again.
#
# Environment: KILN_VENV (the virtual environment), KILN_PYTHON_BASE (the
# interpreter it is made from; default python3), KILN_WHEELS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

apt_packages=(
  libzstd-dev liblz4-dev libdeflate-dev libcurl4-openssl-dev pkg-config
  golang-go
  openjdk-17-jdk-headless
  python3 python3-venv
  shellcheck
)

die() {
  echo "setup: $*" >&2
  exit 1
}

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

install_apt() {
  local missing=() p sudo_cmd=() failed=()
  for p in "${apt_packages[@]}"; do
    installed "$p" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing apt packages: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq || die "apt-get update failed; cannot install ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; then
    # Name the package that fails, not just the batch.
    for p in "${missing[@]}"; do
      DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "$p" >/dev/null 2>&1 || failed+=("$p")
    done
    die "apt-get install failed for: ${failed[*]:-${missing[*]}}"
  fi
  for p in "${missing[@]}"; do
    installed "$p" || die "apt package $p is still not installed after apt-get install"
  done
}

# The virtual environment is current when its stamp names these requirements
# and this interpreter.
install_python() {
  local venv=${KILN_VENV:-$root/.venv}
  local base=${KILN_PYTHON_BASE:-python3}
  local requirements=$root/tools/python/requirements.txt
  local stamp=$venv/.kiln-requirements
  command -v "$base" >/dev/null || die "no $base to make the virtual environment with"
  local want
  want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$base" -c 'import sys; print(sys.version.split()[0])')"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  local start=$SECONDS
  echo "setup: building the Python environment $venv from tools/python/requirements.txt"
  rm -rf "$venv"
  "$base" -m venv "$venv" || die "$base -m venv $venv failed (Debian: apt-get install python3-venv)"
  local wheels=${KILN_WHEELS:-${XDG_CACHE_HOME:-$HOME/.cache}/kiln/wheels}
  local pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
  mkdir -p "$wheels"
  # From the kept wheels alone when they are all there; else fetch what is missing first.
  if ! "${pip[@]}" install --require-virtualenv --no-index --find-links "$wheels" -r "$requirements" 2>/dev/null; then
    "${pip[@]}" download --dest "$wheels" --find-links "$wheels" -r "$requirements" ||
      die "pip download -r tools/python/requirements.txt into $wheels failed"
    "${pip[@]}" install --require-virtualenv --no-index --find-links "$wheels" -r "$requirements" ||
      die "pip install -r tools/python/requirements.txt into $venv failed"
  fi
  echo "$want" >"$stamp"
  echo "setup: Python environment ready in $((SECONDS - start)) s"
}

install_apt
install_python
