"""Writes the Arrow IPC golden files of testdata/arrow/ with pyarrow, and beside each what pyarrow reads back.

    .venv/bin/python tools/make-arrow-goldens.py

- parca-v2-samples.arrows: Parca Agent's v2 WriteArrow samples (tools/e2e/parca_arrow.py, seed 1, 60 rows), LZ4_FRAME.
- types.arrows: every type of the reader's subset (docs/format/arrow-ipc.md), with nulls, in two record batches:
  the first zstd-compressed, the second uncompressed (two streams concatenated are not a stream, so the
  compression differs per file: types.arrows is zstd, types-plain.arrows the same rows uncompressed).
- *.rows.jsonl: `to_pylist()` of every batch, a `# batch N` line before each, one row a line as canonical JSON
  (sorted keys, no spaces; timestamps as integers, binary as hex, UUIDs as hex): what Kiln's reader must decode (Tests/KilnArrowTests/ArrowStreamReaderTests.swift).

Run once; the files are committed and read by the tests forever. Regenerating changes them only if pyarrow does.
"""
import datetime
import json
import os
import sys
import uuid

import pyarrow as pa

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "e2e"))
import parca_arrow  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "testdata", "arrow")


def plain(v):
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, uuid.UUID):
        return v.hex
    if isinstance(v, datetime.datetime):
        raise TypeError("timestamps are read as integers")
    return v


def rows(data):
    reader = pa.ipc.open_stream(data)
    out = []
    for batch in reader:
        columns = {}
        for field, column in zip(batch.schema, batch.columns):
            if pa.types.is_timestamp(field.type):
                column = column.cast(pa.int64())
            columns[field.name] = column.to_pylist()
        out.append([{k: plain(columns[k][i]) for k in columns} for i in range(batch.num_rows)])
    return out


def types_batches():
    long = ["a string longer than twelve bytes #%d" % i for i in range(6)]
    b1 = {
        "i8": pa.array([-1, None, 127, -128, 0, 5], pa.int8()),
        "u16": pa.array([0, 65535, None, 1, 2, 3], pa.uint16()),
        "i32": pa.array([-(1 << 31), (1 << 31) - 1, 0, None, 7, 8], pa.int32()),
        "u64": pa.array([(1 << 64) - 1, 0, 1, 2, None, 3], pa.uint64()),
        "flag": pa.array([True, False, None, True, True, False], pa.bool_()),
        "bin": pa.array([b"\x00\x01", b"", None, b"\xff", b"abc", b"z"], pa.binary()),
        "text": pa.array(["", "é", None, "x", "yz", "end"], pa.utf8()),
        "large": pa.array(["l1", None, "", "l4", "l5", "l6"], pa.large_utf8()),
        "view": pa.array([long[0], "short", None, long[1], "", long[2]], pa.string_view()),
        "fixed": pa.array([b"abcd", None, b"efgh", b"ijkl", b"mnop", b"qrst"], pa.binary(4)),
        "ts": pa.array([0, 1, None, 3, 4, 1_700_000_000_000_000_000], pa.timestamp("ns", tz="UTC")),
        "nothing": pa.nulls(6),
        "ints": pa.array([[1, 2], [], None, [3], [None, 4], [5, 6, 7]], pa.list_(pa.int64())),
        "large_ints": pa.array([[1], None, [], [2, 3], [4], []], pa.large_list(pa.int32())),
        "views": pa.ListViewArray.from_arrays(pa.array([3, 0, 0, 1, 0, 2], pa.int32()), pa.array([1, 2, 0, 2, 3, 1], pa.int32()),
                                              pa.array(["p", "q", "r", "s"], pa.utf8()), mask=pa.array([False, False, True, False, False, False])),
        "pair": pa.StructArray.from_arrays([pa.array([1, 2, 3, 4, 5, 6], pa.int16()), pa.array(["a", None, "c", "d", "e", "f"])],
                                           names=["n", "s"], mask=pa.array([False, False, False, True, False, False])),
        "runs16": pa.RunEndEncodedArray.from_arrays(pa.array([2, 3, 6], pa.int16()), pa.array(["r1", None, "r3"])),
        "runs64": pa.RunEndEncodedArray.from_arrays(pa.array([1, 6], pa.int64()), pa.array([10, 20], pa.int64())),
        "dict8": pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 1, 0, 2], pa.int8()), pa.array(["zero", "one", "two"])),
    }
    return pa.RecordBatch.from_pydict(b1)


def write(name, data):
    open(os.path.join(OUT, name + ".arrows"), "wb").write(data)
    with open(os.path.join(OUT, name + ".rows.jsonl"), "w") as f:
        for i, batch in enumerate(rows(data)):
            f.write(f"# batch {i}\n")
            for row in batch:
                f.write(json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{name}.arrows: {len(data)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    table, _ = parca_arrow.build(1, 60)
    batch, _ = parca_arrow.record(table)
    write("parca-v2-samples", parca_arrow.stream(batch))
    batch = types_batches()
    for name, compression in [("types", "zstd"), ("types-plain", None)]:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema, options=pa.ipc.IpcWriteOptions(compression=compression)) as w:
            w.write_batch(batch)
            w.write_batch(batch.slice(2, 3))
        write(name, sink.getvalue().to_pybytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
