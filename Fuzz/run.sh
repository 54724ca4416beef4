#!/usr/bin/env bash
# Builds Kiln's libFuzzer targets and runs each for a bounded time, seeded
# from testdata/. Usage: Fuzz/run.sh [seconds-per-target] [target…]
# A crash leaves its input as Fuzz/crash-*; promote it into testdata/ with a test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzPprofDecode FuzzWALSegment FuzzColumnarFile FuzzCacheChunk FuzzSelectorParse FuzzJSONDocuments FuzzJFRRecording FuzzArrowStream)

cd "$here"
# ld.gold warns once per ASan helper symbol; keep the log, show it on failure.
log=$(mktemp)
if ! swift build -c debug --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >"$log" 2>&1; then
  grep -v "Cannot export local symbol" "$log" >&2
  exit 1
fi
rm -f "$log"
bin=$(swift build -c debug --scratch-path .build-fuzz --show-bin-path)

for t in "${targets[@]}"; do
  corpus="$here/corpus-$t"
  mkdir -p "$corpus"
  case "$t" in
    FuzzPprofDecode)
      cp "$root"/testdata/pprof/*.pb* "$corpus"/
      # Raw copies too: mutating the protobuf directly reaches far more code than mutating gzip.
      for f in "$root"/testdata/pprof/*.pb.gz; do gzip -dc "$f" > "$corpus/$(basename "$f" .gz).raw"; done ;;
    FuzzSelectorParse)
      cp "$root"/testdata/selectors/* "$corpus"/ ;;
    FuzzColumnarFile)
      for f in "$root"/testdata/blocks/*/*.kcol; do cp "$f" "$corpus/$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
    FuzzCacheChunk)
      cp "$root"/testdata/cache/* "$corpus"/ ;;
    FuzzJSONDocuments)
      cp "$root"/testdata/ownership/* "$root"/testdata/settings/* "$corpus"/
      for d in "$root"/testdata/blocks/*/; do cp "$d/meta.json" "$corpus/$(basename "$d")-meta.json"; done ;;
    FuzzJFRRecording)
      # The async-profiler-shaped recording is small enough to mutate whole; the JDK's is not.
      cp "$root"/testdata/jfr/*.jfr "$corpus"/ ;;
    FuzzArrowStream)
      cp "$root"/testdata/arrow/*.arrows "$corpus"/ ;;
    FuzzWALSegment)
      for d in "$root"/testdata/wal/*/; do
        for f in "$d"0*; do cp "$f" "$corpus/$(basename "$d")-$(basename "$f")"; done
      done ;;
  esac
  echo "== $t for ${seconds}s"
  "$bin/$t" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$here/crash-$t-"
done
