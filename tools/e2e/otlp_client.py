"""OTLP profiles sent to a running Kiln by the real clients, every answer checked against what was sent.

    .venv/bin/python tools/e2e/otlp_client.py --server http://127.0.0.1:PORT

Builds one seeded-random ExportProfilesServiceRequest with `opentelemetry-proto`'s generated messages:
two resources (one with service.name=svc-a whose samples partly carry service.name=svc-b; one with
only process.executable.name, so unknown_service:/usr/bin/tool), three profile types (CPU sample
counts on a 10 ms cpu period; off-CPU nanoseconds with no period; allocated bytes on a space period),
stacks over a shared dictionary, values and timestamp-only samples, thread.name sample attributes,
a span link. It sends the request as OTLP/HTTP protobuf (gzip), as OTLP/HTTP JSON and through the
generated gRPC stub (`ProfilesServiceStub.Export`, grpcio; plain and gzip-compressed), each as its own tenant, then asks Kiln's
Connect API (SelectMergeProfile, SelectMergeSpanProfile, LabelValues) and compares every total, per
series and per leaf function, with the same computed here from the request. Then malformed requests
(bad dictionary indices, truncated bytes, a wrong content type) must get 400 / INVALID_ARGUMENT (or
415) naming the field, and leave their tenant empty. Exit 0 when everything matched; the first
mismatch is printed and exits 1.
"""
import argparse
import collections
import gzip
import json
import random
import sys
import urllib.error
import urllib.request

import grpc
from google.protobuf import json_format
from opentelemetry.proto.collector.profiles.v1development import profiles_service_pb2 as service
from opentelemetry.proto.collector.profiles.v1development import profiles_service_pb2_grpc as service_grpc
from opentelemetry.proto.common.v1 import common_pb2 as common
from opentelemetry.proto.profiles.v1development import profiles_pb2 as profiles
from opentelemetry.proto.resource.v1 import resource_pb2 as resource

ALL_TIME = {"start": "1", "end": "4102444800000"}
FUNCTIONS = ["main", "serve", "parse", "encode", "compress", "hash"]
SPAN = bytes.fromhex("0102030405060708")
TYPES = {  # name: (sample type, period type, period, profile type id, value factor)
    "cpu": (("samples", "count"), ("cpu", "nanoseconds"), 10_000_000, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", 10_000_000),
    "off_cpu": (("off_cpu", "nanoseconds"), None, 0, "off_cpu:off_cpu:nanoseconds::", 1),
    "space": (("alloc_space", "bytes"), ("space", "bytes"), 524288, "space:alloc_space:bytes:space:bytes", 1),
}


class Builder:
    """The request and, beside it, what Kiln must answer: totals by (service, type, thread) and by leaf."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.strings = [""]
        self.d = profiles.ProfilesDictionary()
        self.d.mapping_table.extend([profiles.Mapping(), profiles.Mapping(memory_start=0x400000, memory_limit=0x800000,
                                                                          filename_strindex=self.s("/usr/bin/app"))])
        self.d.function_table.append(profiles.Function())
        self.d.location_table.append(profiles.Location())
        for i, f in enumerate(FUNCTIONS):
            self.d.function_table.append(profiles.Function(name_strindex=self.s(f), filename_strindex=self.s("app.go")))
            self.d.location_table.append(profiles.Location(mapping_index=1, address=0x401000 + 16 * i,
                                                           lines=[profiles.Line(function_index=i + 1, line=10 * (i + 1))]))
        self.d.stack_table.append(profiles.Stack())
        self.d.attribute_table.append(profiles.KeyValueAndUnit())
        self.d.link_table.extend([profiles.Link(), profiles.Link(trace_id=bytes(range(16)), span_id=SPAN)])
        self.attributes = {}
        self.totals = collections.Counter()   # (service, type id) -> total
        self.threads = collections.Counter()  # (service, type id, thread) -> total
        self.leaves = collections.Counter()   # (service, type id, leaf) -> total
        self.span = collections.Counter()     # (service, type id) -> total of samples linked to SPAN

    def s(self, text):
        if text not in self.strings:
            self.strings.append(text)
        return self.strings.index(text)

    def attribute(self, key, value):
        if (key, value) not in self.attributes:
            self.attributes[(key, value)] = len(self.d.attribute_table)
            self.d.attribute_table.append(profiles.KeyValueAndUnit(key_strindex=self.s(key), value=common.AnyValue(string_value=value)))
        return self.attributes[(key, value)]

    def stack(self):
        depth = self.rng.randint(1, 5)
        path = [0] + [self.rng.randint(1, len(FUNCTIONS) - 1) for _ in range(depth - 1)]  # root main first
        self.d.stack_table.append(profiles.Stack(location_indices=[i + 1 for i in reversed(path)]))  # leaf first
        return len(self.d.stack_table) - 1, FUNCTIONS[path[-1]]

    def profile(self, kind, resource_service, sample_services, n):
        (st, pt, period, type_id, factor) = TYPES[kind]
        p = profiles.Profile(sample_type=profiles.ValueType(type_strindex=self.s(st[0]), unit_strindex=self.s(st[1])),
                             period=period, time_unix_nano=1_700_000_000_000_000_000, duration_nano=10_000_000_000)
        if pt:
            p.period_type.CopyFrom(profiles.ValueType(type_strindex=self.s(pt[0]), unit_strindex=self.s(pt[1])))
        for _ in range(n):
            stack, leaf = self.stack()
            svc = self.rng.choice(sample_services)
            thread = self.rng.choice(["worker-1", "worker-2"])
            attrs = [self.attribute("thread.name", thread)] + ([self.attribute("service.name", svc)] if svc else [])
            sample = profiles.Sample(stack_index=stack, attribute_indices=attrs)
            if self.rng.random() < 0.2:
                times = self.rng.randint(1, 4)
                sample.timestamps_unix_nano.extend(1_700_000_000_000_000_000 + i for i in range(times))
                value = times
            else:
                values = [self.rng.randint(1, 1000) for _ in range(self.rng.randint(1, 3))]
                sample.values.extend(values)
                value = sum(values)
            if self.rng.random() < 0.25:
                sample.link_index = 1
                self.span[(svc or resource_service, type_id)] += value * factor
            p.samples.append(sample)
            key = (svc or resource_service, type_id)
            self.totals[key] += value * factor
            self.threads[key + (thread,)] += value * factor
            self.leaves[key + (leaf,)] += value * factor
        return p

    def request(self):
        first = profiles.ResourceProfiles(
            resource=resource.Resource(attributes=[kv("service.name", "svc-a"), kv("env", "prod"), kv("process.pid", 7)]),
            scope_profiles=[profiles.ScopeProfiles(
                scope=common.InstrumentationScope(name="kiln-e2e", attributes=[kv("region", "eu")]),
                profiles=[self.profile("cpu", "svc-a", ["", "svc-b"], 60), self.profile("off_cpu", "svc-a", [""], 40)])])
        second = profiles.ResourceProfiles(
            resource=resource.Resource(attributes=[kv("process.executable.name", "/usr/bin/tool")]),
            scope_profiles=[profiles.ScopeProfiles(profiles=[self.profile("space", "unknown_service:/usr/bin/tool", [""], 30)])])
        self.d.string_table.extend(self.strings)
        return service.ExportProfilesServiceRequest(resource_profiles=[first, second], dictionary=self.d)


def kv(key, value):
    v = common.AnyValue(int_value=value) if isinstance(value, int) else common.AnyValue(string_value=value)
    return common.KeyValue(key=key, value=v)


class Kiln:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def post(self, path, body, headers):
        req = urllib.request.Request(self.base + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def connect(self, tenant, method, message):
        status, body = self.post("/querier.v1.QuerierService/" + method, json.dumps({**message, **ALL_TIME}).encode(),
                                 {"Content-Type": "application/json", "X-Scope-OrgID": tenant})
        expect(status == 200, f"{method} for {tenant}: {status} {body[:300]!r}")
        return json.loads(body)

    def merged(self, tenant, type_id, selector):
        """SelectMergeProfile's total and totals by leaf function."""
        p = self.connect(tenant, "SelectMergeProfile", {"profileTypeID": type_id, "labelSelector": selector})
        strings = p.get("stringTable", [""])
        functions = {f["id"]: strings[int(f.get("name", 0))] for f in p.get("function", [])}
        leaf_of = {l["id"]: functions[l["line"][0]["functionId"]] for l in p.get("location", [])}
        total, leaves = 0, collections.Counter()
        for s in p.get("sample", []):
            v = int(s["value"][0])
            total += v
            leaves[leaf_of[s["locationId"][0]]] += v
        return total, leaves


def expect(ok, what):
    if not ok:
        print("otlp_client: MISMATCH:", what)
        sys.exit(1)


def check_stored(kiln, tenant, b):
    services = kiln.connect(tenant, "LabelValues", {"name": "service_name"}).get("names", [])
    expect(sorted(services) == sorted({k[0] for k in b.totals}), f"{tenant} services {services}, sent {sorted({k[0] for k in b.totals})}")
    for (svc, type_id), total in b.totals.items():
        got, leaves = kiln.merged(tenant, type_id, '{service_name="%s"}' % svc)
        expect(got == total, f"{tenant} {svc} {type_id}: total {got}, sent {total}")
        sent = {leaf: v for (s, t, leaf), v in b.leaves.items() if (s, t) == (svc, type_id)}
        expect(dict(leaves) == sent, f"{tenant} {svc} {type_id}: leaves {dict(leaves)}, sent {sent}")
    for (svc, type_id, thread), total in b.threads.items():
        got, _ = kiln.merged(tenant, type_id, '{service_name="%s",thread_name="%s"}' % (svc, thread))
        expect(got == total, f"{tenant} {svc} {type_id} thread {thread}: {got}, sent {total}")
    # Resource and scope attributes are series labels; the resource's int attribute as text.
    got, _ = kiln.merged(tenant, TYPES["cpu"][3], '{service_name="svc-a",env="prod",region="eu",process_pid="7"}')
    expect(got == b.totals[("svc-a", TYPES["cpu"][3])], f"{tenant}: resource and scope labels select {got}")
    for (svc, type_id), total in b.span.items():
        g = kiln.connect(tenant, "SelectMergeSpanProfile", {"profileTypeID": type_id, "labelSelector": '{service_name="%s"}' % svc,
                                                            "spanSelector": [SPAN.hex()]})
        got = int(g.get("flamegraph", {}).get("total", 0))
        expect(got == total, f"{tenant} {svc} {type_id} span {SPAN.hex()}: {got}, sent {total}")
    print(f"otlp_client: {tenant}: {len(b.totals)} series totals, {len(b.leaves)} leaf totals, {len(b.threads)} thread totals,"
          f" {len(b.span)} span totals as sent")


def check_refused(kiln, stub):
    good = Builder(7).request()
    cases = []
    bad_stack = service.ExportProfilesServiceRequest()
    bad_stack.CopyFrom(good)
    bad_stack.resource_profiles[1].scope_profiles[0].profiles[0].samples[3].stack_index = 10_000
    cases.append(("bad-stack", bad_stack, "resource_profiles[1].scope_profiles[0].profiles[0].samples[3].stack_index"))
    bad_attribute = service.ExportProfilesServiceRequest()
    bad_attribute.CopyFrom(good)
    bad_attribute.resource_profiles[0].scope_profiles[0].profiles[1].samples[0].attribute_indices.append(5000)
    cases.append(("bad-attribute", bad_attribute, "samples[0].attribute_indices[1]"))
    bad_function = service.ExportProfilesServiceRequest()
    bad_function.CopyFrom(good)
    bad_function.dictionary.location_table[2].lines[0].function_index = 99
    cases.append(("bad-function", bad_function, "dictionary.location_table[2].lines[0].function_index"))
    for name, req, field in cases:
        status, body = kiln.post("/v1development/profiles", req.SerializeToString(),
                                 {"Content-Type": "application/x-protobuf", "X-Scope-OrgID": "refused-http"})
        expect(status == 400 and field.encode() in body, f"HTTP {name}: {status} {body!r}, expected 400 naming {field}")
        try:
            stub.Export(req, metadata=(("x-scope-orgid", "refused-grpc"),), timeout=30)
            expect(False, f"gRPC {name} was accepted")
        except grpc.RpcError as e:
            expect(e.code() == grpc.StatusCode.INVALID_ARGUMENT and field in e.details(), f"gRPC {name}: {e.code()} {e.details()}")
    raw = good.SerializeToString()
    status, body = kiln.post("/v1development/profiles", raw[: len(raw) // 2], {"Content-Type": "application/x-protobuf", "X-Scope-OrgID": "refused-http"})
    expect(status == 400 and b"Failed to parse protobuf request" in body, f"truncated: {status} {body!r}")
    status, body = kiln.post("/v1development/profiles", raw, {"Content-Type": "text/plain", "X-Scope-OrgID": "refused-http"})
    expect(status == 415 and b"Unsupported Content-Type: text/plain" in body, f"text/plain: {status} {body!r}")
    status, body = kiln.post("/v1development/profiles", b"{not json", {"Content-Type": "application/json", "X-Scope-OrgID": "refused-http"})
    expect(status == 400 and b"Failed to parse JSON request" in body, f"bad JSON: {status} {body!r}")
    for tenant in ["refused-http", "refused-grpc"]:
        types = kiln.connect(tenant, "ProfileTypes", {}).get("profileTypes", [])
        expect(types == [], f"{tenant} stored {types} from refused requests")
    print(f"otlp_client: {len(cases)} malformed requests refused over HTTP and gRPC naming the field; truncated, bad JSON, text/plain refused; nothing stored")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    args = ap.parse_args()
    kiln = Kiln(args.server)
    b = Builder(1)
    req = b.request()

    status, body = kiln.post("/v1development/profiles", gzip.compress(req.SerializeToString()),
                             {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip", "X-Scope-OrgID": "otlp-http"})
    expect(status == 200, f"HTTP protobuf: {status} {body!r}")
    reply = service.ExportProfilesServiceResponse()
    reply.ParseFromString(body)
    status, body = kiln.post("/v1development/profiles", json_format.MessageToJson(req).encode(),
                             {"Content-Type": "application/json", "X-Scope-OrgID": "otlp-json"})
    expect(status == 200, f"HTTP JSON: {status} {body!r}")
    json_format.Parse(body, service.ExportProfilesServiceResponse())
    target = args.server.split("://", 1)[-1].rstrip("/")
    with grpc.insecure_channel(target) as channel:
        stub = service_grpc.ProfilesServiceStub(channel)
        stub.Export(req, metadata=(("x-scope-orgid", "otlp-grpc"),), timeout=60)
        stub.Export(req, metadata=(("x-scope-orgid", "otlp-grpc-gzip"),), timeout=60, compression=grpc.Compression.Gzip)
        for tenant in ["otlp-http", "otlp-json", "otlp-grpc", "otlp-grpc-gzip"]:
            check_stored(kiln, tenant, b)
        check_refused(kiln, stub)
    return 0


if __name__ == "__main__":
    sys.exit(main())
