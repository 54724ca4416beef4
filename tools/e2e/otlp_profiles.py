"""Builds an OTLP profiles export request with the real `opentelemetry-proto` package and prints it,
binary (base64) and in the protobuf JSON mapping, as one JSON object. Used by Kiln's tests to hold
Kiln's own OTLP .proto files (Sources/KilnProto/proto/opentelemetry) to the wire the clients speak.

    .venv/bin/python tools/e2e/otlp_profiles.py

The request: one resource (service.name=otlp-app, process.pid=42) with one scope ("kiln-test")
and one CPU profile (cpu/nanoseconds, period 10 ms of cpu/nanoseconds) of two samples over the
shared dictionary: stack 1 = main → work (leaf first: work, main), values [30 ms], thread.name=worker;
stack 2 = main alone, values [10 ms, 20 ms] at two timestamps.
"""
import base64
import json

from google.protobuf import json_format
from opentelemetry.proto.collector.profiles.v1development import profiles_service_pb2 as service
from opentelemetry.proto.common.v1 import common_pb2 as common
from opentelemetry.proto.profiles.v1development import profiles_pb2 as profiles
from opentelemetry.proto.resource.v1 import resource_pb2 as resource


def request():
    strings = ["", "cpu", "nanoseconds", "main", "work", "app.go", "thread.name", "worker", "/bin/app"]
    d = profiles.ProfilesDictionary(string_table=strings)
    d.mapping_table.extend([profiles.Mapping(), profiles.Mapping(memory_start=0x400000, memory_limit=0x500000, filename_strindex=8)])
    d.function_table.extend([profiles.Function(), profiles.Function(name_strindex=3, filename_strindex=5),
                             profiles.Function(name_strindex=4, filename_strindex=5)])
    d.location_table.extend([
        profiles.Location(),
        profiles.Location(mapping_index=1, address=0x401000, lines=[profiles.Line(function_index=1, line=10)]),
        profiles.Location(mapping_index=1, address=0x402000, lines=[profiles.Line(function_index=2, line=20)]),
    ])
    d.stack_table.extend([profiles.Stack(), profiles.Stack(location_indices=[2, 1]), profiles.Stack(location_indices=[1])])
    d.link_table.extend([profiles.Link()])
    d.attribute_table.extend([profiles.KeyValueAndUnit(),
                              profiles.KeyValueAndUnit(key_strindex=6, value=common.AnyValue(string_value="worker"))])
    profile = profiles.Profile(
        sample_type=profiles.ValueType(type_strindex=1, unit_strindex=2),
        period_type=profiles.ValueType(type_strindex=1, unit_strindex=2),
        period=10_000_000,
        time_unix_nano=1_700_000_000_000_000_000,
        duration_nano=10_000_000_000,
        samples=[
            profiles.Sample(stack_index=1, values=[30_000_000], attribute_indices=[1]),
            profiles.Sample(stack_index=2, values=[10_000_000, 20_000_000],
                            timestamps_unix_nano=[1_700_000_001_000_000_000, 1_700_000_002_000_000_000]),
        ],
    )
    r = resource.Resource(attributes=[
        common.KeyValue(key="service.name", value=common.AnyValue(string_value="otlp-app")),
        common.KeyValue(key="process.pid", value=common.AnyValue(int_value=42)),
    ])
    return service.ExportProfilesServiceRequest(
        resource_profiles=[profiles.ResourceProfiles(
            resource=r,
            scope_profiles=[profiles.ScopeProfiles(scope=common.InstrumentationScope(name="kiln-test"), profiles=[profile])])],
        dictionary=d,
    )


if __name__ == "__main__":
    req = request()
    print(json.dumps({"proto": base64.b64encode(req.SerializeToString()).decode(), "json": json_format.MessageToJson(req)}))
