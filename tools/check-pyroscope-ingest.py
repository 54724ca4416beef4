"""Sends Pyroscope's own ingest test files to Kiln and compares the stacks Kiln stores with Pyroscope's.

Usage: python3 tools/check-pyroscope-ingest.py [path/to/kiln]   (default: .build/debug/kiln)

Reads ../shared/peer/grafana-pyroscope/pkg/og/convert/jfr/testdata/, which exists only beside a
development checkout (without it, says so and exits 0): each `<file>.jfr.gz` and what Pyroscope
converts it into, one gzipped pprof per profile type and label set
(`<file>.jfr.gz.<type with : as _>.<labels hash>.pb.gz`). It starts the binary on 127.0.0.1,
posts every recording to /ingest?format=jfr as pyroscope-java does (multipart `jfr` and, where
the folder has `<file>.labels.pb.gz`, `labels`), then asks SelectMergeProfile for each profile
type of the service and compares the folded stacks (function names, root first) and their values
with Pyroscope's, and the number of series with the number of label sets. Where a type has several
label sets, Pyroscope's file of the empty label set (hash 17241709254077376921) holds the whole
profile, every sample with its labels, and the others the series its labels split off: the
stacks are compared with that whole one.

Then every pprof file of the folder (pkg/og/convert/pprof/testdata, pkg/pprof/testdata,
pkg/og/convert/testdata), where Pyroscope stores the stacks as sent but for its repairs: each is
posted to /ingest as pyroscope-go does (multipart `profile`, with `<file>.st.json` as
`sample_type_config` where there is one; spy name from the file name) and pushed through
push.v1 Push; the statuses are compared with Pyroscope's (422 /ingest and 400 Push for invalid
UTF-8 and prev_profile; dotnet's zero function ids repaired on /ingest, 400 on Push), and the
stacks Kiln answers for every profile type of the upload with the file's own, by function name
and value. A Go heap whose stacks Go truncated differs by design: Pyroscope re-roots them, and
so does Kiln; the line says how many stacks the repair changed and that the totals are kept.
Prints one line per (file, profile type); exit 1 when any differs where no repair explains it.
"""
import base64
import collections
import gzip
import json
import os
import sys
import time
import uuid

from peer_server import PEER, default_binary, kiln_server, post

JFR = os.path.join(PEER, "pkg", "og", "convert", "jfr", "testdata")
# The hash Pyroscope's test gives the empty label set: its file holds the whole profile.
WHOLE = "17241709254077376921"


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if c < 0x80:
            return v, i
        shift += 7


def fields(b):
    """(field number, value) of a protobuf message: ints for varints, bytes for length-delimited."""
    i = 0
    while i < len(b):
        tag, i = varint(b, i)
        wire = tag & 7
        if wire == 0:
            v, i = varint(b, i)
        elif wire == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield tag >> 3, v


def packed(v):
    if isinstance(v, int):
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def pprof_folded(raw):
    """A pprof's folded stacks: {sample type: {"root;…;leaf": value}}."""
    samples, locations, functions, strings, types = [], {}, {}, [], []
    function_list, location_ids = [], []
    for f, v in fields(raw):
        if f == 1:
            types.append(dict(fields(v)))
        elif f == 2:
            locs, vals = [], []
            for sf, sv in fields(v):
                if sf == 1:
                    locs += packed(sv)
                elif sf == 2:
                    vals += packed(sv)
            samples.append((locs, vals))
        elif f == 4:
            loc = {"lines": []}
            for lf, lv in fields(v):
                if lf == 1:
                    loc["id"] = lv
                elif lf == 4:
                    loc["lines"].append(dict(fields(lv)).get(1, 0))
            locations[loc["id"]] = loc["lines"]
            location_ids.append(loc["id"])
        elif f == 5:
            fn = dict(fields(v))
            functions[fn.get(1, 0)] = fn.get(2, 0)
            function_list.append(fn)
        elif f == 6:
            strings.append(v.decode())
    if function_list and all(fn.get(1, 0) == 0 for fn in function_list) and len(function_list) == len(location_ids):
        # Old dotnetspy: function i has location i's id (Pyroscope's FixFunctionIDForBrokenDotnet).
        functions = {lid: fn.get(2, 0) for lid, fn in zip(location_ids, function_list)}
    return folded(samples, locations, functions, strings, [strings[t.get(1, 0)] for t in types])


def json_folded(p):
    """The same, of SelectMergeProfile's JSON (google.v1.Profile in Connect's JSON mapping)."""
    strings = p.get("stringTable", [])
    locations = {int(l["id"]): [int(x.get("functionId", 0)) for x in l.get("line", [])] for l in p.get("location", [])}
    functions = {int(f["id"]): int(f.get("name", 0)) for f in p.get("function", [])}
    samples = [([int(x) for x in s.get("locationId", [])], [int(x) for x in s.get("value", [])]) for s in p.get("sample", [])]
    return folded(samples, locations, functions, strings, [strings[int(t.get("type", 0))] for t in p.get("sampleType", [])])


def folded(samples, locations, functions, strings, types):
    out = {t: collections.Counter() for t in types}
    for locs, vals in samples:
        names = [strings[functions[fid]] for l in locs for fid in locations[l]]
        key = ";".join(reversed(names))
        for t, v in zip(types, vals):
            if v:
                out[t][key] += v
    return out


def multipart(parts):
    boundary = uuid.uuid4().hex
    body = b""
    for name, data in parts:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


PPROF_DIRS = [os.path.join(PEER, "pkg", "og", "convert", "pprof", "testdata"), os.path.join(PEER, "pkg", "pprof", "testdata"),
              os.path.join(PEER, "pkg", "og", "convert", "testdata")]


def spy(name):
    if name.startswith("dotnet"):
        return "dotnetspy"
    if name.startswith("pyspy"):
        return "pyspy"
    return "gospy"


def expected_status(name):
    """Pyroscope's (/ingest, Push) statuses for a file of its pprof ingest tests."""
    if name.startswith("invalid_utf8"):
        return 422, 400
    if name in ("dotnet-pprof-3.pb.gz", "dotnet-pprof-73.pb.gz"):
        return 200, 400
    return 200, 200


def kiln_stacks(port, app, now):
    """{profile type: Counter of folded stacks} of everything stored for service `app`."""
    body = {"name": "__profile_type__", "matchers": [f'{{service_name="{app}"}}'], "start": 1, "end": (now + 60) * 1000}
    status, answer = post(port, "/querier.v1.QuerierService/LabelValues", json.dumps(body).encode(), {"Content-Type": "application/json"})
    out = {}
    for t in (json.loads(answer).get("names", []) if status == 200 else []):
        q = {"profile_typeID": t, "label_selector": f'{{service_name="{app}"}}', "start": 1, "end": (now + 60) * 1000}
        status, answer = post(port, "/querier.v1.QuerierService/SelectMergeProfile", json.dumps(q).encode(), {"Content-Type": "application/json"})
        got = collections.Counter()
        if status == 200:
            for c in json_folded(json.loads(answer)).values():
                got.update(c)
        out[t] = got
    return out


def check_pprof(port, now):
    differ = 0
    files = []
    for d in PPROF_DIRS:
        if os.path.isdir(d):
            files += [os.path.join(d, f) for f in sorted(os.listdir(d)) if not f.endswith((".st.json", ".fixed", ".txt"))
                      and os.path.isfile(os.path.join(d, f))]
    for i, path in enumerate(files):
        name = os.path.basename(path)
        raw = open(path, "rb").read()
        try:
            profile = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
            sent = pprof_folded(profile)
        except Exception as e:  # noqa: BLE001 - a file the reader here cannot parse is reported, not fatal
            sent = None
            note = f"(not readable here: {e})"
        want_ingest, want_push = expected_status(name)
        app = f"pprof-{i}"
        parts = [("profile", raw)]
        st = os.path.splitext(path)[0].replace(".pb", "") + ".st.json"
        if os.path.exists(st):
            parts.append(("sample_type_config", open(st, "rb").read()))
        data, ctype = multipart(parts)
        got_ingest, answer = post(port, f"/ingest?name={app}&spyName={spy(name)}&from={now - 10}&until={now}", data, {"Content-Type": ctype})
        push = {"series": [{"labels": [{"name": "__name__", "value": "process_cpu"}, {"name": "service_name", "value": app + "-push"}],
                            "samples": [{"rawProfile": base64.b64encode(raw).decode()}]}]}
        got_push, push_answer = post(port, "/push.v1.PusherService/Push", json.dumps(push).encode(), {"Content-Type": "application/json"})
        statuses = f"/ingest {got_ingest} (Pyroscope {want_ingest}), Push {got_push} (Pyroscope {want_push})"
        if (got_ingest, got_push) != (want_ingest, want_push):
            differ += 1
            print(f"{name}: DIFFERENT statuses: {statuses}: {answer[:120]!r} {push_answer[:120]!r}")
            continue
        if got_ingest != 200 or sent is None:
            print(f"{name}: {statuses}" + ("" if sent is not None else " " + note))
            continue
        stored = kiln_stacks(port, app, now)
        for t, got in sorted(stored.items()):
            sample_type = t.split(":")[1]
            want = next((c for k, c in sent.items() if k.replace("-", "_") == sample_type), None)
            if want is None:
                print(f"{name} {t}: no such sample type in the file")
                differ += 1
                continue
            if got == want:
                print(f"{name} {t}: same stacks ({len(want)} stacks, total {sum(want.values())}); {statuses}")
                continue
            renamed = spy(name) == "pyspy"
            changed = sum(1 for k in got if k not in want)
            kept = sum(got.values()) == sum(want.values())
            if renamed:
                print(f"{name} {t}: names rewritten as Pyroscope rewrites pyspy's (<file>:-1 - <name>); totals {'kept' if kept else 'DIFFER'}")
            elif kept and any(len(k.split(";")) >= 28 for k in want):
                print(f"{name} {t}: truncated Go stacks repaired: {changed} of {len(got)} stacks re-rooted, totals kept; {statuses}")
            else:
                differ += 1
                print(f"{name} {t}: DIFFERENT stacks ({len(want)} sent, total {sum(want.values())}; Kiln {len(got)}, total {sum(got.values())})")
    return differ


def main():
    if not os.path.isdir(JFR):
        print(f"check-pyroscope-ingest: {JFR} is absent (no ../shared beside this checkout): nothing to check")
        return 0
    binary = sys.argv[1] if len(sys.argv) > 1 else default_binary()
    recordings = sorted(f for f in os.listdir(JFR) if f.endswith(".jfr.gz"))
    differ = 0
    now = int(time.time())
    with kiln_server(binary) as port:
        for rec in recordings:
            stem = rec[:-len(".jfr.gz")]
            app = "jfr-" + stem.replace("_", "-")
            expected = collections.defaultdict(lambda: (collections.Counter(), 0))
            for f in sorted(os.listdir(JFR)):
                if f.startswith(rec + ".") and f.endswith(".pb.gz"):
                    type_part = f[len(rec) + 1:].rsplit(".", 3)[0]
                    parts = type_part.replace(":", "_").split("_")
                    # name_sampletype…_unit_periodtype_periodunit, sample types may hold "_": split from both ends.
                    name, unit, ptype, punit = parts[0], parts[-3], parts[-2], parts[-1]
                    if name == "process":  # process_cpu
                        name, parts = "process_cpu", parts[1:]
                    stype = "_".join(parts[1:-3])
                    ptype_id = f"{name}:{stype}:{unit}:{ptype}:{punit}"
                    stacks, n = expected[ptype_id]
                    if f.endswith(f".{WHOLE}.pb.gz"):
                        for t in pprof_folded(gzip.decompress(open(os.path.join(JFR, f), "rb").read())).values():
                            stacks.update(t)
                    expected[ptype_id] = (stacks, n + 1)
            body = open(os.path.join(JFR, rec), "rb").read()
            labels = os.path.join(JFR, stem + ".labels.pb.gz")
            parts = [("jfr", body)] + ([("labels", open(labels, "rb").read())] if os.path.exists(labels) else [])
            data, ctype = multipart(parts)
            status, answer = post(port, f"/ingest?name={app}&format=jfr&spyName=javaspy&from={now - 10}&until={now}", data, {"Content-Type": ctype})
            if status != 200:
                print(f"{rec}: Kiln answered {status}: {answer[:200]!r}")
                differ += 1
                continue
            for ptype_id, (stacks, nseries) in sorted(expected.items()):
                query = {"profile_typeID": ptype_id, "label_selector": f'{{service_name="{app}"}}', "start": (now - 60) * 1000,
                         "end": (now + 60) * 1000}
                status, answer = post(port, "/querier.v1.QuerierService/SelectMergeProfile", json.dumps(query).encode(), {"Content-Type": "application/json"})
                got = collections.Counter()
                if status == 200:
                    for t in json_folded(json.loads(answer)).values():
                        got.update(t)
                series_query = {"matchers": [f'{{service_name="{app}",__profile_type__="{ptype_id}"}}'], "start": (now - 60) * 1000,
                                "end": (now + 60) * 1000}
                status2, answer2 = post(port, "/querier.v1.QuerierService/Series", json.dumps(series_query).encode(), {"Content-Type": "application/json"})
                kiln_series = len(json.loads(answer2).get("labelsSet", [])) if status2 == 200 else -1
                same = got == stacks
                ratios = {round(stacks[k] / got[k], 2) for k in stacks if got.get(k)} if set(got) == set(stacks) else set()
                if not same and ptype_id.split(":")[2] == "nanoseconds" and len(ratios) == 1 and "delay" in ptype_id:
                    # async-profiler writes lock durations in ticks of its clock (TSC); Pyroscope stores the ticks
                    # as nanoseconds, Kiln converts them by the chunk's ticks per second (docs/format/jfr.md §5).
                    print(f"{rec} {ptype_id}: same stacks, values ×{ratios.pop()} in Pyroscope: it stores async-profiler's "
                          f"tick durations as nanoseconds, Kiln converts ticks to nanoseconds (deliberate)")
                    continue
                if not same or kiln_series != nseries:
                    differ += 1
                missing = sum(1 for k in stacks if got.get(k) != stacks[k])
                print(f"{rec} {ptype_id}: {'same stacks' if same else 'DIFFERENT stacks'} "
                      f"({len(stacks)} stacks, total {sum(stacks.values())}; Kiln {len(got)} stacks, total {sum(got.values())}, "
                      f"{missing} differ); series: Pyroscope {nseries}, Kiln {kiln_series}")
        differ += check_pprof(port, now)
    print(f"check-pyroscope-ingest: {differ} (file, profile type) pairs differ from Pyroscope")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
