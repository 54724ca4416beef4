"""Query latency of a split deployment against one process, same machine, same run.

Usage: .venv/bin/python tools/bench/split_roles.py [PATH/TO/kiln] [SERVICES] [PUSHES] [INGESTERS]

Starts moto_server, one `--target=all` process and INGESTERS (default 1)
`--target=ingester` processes (each with its own --ingester.id) + one
`--target=querier` over the same bucket (different prefixes), pushes
the same real Go CPU profiles to both sides (SERVICES services × PUSHES
pushes; on the split side each service goes to one ingester, in turn),
then times each query API against both: first with everything in the heads
(the querier gets it all through the internal head API), then after a flush
(blocks in the bucket: the querier reads them through its cache, the single
process from local disk). Prints p50/p90 per query and the ratio of the p50s.
Use a release build: swift build -c release --product kiln.
"""
import base64
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build/release/kiln")
services = int(sys.argv[2]) if len(sys.argv) > 2 else 200
pushes = int(sys.argv[3]) if len(sys.argv) > 3 else 20
ingester_count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(port, path="/ready", seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"port {port} not ready")


def post(port, path, body, content_type="application/json"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", path, body=body, headers={"Content-Type": content_type})
    r = c.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"{path}: {r.status} {data[:300]!r}")
    return data


work = tempfile.mkdtemp(prefix="kiln-split-bench-")
procs = []
try:
    moto_port = free_port()
    procs.append(subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait(moto_port, "/moto-api/")
    endpoint = f"http://127.0.0.1:{moto_port}"
    access, secret = subprocess.check_output([sys.executable, os.path.join(root, "tools/e2e/moto_s3.py"), endpoint, "0", "bench"], text=True).split()

    def start(name, *args):
        port = free_port()
        log = open(os.path.join(work, name + ".log"), "w")
        procs.append(subprocess.Popen([binary, "--server.http-listen-address", "127.0.0.1", "--server.http-listen-port", str(port),
                                       "--storage.path", os.path.join(work, name), "--storage.backend", "s3",
                                       "--storage.s3.endpoint", endpoint, "--storage.s3.bucket", "bench",
                                       "--storage.s3.access-key", access, "--storage.s3.secret-key", secret,
                                       "--storage.s3.force-path-style", "--log.level", "warning",
                                       "--distributor.ingestion-rate-limit-mb", "1000", "--distributor.ingestion-burst-size-mb", "1000", *args], stdout=log, stderr=log))
        wait(port)
        return port

    single = start("single", "--storage.s3.prefix", "single/")
    ingesters = [start(f"ingester-{i}", "--storage.s3.prefix", "split/", "--target", "ingester", "--ingester.id", f"ingester-{i}")
                 for i in range(ingester_count)]
    querier = start("querier", "--storage.s3.prefix", "split/", "--target", "querier",
                    "--querier.ingesters", ",".join(f"http://127.0.0.1:{p}" for p in ingesters))

    profile = base64.b64encode(open(os.path.join(root, "testdata/pprof/go-cpu.pb.gz"), "rb").read()).decode()
    t = time.time()
    for side in ([single], ingesters):
        for _ in range(pushes):
            for i, port in enumerate(side):
                series = [{"labels": [{"name": "__name__", "value": "process_cpu"}, {"name": "service_name", "value": f"svc-{s}"}],
                           "samples": [{"rawProfile": profile}]} for s in range(i, services, len(side))]
                post(port, "/push.v1.PusherService/Push", json.dumps({"series": series}))
    print(f"pushed {services * pushes} profiles to each side ({ingester_count} ingester(s) on the split side) in {time.time() - t:.1f} s")

    rng = '"start":1,"end":4000000000000'
    queries = [
        ("flame, whole tenant", "SelectMergeStacktraces", f'{{"profile_typeID":"{cpu}","label_selector":"{{}}",{rng}}}'),
        ("flame, one service", "SelectMergeStacktraces", f'{{"profile_typeID":"{cpu}","label_selector":"{{service_name=\\"svc-7\\"}}",{rng}}}'),
        ("series by service", "SelectSeries", f'{{"profile_typeID":"{cpu}","label_selector":"{{}}",{rng},"step":60,"group_by":["service_name"]}}'),
        ("label values", "LabelValues", f'{{"name":"service_name",{rng}}}'),
        ("profile types", "ProfileTypes", "{}"),
    ]

    def measure(stage, reps=25):
        print(f"\n{stage}")
        print(f"{'query':24} {'all p50':>9} {'all p90':>9} {'split p50':>10} {'split p90':>10} {'split/all':>10}")
        for name, method, body in queries:
            times = {}
            answers = {}
            for label, port in (("all", single), ("split", querier)):
                for _ in range(3):
                    answers[label] = post(port, "/querier.v1.QuerierService/" + method, body)
                ts = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    post(port, "/querier.v1.QuerierService/" + method, body)
                    ts.append((time.perf_counter() - t0) * 1000)
                ts.sort()
                times[label] = (statistics.median(ts), ts[int(len(ts) * 0.9)])
            same = "" if answers["all"] == answers["split"] else "  (answers differ!)"
            print(f"{name:24} {times['all'][0]:8.1f}ms {times['all'][1]:8.1f}ms {times['split'][0]:9.1f}ms {times['split'][1]:9.1f}ms "
                  f"{times['split'][0] / times['all'][0]:9.2f}x{same}")

    measure("heads only (the querier gets everything through the head API)")
    for port in [single] + ingesters:
        post(port, "/ingester/flush", b"")
    measure("after a flush (blocks in the bucket)")
finally:
    for p in procs:
        p.kill()
    shutil.rmtree(work, ignore_errors=True)
