#!/usr/bin/env bash
# Installs what Kiln's build and tests need on a Debian machine with Swift,
# skipping whatever is already there (safe to run any number of times).
#
#   apt: the C libraries Kiln links (zstd, lz4, libdeflate for gzip, curl) and Go (the pprof
#        reader the tests check Kiln's output with)
#   pip: the real Pyroscope agent the end-to-end tests run against the server,
#        and moto[server] (with boto3): the S3-compatible server the object-store tests start
set -euo pipefail

apt_packages=(libzstd-dev liblz4-dev libdeflate-dev libcurl4-openssl-dev pkg-config golang-go)
pip_packages=(pyroscope-io==1.4.0 requests "moto[server]")

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
missing=()
for p in "${pip_packages[@]}"; do
  name=${p%%==*}
  name=${name%%[*}
  want=${p#*==}; [ "$want" = "$p" ] && want=""
  have=$("$python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
  if [ -z "$have" ] || { [ -n "$want" ] && [ "$have" != "$want" ]; }; then missing+=("$p"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing pip packages: ${missing[*]}"
  "$python" -m pip install -q --disable-pip-version-check "${missing[@]}"
fi
