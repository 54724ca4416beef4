"""Runs the real pyroscope-io Python agent against a server, burning CPU in
known functions, then flushes and exits. Used by Kiln's end-to-end tests.

    .venv/bin/python tools/e2e/pyroscope_agent.py --server http://127.0.0.1:4040 --seconds 3
"""
import argparse
import hashlib
import time

import pyroscope


def kiln_e2e_hash_work(deadline):
    data = b"kiln"
    while time.time() < deadline:
        data = hashlib.sha256(data).digest()


def kiln_e2e_math_work(deadline):
    x = 0.0
    while time.time() < deadline:
        for i in range(1000):
            x += (i * 0.5) ** 0.5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--app", default="kiln.e2e.python")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--tenant", default="")
    args = ap.parse_args()
    pyroscope.configure(
        application_name=args.app,
        server_address=args.server,
        sample_rate=100,
        tags={"env": "e2e"},
        tenant_id=args.tenant,
        upload_interval=1,
    )
    end = time.time() + args.seconds
    while time.time() < end:
        kiln_e2e_hash_work(time.time() + 0.2)
        kiln_e2e_math_work(time.time() + 0.2)
    pyroscope.shutdown()


if __name__ == "__main__":
    main()
