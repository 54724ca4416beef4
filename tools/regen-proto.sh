#!/usr/bin/env bash
# Regenerates Sources/KilnProto/*.pb.swift from Sources/KilnProto/proto/.
#
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift of the same
# swift-protobuf version the package depends on. The plugin is built once in a
# scratch directory outside the package's own .build, because building it in
# the package's tree forces a full rebuild afterwards. CI never runs this: the
# generated code is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=1.39.0
work=${KILN_PROTOC_WORK:-/tmp/kiln-protoc-gen-swift}

command -v protoc >/dev/null || { apt-get update -qq && apt-get install -y -qq protobuf-compiler; }
plugin="$work/src/.build/release/protoc-gen-swift"
if [ ! -x "$plugin" ]; then
  rm -rf "$work" && mkdir -p "$work"
  git clone -q --branch "$version" https://github.com/apple/swift-protobuf "$work/src"
  (cd "$work/src" && swift build -c release --product protoc-gen-swift)
fi

cd "$root/Sources/KilnProto/proto"
rm -f "$root"/Sources/KilnProto/*.pb.swift
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_out="$root/Sources/KilnProto" \
  --swift_opt=Visibility=Public \
  --swift_opt=FileNaming=PathToUnderscores \
  types/v1/types.proto push/v1/push.proto querier/v1/querier.proto google/v1/profile.proto \
  parca/profilestore/v1alpha1/profilestore.proto parca/query/v1alpha1/query.proto \
  parca/debuginfo/v1alpha1/debuginfo.proto kiln/ingester/v1/ingester.proto \
  opentelemetry/proto/common/v1/common.proto opentelemetry/proto/resource/v1/resource.proto \
  opentelemetry/proto/profiles/v1development/profiles.proto \
  opentelemetry/proto/collector/profiles/v1development/profiles_service.proto \
  settings/v1/setting.proto capabilities/v1/feature_flags.proto
ls "$root"/Sources/KilnProto/*.pb.swift
