#!/usr/bin/env python3
"""100,000 projects within Google's quotas (issue 22): one `jit emulator` seeded by
make_asset_seed.py with 100,000 projects in 500 folders, 10,000 buckets and 10,000 secrets (2% with
an expired binding, 5% with an active one), every API call delayed by --latency-ms (50), and the
emulator's rate quotas on: --writes-per-minute writes a minute per quota project per service,
--searches-per-minute searches a minute, one policy write a second per bucket. The quotas are set
higher than Google's (600 writes and 400 searches a minute) so that the run takes minutes; the
ratios are what count. A benchmark, not a test: it never fails on a figure, only when a command
itself fails. Side by side, in one run:

  1. `jit list --organization N --recursive`: wall time against the bound pages x latency (target
     <= 1.3x), and peak RSS (target <= 64 MiB; with --compare-projects, the same list over a
     smaller organization, whose RSS should be within 10%).
  2. `jit cleanup --recursive`, paced to the quota (`--writes-per-minute` = the emulator's):
     achieved writes a minute against the quota (target >= 0.9 of it, per service, over the
     minutes the writes of that service took), the share of calls answered 429 (target <= 1%),
     nothing written twice, nothing live removed.
  3. The same cleanup from the same seed with pacing off (`--writes-per-minute 0`), to show what
     pacing saves: its 429s and its wall time.

The emulator's request log keeps the last 10,000 calls; each cleanup is measured from it (2% of
120,500 resources is about 2,400 writes, with their reads and the search pages).

Usage: quota_bench.py --jit target/release/jit [--latency-ms 50] [--writes-per-minute 1000]
       [--searches-per-minute 4000] [--projects 100000] [--compare-projects 10000] [--out results.json]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asset_bench import HERE, ORG, calls_by_kind, http, measure  # noqa: E402


def start_emulator(jit: str, seed: str, a, log) -> tuple:
    emu = subprocess.Popen([jit, "emulator", "--port", "0", "--seed", seed,
                            "--quota-writes-per-minute", str(a.writes_per_minute),
                            "--quota-searches-per-minute", str(a.searches_per_minute),
                            "--quota-bucket-updates-per-second", "1"],
                           stdout=subprocess.PIPE, stderr=log, text=True)
    line = emu.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not m:
        sys.exit(f"the emulator did not start: {line!r}")
    return emu, m.group(0)


def stop(emu) -> None:
    emu.terminate()
    try:
        emu.wait(timeout=10)
    except subprocess.TimeoutExpired:
        emu.kill()


def make_seed(work: str, projects: int, a) -> tuple:
    seed = os.path.join(work, f"seed-{projects}.json")
    folders = max(1, projects // 200)
    made = subprocess.run([sys.executable, os.path.join(HERE, "make_asset_seed.py"), seed, "--projects",
                           str(projects), "--folders", str(folders), "--buckets", str(projects // 10),
                           "--secrets", str(projects // 10)], check=True, capture_output=True, text=True).stdout.strip()
    print(made)
    return seed, made


def service(path: str) -> str:
    if path.startswith("/storage/"):
        return "storage"
    if "/secrets/" in path:
        return "secretmanager"
    return "cloudresourcemanager"


def parse_time(t: str) -> float:
    return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()


def writes_report(log, quota: int) -> dict:
    """Achieved writes a minute per service (from the first to the last write of it), the share of
    429s, and whether any resource was written twice."""
    writes = defaultdict(list)
    per_resource = Counter()
    throttled = 0
    for e in log:
        path, method = e["path"], e["method"]
        is_write = path.endswith(":setIamPolicy") or (path.endswith("/iam") and method == "PUT")
        if e["status"] == 429:
            throttled += 1
        if is_write and e["status"] == 200:
            writes[service(path)].append(parse_time(e["time"]))
            per_resource[path] += 1
    achieved = {}
    for svc, times in writes.items():
        span = max(times) - min(times)
        per_min = (len(times) - 1) / (span / 60) if span > 0 else float("nan")
        achieved[svc] = {"writes": len(times), "spanS": round(span, 2), "perMinute": round(per_min, 1),
                         "ofQuota": round(per_min / quota, 3) if svc != "storage" else None}
    return {"services": achieved, "calls": len(log), "throttled": throttled,
            "throttledShare": round(throttled / max(1, len(log)), 4),
            "writtenTwice": sum(1 for n in per_resource.values() if n > 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jit", required=True, help="the jit binary (a release build)")
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--projects", type=int, default=100000)
    ap.add_argument("--compare-projects", type=int, default=10000, help="0 leaves the comparison out")
    # Below what 16 resources at a time reach at 50 ms a call (a read and a write each: about
    # 9,600 writes a minute at best), so that the quota, not the latency, bounds the cleanup; and
    # below the 2,000 project writes of the cleanup, so that a run without pacing goes past it.
    ap.add_argument("--writes-per-minute", type=int, default=1000)
    ap.add_argument("--searches-per-minute", type=int, default=4000)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="jit-quota-bench-")
    token = os.path.join(work, "token")
    with open(token, "w") as f:
        f.write("alice-token\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDSDK_", "GOOGLE_"))}
    lat = a.latency_ms / 1000
    out = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start",
        "jit": subprocess.run([a.jit, "--version"], capture_output=True, text=True).stdout.strip(),
        "commit": subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip(),
        "latencyMs": a.latency_ms, "concurrency": a.concurrency,
        "quotas": {"writesPerMinute": a.writes_per_minute, "searchesPerMinute": a.searches_per_minute,
                   "bucketUpdatesPerSecond": 1},
    }
    print(f"{out['date']}  {out['machine']}; {out['jit']} at {out['commit']}; latency {a.latency_ms} ms;"
          f" quotas {out['quotas']}\n")
    pace = ["--writes-per-minute", str(a.writes_per_minute), "--searches-per-minute", str(a.searches_per_minute)]
    try:
        sizes = [a.projects] + ([a.compare_projects] if a.compare_projects else [])
        for size in sizes:
            seed, made = make_seed(work, size, a)
            log = open(os.path.join(work, f"emulator-{size}.log"), "w+")
            emu, url = start_emulator(a.jit, seed, a, log)
            base = url + "/_emulator"
            plain = [a.jit, "--endpoint", url, "--access-token-file", token]
            jit = plain + pace
            try:
                http("POST", base + "/faults", {"latencyMs": a.latency_ms})
                # 1. list through the search.
                http("DELETE", base + "/requests")
                wall, rss, cpu, code, stdout, stderr = measure(
                    jit + ["list", "--organization", ORG, "--recursive", "--format", "json"], env)
                if code != 0:
                    sys.exit(f"list failed (exit {code}):\n{stderr[-2000:]}")
                kinds = calls_by_kind(http("GET", base + "/requests"))
                pages = kinds["searchAllIamPolicies"]
                bound = pages * lat
                entry = {"projects": size, "seed": made, "wallS": round(wall, 2), "pages": pages,
                         "boundS": round(bound, 2), "ratio": round(wall / bound, 3), "rssKiB": rss,
                         "rows": len(json.loads(stdout))}
                out.setdefault("list", []).append(entry)
                print(f"list --recursive, {size} projects: {wall:.2f} s for {pages} pages (bound {bound:.2f} s,"
                      f" ratio {wall / bound:.2f}, target <= 1.3), peak {rss / 1024:.1f} MiB (target <= 64)")
                if size != a.projects:
                    continue
                # 2. and 3. cleanup, paced then not, each from the seed.
                unpaced = plain + ["--writes-per-minute", "0", "--searches-per-minute", str(a.searches_per_minute)]
                for label, cmd in [("paced", jit), ("unpaced", unpaced)]:
                    http("POST", base + "/reset", {})
                    http("POST", base + "/quotas", {"writesPerMinute": a.writes_per_minute,
                                                    "searchesPerMinute": a.searches_per_minute,
                                                    "bucketUpdatesPerSecond": 1})
                    http("DELETE", base + "/requests")
                    wall, rss, cpu, code, stdout, stderr = measure(
                        cmd + ["cleanup", "--recursive", "--organization", ORG, "--concurrency",
                                      str(a.concurrency), "--format", "json"], env)
                    report = json.loads(stdout) if stdout.strip() else {"removed": [], "errors": []}
                    w = writes_report(http("GET", base + "/requests"), a.writes_per_minute)
                    # Nothing live removed: the active grants (5% of the resources) are all still listed.
                    left = measure(jit + ["list", "--organization", ORG, "--recursive", "--format", "json"], env)
                    active = len(json.loads(left[4])) if left[3] == 0 else None
                    entry = {"exit": code, "wallS": round(wall, 2), "rssKiB": rss,
                             "removed": len(report["removed"]), "errors": len(report["errors"]),
                             "activeLeft": active, **w}
                    out[f"cleanup{label.capitalize()}"] = entry
                    per = ", ".join(f"{s} {v['writes']} writes at {v['perMinute']}/min"
                                    + (f" ({v['ofQuota']:.0%} of the quota)" if v["ofQuota"] else "")
                                    for s, v in w["services"].items())
                    print(f"cleanup --recursive {label}: exit {code}, {wall:.1f} s, peak {rss / 1024:.1f} MiB;"
                          f" {len(report['removed'])} removed, {len(report['errors'])} errors; {per};"
                          f" {w['throttled']} of {w['calls']} calls answered 429 ({w['throttledShare']:.2%},"
                          f" target <= 1%); {w['writtenTwice']} written twice; {active} active grants left")
            finally:
                stop(emu)
                log.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out["loadAverageAtEnd"] = round(os.getloadavg()[0], 2)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
