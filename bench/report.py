#!/usr/bin/env python3
"""Prints the results of one bench/run.sh run as Markdown tables.

    python3 bench/report.py bench/results/20261127T073635Z-t10-n1000000
"""
import glob
import json
import sys


def load(prefix, scenario):
    files = glob.glob(f"{prefix}-{scenario}.json")
    return json.load(open(files[0])) if files else None


def ops_table(prefix):
    print("| step | operation | clients | ops/s | p50 ms | p90 ms | p99 ms | max ms | errors | server CPU | RssAnon max MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scenario in ["create", "reads", "writes", "mixed", "findable"]:
        doc = load(prefix, scenario)
        if not doc:
            continue
        for step in doc["result"]["steps"]:
            wall = step.get("wall_seconds") or 0
            cpu = sum(s for _, s in step.get("server_cpu", []))
            cpu_txt = f"{100 * cpu / wall:.0f} %" if wall else "–"
            mem = step.get("memory") or {}
            anon = mem.get("max_rss_anon_kib", 0) / 1024
            for op in step["ops"]:
                print(
                    f"| {step['name']} | {op['op']} | {op['clients']} | {op['per_second']:.0f} "
                    f"| {op['p50_ms']:.2f} | {op['p90_ms']:.2f} | {op['p99_ms']:.2f} "
                    f"| {op['max_ms']:.1f} | {op['errors']} | {cpu_txt} | {anon:.0f} |"
                )


def extras(prefix):
    doc = load(prefix, "findable")
    if doc:
        for p in doc["result"]["extra"]["phases"]:
            d = p["delay"]
            print(
                f"* findable ({p['phase']}, {p['background_clients']} creators): "
                f"p50 {d['p50_ms']:.0f} ms, p90 {d['p90_ms']:.0f} ms, max {d['max_ms']:.0f} ms "
                f"over {d['samples']} probes, {len(p['failures'])} failures"
            )
    doc = load(prefix, "coldstart")
    if doc:
        c = doc["result"]["coldstart"]
        runs = ", ".join(f"{r['healthz_ms']:.0f}" for r in c["runs"])
        print(
            f"* cold start to /healthz: p50 {c['healthz']['p50_ms']:.0f} ms, "
            f"max {c['healthz']['max_ms']:.0f} ms (runs: {runs} ms)"
        )
    doc = load(prefix, "mixed")
    if doc:
        e = doc["result"]["extra"]
        print(f"* mixed total: {e['total_per_second']:.0f} ops/s, {100 * e['write_share']:.1f} % writes")
    doc = load(prefix, "memory")
    if doc:
        r = doc["result"]
        mib = lambda m, k: (m or {}).get(k, 0) / 1024
        print(
            f"* RssAnon at rest: {mib(r['rest_before'], 'rss_anon_kib'):.0f} MiB before the load, "
            f"{mib(r['rest_after'], 'rss_anon_kib'):.0f} MiB 3 s after it; "
            f"max under load {r['max_rss_anon_kib_under_load'] / 1024:.0f} MiB; "
            f"VmHWM {mib(r['rest_after'], 'vm_hwm_kib'):.0f} MiB"
        )
        b, a = r["data_dir_before"], r["data_dir_after"]
        print(
            f"* data directory: {b['disk_bytes'] / 2**20:.0f} MiB before, "
            f"{a['disk_bytes'] / 2**20:.0f} MiB after the run"
        )


if __name__ == "__main__":
    prefix = sys.argv[1]
    ops_table(prefix)
    print()
    extras(prefix)
