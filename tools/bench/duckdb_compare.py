"""Kiln against DuckDB on the same rows, in the same run.

Usage: .venv/bin/python tools/bench/duckdb_compare.py --directory D [--hours 24] [--runs 10]

1. Builds kiln-bench (release) and runs `kiln-bench query` over the reference
   blocks in D/blocks (written on the first run), which prints and saves its
   latencies (D/kiln.json) and exports the rows it read (D/rows/).
2. Writes those rows to Parquet (D/*.parquet, zstd) with pyarrow.
3. Runs the equivalent aggregations in DuckDB over the Parquet files, with
   all cores, once cold and `--runs` times warm.
4. Prints both, and Kiln/DuckDB ratios (below 1: Kiln is faster).

The flame-graph rows carry global stack ids (the per-block remap Kiln does
at query time is done in DuckDB's favour), and DuckDB returns per-stack sums
where Kiln returns the rendered flame graph.
"""
import argparse
import json
import os
import subprocess
import sys
import time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--directory", required=True)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = os.path.abspath(args.directory)
    os.makedirs(d, exist_ok=True)
    subprocess.check_call(["swift", "build", "-c", "release", "--product", "kiln-bench"], cwd=root)
    bench = os.path.join(root, ".build", "release", "kiln-bench")
    rows = os.path.join(d, "rows")
    subprocess.check_call([bench, "query", "--directory", os.path.join(d, "blocks"), "--hours", str(args.hours),
                           "--runs", str(args.runs), "--json", os.path.join(d, "kiln.json"), "--export-rows", rows])
    kiln = {r["key"]: r for r in json.load(open(os.path.join(d, "kiln.json")))}

    def col(name, dtype):
        return np.fromfile(os.path.join(rows, name), dtype=dtype)

    t = time.time()
    samples = pa.table({"time": col("samples.time.i64", "<i8"), "series": col("samples.series.u16", "<u2"),
                        "stack": col("samples.stack.u32", "<u4"), "value": col("samples.value.i64", "<i8")})
    profiles = pa.table({"time": col("profiles.time.i64", "<i8"), "series": col("profiles.series.u16", "<u2"),
                         "total": col("profiles.total.i64", "<i8")})
    labels = json.load(open(os.path.join(rows, "series.json")))
    series = pa.table({"series": pa.array(range(len(labels)), pa.uint16()),
                       "service_name": [l.get("service_name", "") for l in labels], "pod": [l.get("pod", "") for l in labels]})
    for name, table in [("samples", samples), ("profiles", profiles), ("series", series)]:
        pq.write_table(table, os.path.join(d, name + ".parquet"), compression="zstd")
    size = sum(os.path.getsize(os.path.join(d, n + ".parquet")) for n in ["samples", "profiles", "series"])
    print(f"wrote {samples.num_rows} sample rows to Parquet ({size / 1e6:.1f} MB) in {time.time() - t:.1f} s")

    start = int(samples.column("time").to_numpy().min()) if samples.num_rows else 0
    start_ms = 1_700_000_000_000  # ReferenceBlocks.start
    end_ms = start_ms + args.hours * 3_600_000
    ns = 1_000_000
    con = duckdb.connect()
    con.execute(f"PRAGMA threads={os.cpu_count()}")
    s, p, se = (os.path.join(d, n + ".parquet") for n in ["samples", "profiles", "series"])
    queries = {
        "flame24h": f"SELECT stack, sum(value) FROM '{s}' WHERE time BETWEEN {start_ms * ns} AND {end_ms * ns} GROUP BY stack",
        "flame1h": f"SELECT stack, sum(value) FROM '{s}' WHERE time BETWEEN {(end_ms - 3_600_000) * ns} AND {end_ms * ns} "
                   f"AND series IN (SELECT series FROM '{se}' WHERE service_name = 'svc-3') GROUP BY stack",
        "series24h": f"SELECT service_name, (time - {start_ms * ns}) // 60000000000 AS step, sum(total) FROM '{p}' JOIN '{se}' USING (series) "
                     f"WHERE time BETWEEN {start_ms * ns} AND {end_ms * ns} GROUP BY 1, 2",
        "labelValues24h": f"SELECT DISTINCT pod FROM '{se}' WHERE series IN (SELECT DISTINCT series FROM '{p}' "
                          f"WHERE time BETWEEN {start_ms * ns} AND {end_ms * ns}) ORDER BY pod",
    }
    print()
    print(f"{'query':<40} {'Kiln cold':>10} {'DuckDB cold':>12} {'Kiln p50':>9} {'DuckDB p50':>11} {'DuckDB p90':>11} {'Kiln/DuckDB p50':>16}")
    out = []
    for key, sql in queries.items():
        t = time.time()
        con.execute(sql).fetchall()
        cold = (time.time() - t) * 1000
        times = []
        for _ in range(args.runs):
            t = time.time()
            con.execute(sql).fetchall()
            times.append((time.time() - t) * 1000)
        times.sort()
        p50, p90 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.9))]
        k = kiln[key]
        out.append({"key": key, "kiln": k, "duckdb": {"coldMs": cold, "p50Ms": p50, "p90Ms": p90}})
        print(f"{k['name']:<40} {k['coldMs']:>10.1f} {cold:>12.1f} {k['p50Ms']:>9.1f} {p50:>11.1f} {p90:>11.1f} {k['p50Ms'] / p50:>16.2f}")
    json.dump(out, open(os.path.join(d, "comparison.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
