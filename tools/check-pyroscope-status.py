"""Runs Pyroscope's HTTP status table for its query endpoints against Kiln.

Usage: python3 tools/check-pyroscope-status.py [path/to/kiln]   (default: .build/debug/kiln)

Reads ../shared/peer/grafana-pyroscope/pkg/test/integration/http_status_codes_test.table.json
(Pyroscope's TestStatusCodes cases: method, path, query, headers, body, expected status),
which exists only beside a development checkout: without it, says so and exits 0. It starts
the binary on 127.0.0.1 with a fresh data directory, sends every case, and prints each one
whose status differs, then a count per endpoint. Exit 1 when any differs.

The table's times are relative to `base_now_ms` (2100-01-01), the `now` of Pyroscope's run;
the cases are sent as they are, so "now"-relative forms are today's. Only the status is
compared, not the body. Never talks to anything but the server it starts.
"""
import collections
import json
import os
import sys
import urllib.error
import urllib.request

from peer_server import PEER, default_binary, kiln_server

TABLE = os.path.join(PEER, "pkg", "test", "integration", "http_status_codes_test.table.json")


def send(port, case):
    url = f"http://127.0.0.1:{port}{case['path']}"
    if case.get("query"):
        url += "?" + case["query"]
    body = case.get("body") or ""
    request = urllib.request.Request(url, data=body.encode() if body or case["method"] in ("POST", "PUT", "PATCH") else None,
                                     method=case["method"])
    for name, values in (case.get("header") or {}).items():
        for value in values:
            request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()[:200]
    except urllib.error.HTTPError as e:
        return e.code, e.read()[:200]


def main():
    if not os.path.exists(TABLE):
        print(f"check-pyroscope-status: {TABLE} is absent (no ../shared beside this checkout): nothing to check")
        return 0
    binary = sys.argv[1] if len(sys.argv) > 1 else default_binary()
    table = json.load(open(TABLE))
    with kiln_server(binary) as port:
        per_endpoint = collections.defaultdict(lambda: [0, 0])
        mismatches = []
        for case in table["cases"]:
            want = case["want"]
            got, body = send(port, case)
            counts = per_endpoint[case["path"]]
            counts[1] += 1
            if got == want:
                counts[0] += 1
            else:
                mismatches.append((case, got, body))
        for case, got, body in mismatches:
            print(f"{case['method']} {case['path']} {case['name']}: Kiln {got}, Pyroscope {case['want']}  {body!r}")
        print()
        for path, (same, total) in sorted(per_endpoint.items()):
            print(f"{path}: {same}/{total} as Pyroscope")
        total = len(table["cases"])
        print(f"check-pyroscope-status: {total - len(mismatches)} of {total} cases answer Pyroscope's status")
        return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
