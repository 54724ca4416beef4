"""Checks Kiln's OTLP ingest against Pyroscope's answers for a real OpenTelemetry eBPF profiler request.

Usage: .venv/bin/python tools/check-otlp-peer.py [path/to/kiln]   (default .build/debug/kiln)

Needs ../shared/peer/grafana-pyroscope (absent from a user's clone: then it says so and exits 0).
Sends pkg/test/integration/testdata/otel-ebpf-profile.pb.bin three ways (OTLP/HTTP protobuf, gzipped;
OTLP/HTTP JSON from the .pb.json twin; gRPC ProfilesService/Export through grpcio), each as its own
tenant, then asks SelectMergeProfile for the two profile types Pyroscope's integration test asks for
(pkg/test/integration/ingest_otlp_test.go) with service_name="unknown_service", renders the answer as
Pyroscope's strprofile.ToCompactProfile does (no time, no duration) and compares it with
otel-ebpf-profile-{cpu,offcpu}.out.json: samples as a multiset, exactly; where they differ, again
without addresses and mapping ranges, and says what differs. Exit 1 if any answer differs even then.
"""
import collections
import gzip
import json
import os
import sys

import grpc

from peer_server import PEER, default_binary, kiln_server, post

DATA = os.path.join(PEER, "pkg", "test", "integration", "testdata")
EXPECTED = [("process_cpu:cpu:nanoseconds:cpu:nanoseconds", "otel-ebpf-profile-cpu.out.json"),
            ("off_cpu:off_cpu:nanoseconds::", "otel-ebpf-profile-offcpu.out.json")]
ALL_TIME = {"start": "1", "end": "4102444800000"}


def compact(p):
    """Pyroscope's strprofile.ToCompactProfile of a google.v1.Profile in Connect's JSON mapping."""
    strings = p.get("stringTable", [""])
    functions = {f["id"]: f for f in p.get("function", [])}
    mappings = {m["id"]: m for m in p.get("mapping", [])}
    locations = {l["id"]: l for l in p.get("location", [])}
    out = {"sample_types": [{"type": strings[int(t.get("type", 0))], "unit": strings[int(t.get("unit", 0))]} for t in p.get("sampleType", [])],
           "samples": [], "period": str(p.get("period", "0"))}
    for s in p.get("sample", []):
        sample = {"values": ",".join(str(v) for v in s.get("value", [])), "locations": []}
        for lid in s.get("locationId", []):
            loc = locations.get(lid)
            if loc is None:
                continue
            c = {"address": hex(int(loc.get("address", 0)))}
            m = mappings.get(loc.get("mappingId"))
            if m is not None:
                c["mapping"] = "%s-%s@%s %s(%s)" % (hex(int(m.get("memoryStart", 0))), hex(int(m.get("memoryLimit", 0))),
                                                     hex(int(m.get("fileOffset", 0))), strings[int(m.get("filename", 0))],
                                                     strings[int(m.get("buildId", 0))])
            lines = []
            for line in loc.get("line", []):
                f = functions.get(line.get("functionId"))
                if f is not None:
                    lines.append("%s[%s]@%s:%d" % (strings[int(f.get("name", 0))], strings[int(f.get("systemName", 0))],
                                                   strings[int(f.get("filename", 0))], int(line.get("line", 0))))
            if lines:
                c["lines"] = lines
            sample["locations"].append(c)
        labels = sorted("%s=%s" % (strings[int(l["key"])], strings[int(l["str"])] if int(l.get("str", 0)) else l.get("num", 0))
                        for l in s.get("label", []))
        if labels:
            sample["labels"] = ",".join(labels)
        out["samples"].append(sample)
    return out


def key(sample, exact):
    locs = tuple((l.get("address") if exact else "", l.get("mapping", "") if exact else l.get("mapping", "").split(" ", 1)[-1],
                  tuple(l.get("lines", []))) for l in sample.get("locations", []))
    return (locs, sample.get("labels", ""))


def totals(samples, exact):
    """Each distinct (stack, labels) with its summed value: merge order and splits do not matter."""
    t = collections.Counter()
    for s in samples:
        t[key(s, exact)] += sum(int(v) for v in s["values"].split(","))
    return t


def compare(name, kiln, pyroscope):
    if kiln["sample_types"] != pyroscope["sample_types"]:
        return f"{name}: sample types differ: Kiln {kiln['sample_types']}, Pyroscope {pyroscope['sample_types']}"
    for exact in (True, False):
        k, p = totals(kiln["samples"], exact), totals(pyroscope["samples"], exact)
        if k == p:
            what = "equal" if exact else "equal but for location addresses and mapping ranges"
            period = "" if kiln["period"] == pyroscope["period"] else f" (merged period: Kiln {kiln['period']}, Pyroscope {pyroscope['period']})"
            return f"{name}: {what}: {len(p)} stacks, total {sum(p.values())}{period}"
        if exact:
            example = next(iter(set(k) ^ set(p)), None)
            first = f"{name}: not equal exactly ({len(set(k) - set(p))} stacks only in Kiln, {len(set(p) - set(k))} only in Pyroscope; e.g. {example})"
    return f"{first}; nor without addresses: Kiln total {sum(k.values())} in {len(k)} stacks, Pyroscope {sum(p.values())} in {len(p)}"


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else default_binary()
    if not os.path.isdir(DATA):
        print(f"check-otlp-peer: {DATA} is absent; nothing to compare")
        return 0
    raw = open(os.path.join(DATA, "otel-ebpf-profile.pb.bin"), "rb").read()
    as_json = open(os.path.join(DATA, "otel-ebpf-profile.pb.json"), "rb").read()
    failed = False
    with kiln_server(binary) as port:
        status, body = post(port, "/v1development/profiles", gzip.compress(raw),
                            {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip", "X-Scope-OrgID": "http-proto"})
        print(f"OTLP/HTTP protobuf (gzip): {status} {body[:200]!r}")
        status, body = post(port, "/v1development/profiles", as_json, {"Content-Type": "application/json", "X-Scope-OrgID": "http-json"})
        print(f"OTLP/HTTP JSON: {status} {body[:200]!r}")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            export = channel.unary_unary("/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export",
                                         request_serializer=lambda b: b, response_deserializer=lambda b: b)
            reply = export(raw, metadata=(("x-scope-orgid", "grpc"),), timeout=60)
            print(f"OTLP/gRPC: OK ({len(reply)} bytes)")
        for tenant in ["http-proto", "http-json", "grpc"]:
            for profile_type, expected_file in EXPECTED:
                query = {"profileTypeID": profile_type, "labelSelector": '{service_name="unknown_service"}', **ALL_TIME}
                status, answer = post(port, "/querier.v1.QuerierService/SelectMergeProfile", json.dumps(query).encode(),
                                      {"Content-Type": "application/json", "X-Scope-OrgID": tenant})
                if status != 200:
                    print(f"{tenant} {profile_type}: SelectMergeProfile answered {status}: {answer[:300]!r}")
                    failed = True
                    continue
                expected = json.load(open(os.path.join(DATA, expected_file)))
                verdict = compare(f"{tenant} {profile_type}", compact(json.loads(answer)), expected)
                print(verdict)
                failed |= "not equal" in verdict
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
