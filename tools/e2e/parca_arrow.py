"""Parca Agent's v2 WriteArrow samples, written by pyarrow as the agent's arrow-go writer lays them out.

    .venv/bin/python tools/e2e/parca_arrow.py --out FILE [--seed N] [--rows N]   # the IPC stream; prints what it holds
    .venv/bin/python tools/e2e/parca_arrow.py --server 127.0.0.1:PORT [...]      # also sends it with grpcio (WriteArrow)

The record (shared/reference/parca-api.md §4.4; parca-agent reporter/arrow_v2.go): a `labels` struct of
run-end-encoded dictionary strings (null: label absent), `stacktrace` a list view of dictionary-encoded location
structs (address, frame_type, mapping_file, mapping_build_id, lines: a list view of {line, column, function: a
dictionary of {system_name string view, filename dictionary, start_line}}), `stacktrace_id` (arrow.uuid), `value`,
the run-end-encoded `producer`, `sample_type`, `sample_unit`, `period_type`, `period_unit`, `temporality`, `period`,
`duration`, and a nanosecond `timestamp`; schema metadata parca_write_schema_version=v2; one record batch in an
IPC stream with LZ4_FRAME-compressed buffers.

Rows: CPU samples (producer parca_agent, samples/count on cpu/nanoseconds, period 1e9/19) of three processes,
stacks of native (unsymbolized), kernel and interpreted frames, leaf first; a few memory rows (producer memory,
alloc_space/bytes on space/bytes, no temporality). Printed as JSON: per (producer, sample type, comm) the value
total, per leaf frame name the CPU total, the row count, and the stream's byte size.
"""
import argparse
import collections
import json
import random
import sys
import uuid

import pyarrow as pa

PERIOD = 1_000_000_000 // 19
DICT_STR = pa.dictionary(pa.uint32(), pa.utf8())
FUNCTION = pa.struct([pa.field("system_name", pa.string_view()), pa.field("filename", DICT_STR), pa.field("start_line", pa.uint64(), nullable=False)])
LINE = pa.struct([pa.field("line", pa.uint64(), nullable=False), pa.field("column", pa.uint64(), nullable=False),
                  pa.field("function", pa.dictionary(pa.uint32(), FUNCTION), nullable=False)])
LOCATION = pa.struct([pa.field("address", pa.uint64(), nullable=False), pa.field("frame_type", DICT_STR),
                      pa.field("mapping_file", DICT_STR), pa.field("mapping_build_id", DICT_STR),
                      pa.field("lines", pa.list_view(pa.field("item", LINE)))])
LABEL_NAMES = ["comm", "node", "pid"]


def ree(values, value_type):
    """Run-end encoded with runs of equal consecutive values, as the agent writes them."""
    ends, runs = [], []
    for i, v in enumerate(values):
        if runs and runs[-1] == v:
            ends[-1] = i + 1
        else:
            runs.append(v)
            ends.append(i + 1)
    return pa.RunEndEncodedArray.from_arrays(pa.array(ends, pa.int32()), pa.array(runs, value_type))


def frames(rng):
    """A stack, leaf first: (address, frame_type, mapping_file, build_id, [(line, function, filename)] or None)."""
    kernel = [(0xFFFF0000 + 16 * i, "kernel", "[kernel.kallsyms]", None, ((0, name, "vmlinux"),))
              for i, name in enumerate(["do_syscall_64", "entry_SYSCALL_64", "vfs_read", "ksys_read"])]
    native = [(0x401000 + 64 * i, "native", "/usr/bin/app", "b1d", None) for i in range(5)]
    python = [(0, "cpython", None, None, ((10 * (i + 1), name, "app.py"),)) for i, name in enumerate(["main", "handle", "parse", "work"])]
    stack = []
    if rng.random() < 0.4:
        stack += rng.sample(kernel, rng.randint(1, 3))
    stack += rng.sample(native, rng.randint(0, 3))
    stack += rng.sample(python, rng.randint(1, 4))
    return stack


def leaf_name(frame):
    address, _, mapping, _, lines = frame
    return lines[0][1] if lines else "0x%x" % address  # Kiln names an unsymbolized frame by its address


def build(seed, rows):
    rng = random.Random(seed)
    table = collections.defaultdict(list)
    expect = {"rows": 0, "totals": collections.Counter(), "cpu_leaves": collections.Counter()}
    processes = [("app", "node-1", "11"), ("worker", "node-1", "12"), ("app", "node-2", None)]
    for i in range(rows):
        memory = i >= rows - max(2, rows // 10)
        comm, node, pid = processes[i % len(processes)]
        stack = frames(rng)
        value = rng.randint(1, 5) if not memory else rng.randint(1, 1 << 20)
        labels = {"comm": comm, "node": node, "pid": pid}
        table["labels"].append(labels)
        table["stacktrace"].append(stack)
        table["value"].append(value)
        table["producer"].append("memory" if memory else "parca_agent")
        table["sample_type"].append("alloc_space" if memory else "samples")
        table["sample_unit"].append("bytes" if memory else "count")
        table["period_type"].append("space" if memory else "cpu")
        table["period_unit"].append("bytes" if memory else "nanoseconds")
        table["temporality"].append(None if memory else "delta")
        table["period"].append(524288 if memory else PERIOD)
        table["duration"].append(1_000_000_000)
        table["timestamp"].append(1_700_000_000_000_000_000 + (i // 10) * 1_000_000_000)
        key = ("memory" if memory else "parca_agent", "alloc_space" if memory else "samples", comm)
        expect["totals"][key] += value
        if not memory:
            expect["cpu_leaves"][leaf_name(stack[0])] += value
        expect["rows"] += 1
    return table, expect


def locations_array(stacks):
    """The list view of dictionary-encoded locations; the location, function and string dictionaries deduplicated."""
    locs, loc_index = [], {}
    funcs, func_index = [], {}
    offsets, sizes, indices = [], [], []
    for stack in stacks:
        offsets.append(len(indices))
        sizes.append(len(stack))
        for f in stack:
            if f not in loc_index:
                loc_index[f] = len(locs)
                locs.append(f)
            indices.append(loc_index[f])
    line_rows, line_offsets, line_sizes, line_valid = [], [], [], []
    for address, kind, mapping, build_id, lines in locs:
        line_offsets.append(len(line_rows))
        line_sizes.append(len(lines or []))
        line_valid.append(lines is not None)
        for line, name, filename in lines or []:
            if (name, filename) not in func_index:
                func_index[(name, filename)] = len(funcs)
                funcs.append((name, filename))
            line_rows.append((line, func_index[(name, filename)]))
    def dict_strings(values):
        distinct = sorted({v for v in values if v is not None})
        return pa.DictionaryArray.from_arrays(pa.array([None if v is None else distinct.index(v) for v in values], pa.uint32()),
                                              pa.array(distinct, pa.utf8()))
    function_values = pa.StructArray.from_arrays(
        [pa.array([f[0] for f in funcs], pa.string_view()), dict_strings([f[1] for f in funcs]), pa.array([0] * len(funcs), pa.uint64())],
        fields=list(FUNCTION))
    line_values = pa.StructArray.from_arrays(
        [pa.array([l[0] for l in line_rows], pa.uint64()), pa.array([0] * len(line_rows), pa.uint64()),
         pa.DictionaryArray.from_arrays(pa.array([l[1] for l in line_rows], pa.uint32()), function_values)],
        fields=list(LINE))
    lines = pa.ListViewArray.from_arrays(pa.array(line_offsets, pa.int32()), pa.array(line_sizes, pa.int32()), line_values,
                                         mask=pa.array([not v for v in line_valid]), type=LOCATION.field("lines").type)
    location_values = pa.StructArray.from_arrays(
        [pa.array([l[0] for l in locs], pa.uint64()), dict_strings([l[1] for l in locs]), dict_strings([l[2] for l in locs]),
         dict_strings([l[3] for l in locs]), lines], fields=list(LOCATION))
    items = pa.DictionaryArray.from_arrays(pa.array(indices, pa.uint32()), location_values)
    return pa.ListViewArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(sizes, pa.int32()), items,
                                        type=pa.list_view(pa.field("item", items.type)))


def record(table):
    n = len(table["value"])
    label_type = pa.run_end_encoded(pa.int32(), DICT_STR)
    label_children = []
    for name in LABEL_NAMES:
        values = [row[name] for row in table["labels"]]
        distinct = sorted({v for v in values if v is not None})
        ends, runs = [], []
        for i, v in enumerate(values):
            if runs and runs[-1] == v:
                ends[-1] = i + 1
            else:
                runs.append(v)
                ends.append(i + 1)
        dictionary = pa.DictionaryArray.from_arrays(pa.array([None if v is None else distinct.index(v) for v in runs], pa.uint32()),
                                                    pa.array(distinct, pa.utf8()))
        label_children.append(pa.RunEndEncodedArray.from_arrays(pa.array(ends, pa.int32()), dictionary))
    labels = pa.StructArray.from_arrays(label_children, fields=[pa.field(name, label_type) for name in LABEL_NAMES])
    ids = pa.ExtensionArray.from_storage(pa.uuid(), pa.array([uuid.uuid5(uuid.NAMESPACE_OID, repr(s)).bytes for s in table["stacktrace"]],
                                                             pa.binary(16)))
    columns = {
        "labels": labels, "stacktrace": locations_array(table["stacktrace"]), "stacktrace_id": ids,
        "value": pa.array(table["value"], pa.int64()),
        "producer": ree(table["producer"], pa.utf8()), "sample_type": ree(table["sample_type"], pa.utf8()),
        "sample_unit": ree(table["sample_unit"], pa.utf8()), "period_type": ree(table["period_type"], pa.utf8()),
        "period_unit": ree(table["period_unit"], pa.utf8()), "temporality": ree(table["temporality"], pa.utf8()),
        "period": ree(table["period"], pa.int64()), "duration": ree(table["duration"], pa.uint64()),
        "timestamp": pa.array(table["timestamp"], pa.timestamp("ns", tz="UTC")),
    }
    nullable = {"stacktrace", "temporality"}
    schema = pa.schema([pa.field(k, v.type, nullable=k in nullable) for k, v in columns.items()],
                       metadata={"parca_write_schema_version": "v2"})
    return pa.RecordBatch.from_arrays(list(columns.values()), schema=schema), n


def stream(batch):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as w:
        w.write_batch(batch)
    return sink.getvalue().to_pybytes()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--server")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rows", type=int, default=60)
    ap.add_argument("--tenant", default="")
    args = ap.parse_args()
    table, expect = build(args.seed, args.rows)
    batch, _ = record(table)
    data = stream(batch)
    # The stream reads back through pyarrow as written (the writer's own check).
    assert pa.ipc.open_stream(data).read_all().num_rows == args.rows
    if args.out:
        open(args.out, "wb").write(data)
    if args.server:
        import grpc
        request = b"\x0a" + varint(len(data)) + data  # WriteArrowRequest{ipc_buffer = 1}
        with grpc.insecure_channel(args.server) as channel:
            call = channel.unary_unary("/parca.profilestore.v1alpha1.ProfileStoreService/WriteArrow",
                                       request_serializer=lambda b: b, response_deserializer=lambda b: b)
            metadata = (("x-scope-orgid", args.tenant),) if args.tenant else ()
            call(request, metadata=metadata, timeout=60)
    print(json.dumps({"rows": expect["rows"], "bytes": len(data),
                      "totals": [[p, t, c, v] for (p, t, c), v in sorted(expect["totals"].items())],
                      "cpu_leaves": dict(sorted(expect["cpu_leaves"].items()))}))
    return 0


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


if __name__ == "__main__":
    sys.exit(main())
