"""Unary gRPC calls through grpcio (HTTP/2, native gRPC framing) for Kiln's tests.

    .venv/bin/python tools/e2e/grpc_call.py 127.0.0.1:PORT < calls.jsonl

Each input line is {"method": "/pkg.Service/Method", "request": <base64 protobuf>, "metadata": [[k, v], ...]};
each output line is {"code": "OK" | grpc status name, "details": ..., "response": <base64>} for it, in order,
all over one channel. The messages are built and read by the caller (Kiln's generated Swift types), so this
script is only the real client's transport: grpcio's HTTP/2, framing, metadata and status handling.
"""
import base64
import json
import sys

import grpc


def main():
    target = sys.argv[1]
    with grpc.insecure_channel(target) as channel:
        for line in sys.stdin:
            if not line.strip():
                continue
            call = json.loads(line)
            method = channel.unary_unary(call["method"], request_serializer=lambda b: b, response_deserializer=lambda b: b)
            metadata = tuple((k.lower(), v) for k, v in call.get("metadata", []))
            try:
                reply = method(base64.b64decode(call["request"]), metadata=metadata, timeout=60)
                out = {"code": "OK", "details": "", "response": base64.b64encode(reply).decode()}
            except grpc.RpcError as e:
                out = {"code": e.code().name, "details": e.details() or "", "response": ""}
            print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
