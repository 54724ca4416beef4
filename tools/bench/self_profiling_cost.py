"""Push throughput of the kiln daemon with self-profiling off, CPU only, and CPU + heap.

Usage: .venv/bin/python tools/bench/self_profiling_cost.py [PATH/TO/kiln]   (release build)

Each configuration runs three times, interleaved, on a fresh data directory:
12 000 real Go CPU profiles pushed over Connect JSON in batches of 20 (WAL in
interval mode, so the disk is not what is measured). Prints the median
profiles/s and its ratio to "off".
"""
import sys
import base64, json, http.client, time, subprocess, socket, os, shutil, statistics
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".build/release/kiln")
profile = base64.b64encode(open(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "testdata/pprof/go-cpu.pb.gz"),"rb").read()).decode()
bodies = [json.dumps({"series": [{"labels": [{"name": "__name__", "value": "process_cpu"}, {"name": "service_name", "value": f"svc-{s}"}], "samples": [{"rawProfile": profile}]} for s in range(b*20, b*20+20)]}) for b in range(10)]
def run(args):
    with socket.socket() as s: s.bind(("127.0.0.1",0)); port = s.getsockname()[1]
    d = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"kiln-sp-bench-{port}")
    p = subprocess.Popen([binary, "--server.http-listen-address","127.0.0.1","--server.http-listen-port",str(port),"--storage.path",d,"--log.level","error","--distributor.ingestion-rate-limit-mb","1000","--distributor.ingestion-burst-size-mb","1000","--wal.sync","interval", *args])
    for _ in range(100):
        try:
            c=http.client.HTTPConnection("127.0.0.1",port); c.request("GET","/ready"); c.getresponse().read(); break
        except OSError: time.sleep(0.1)
    c=http.client.HTTPConnection("127.0.0.1",port)
    t=time.perf_counter()
    for i in range(60):
        for b in bodies:
            c.request("POST","/push.v1.PusherService/Push",body=b,headers={"Content-Type":"application/json"}); r=c.getresponse(); r.read(); assert r.status==200
    el=time.perf_counter()-t
    p.kill(); p.wait(); shutil.rmtree(d, ignore_errors=True)
    return 12000/el
res={"off":[], "cpu only":[], "cpu+heap 512KiB":[]}
for _ in range(3):
    res["off"].append(run([]))
    res["cpu only"].append(run(["--self-profiling.enabled","--self-profiling.heap-sample-rate","0"]))
    res["cpu+heap 512KiB"].append(run(["--self-profiling.enabled"]))
base=statistics.median(res["off"])
for k,v in res.items(): print(f"{k:18} {statistics.median(v):7.0f} profiles/s  {statistics.median(v)/base:.3f}x  runs {[round(x) for x in v]}")
