#!/usr/bin/env python3
"""jit vs gcloud, and jit cleanup over 2,000 projects, against one `jit emulator` (issue 4).

Run it through docs/bench/run.sh, which installs what this needs and builds jit in release mode.
Prints the figures and writes them as JSON (--out). A benchmark, not a test: it never fails on a
figure, only when a command itself fails.

What it measures, on ONE emulator started from a generated seed (docs/bench/make_seed.py):
  1. `jit grant` vs `gcloud projects add-iam-policy-binding --condition=…`: wall time and peak RSS,
     --runs runs each (interleaved, after one warm-up each), medians and ratios.
  2. `jit list` vs `gcloud projects get-iam-policy --format=json`: the same.
  3. The same two on a bucket (issue 9): `jit grant … --bucket` vs `gcloud storage buckets
     add-iam-policy-binding gs://B --condition=…`, and `jit list --bucket` vs `gcloud storage
     buckets get-iam-policy gs://B --format=json`.
  4. A grant at --grant-latency-ms (50) injected on every call the emulator answers (tokeninfo
     included), on the project and on the bucket, --grant-latency-runs runs each, each after POST
     /_emulator/reset: wall time against the bound 2 round trips + 15 ms, and the round trips
     counted exactly from the emulator's request log (requests whose answers are logged less than
     half the latency apart were in flight together: one round trip).
  5. `jit cleanup --recursive --organization N` over the seeded projects with --latency-ms
     injected on every API call (set through POST /_emulator/faults, the same fault as
     `jit emulator --latency-ms`), --cleanup-runs runs, each after POST /_emulator/reset (which
     restores the seed and clears the request log). The calls are counted from the emulator's
     request log (GET /_emulator/requests) and compared with the bound calls × latency ÷ concurrency.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ORG = "123456789012"
PROJECT = "bench-target"
BUCKET = "bench-bucket"
TIME = "/usr/bin/time"


def http(method: str, url: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def measure(cmd, env=None, stdout=subprocess.DEVNULL):
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak RSS KiB, user+sys seconds, stdout)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        full = [TIME, "-f", "%M %U %S", "-o", t.name] + cmd
        start = time.perf_counter()
        p = subprocess.run(full, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        if p.returncode != 0:
            sys.exit(f"command failed (exit {p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
        fields = t.read().strip().splitlines()[-1].split()
        rss, user, sys_ = int(fields[0]), float(fields[1]), float(fields[2])
    return wall, rss, user + sys_, p.stdout


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def med(xs):
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jit", required=True, help="the jit binary (a release build)")
    ap.add_argument("--gcloud", default=shutil.which("gcloud"), help="the gcloud binary")
    ap.add_argument("--runs", type=int, default=10, help="runs of each grant/list command")
    ap.add_argument("--projects", type=int, default=2000)
    ap.add_argument("--latency-ms", type=int, default=30)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--cleanup-runs", type=int, default=3)
    ap.add_argument("--grant-latency-ms", type=int, default=50)
    ap.add_argument("--grant-latency-runs", type=int, default=10)
    ap.add_argument("--out", default=None, help="write the figures here as JSON")
    ap.add_argument("--jit-env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra environment for the jit commands only (experiments, e.g. SSL_CERT_DIR=…)")
    a = ap.parse_args()
    if not a.gcloud:
        sys.exit("gcloud is not installed: the grant and list comparisons need the Google Cloud CLI")

    work = tempfile.mkdtemp(prefix="jit-bench-")
    seed = os.path.join(work, "seed.json")
    subprocess.run([sys.executable, os.path.join(HERE, "make_seed.py"), seed, "--projects", str(a.projects)],
                   check=True)
    token = os.path.join(work, "token")
    with open(token, "w") as f:
        f.write("alice-token\n")

    emu_log = open(os.path.join(work, "emulator.log"), "w+")
    emu = subprocess.Popen([a.jit, "emulator", "--port", "0", "--seed", seed], stdout=subprocess.PIPE,
                           stderr=emu_log, text=True)
    try:
        line = emu.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not m:
            sys.exit(f"the emulator did not start: {line!r}")
        url = m.group(0)
        results = run(a, url, token, work, emu.pid)
    finally:
        emu.terminate()
        try:
            emu.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emu.kill()
        emu_log.close()
        shutil.rmtree(work, ignore_errors=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=2)
        print(f"\nfigures written to {a.out}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(a, url: str, token: str, work: str, emu_pid: int) -> dict:
    jit = [a.jit, "--endpoint", url, "--access-token-file", token]
    gconfig = os.path.join(work, "gcloud-config")
    genv = dict(os.environ)
    genv.update({
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER": url + "/",
        # Storage's override carries its path, as gcloud's base URL for it does.
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE": url + "/storage/v1/",
        "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE": token,
        "CLOUDSDK_CONFIG": gconfig,
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
        # Nothing outside the emulator: no update checks, no usage reporting.
        "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "1",
        "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "1",
    })
    jenv = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDSDK_")}
    jenv.update(dict(kv.split("=", 1) for kv in a.jit_env))
    gversion = subprocess.run([a.gcloud, "--version"], env=genv, capture_output=True, text=True).stdout.split("\n")[0]
    jversion = subprocess.run([a.jit, "--version"], capture_output=True, text=True).stdout.strip()
    info = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu_model(),
        "machine": f"{os.cpu_count()} cores ({cpu_model()}), load average "
                   f"{os.getloadavg()[0]:.2f} at start",
        "jit": jversion,
        "commit": subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip(),
        "gcloud": gversion,
        "runs": a.runs,
        "jitEnv": a.jit_env,
    }
    print(f"{info['date']}  {info['machine']}\n{jversion}; {gversion}; emulator at {url}\n")

    until = (datetime.now(timezone.utc) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def jit_grant(i):
        return jit + ["grant", "roles/storage.admin", "--for", "2h", "--member", f"user:jit{i}@example.com",
                      "--reason", "bench", "--project", PROJECT, "--yes", "--format", "json"]

    def gcloud_grant(i):
        return [a.gcloud, "projects", "add-iam-policy-binding", PROJECT, f"--member=user:gcloud{i}@example.com",
                "--role=roles/storage.admin",
                f'--condition=expression=request.time < timestamp("{until}"),title=bench {i}',
                "--format=json"]

    jit_list = jit + ["list", "--project", PROJECT, "--all", "--format", "json"]
    gcloud_list = [a.gcloud, "projects", "get-iam-policy", PROJECT, "--format=json"]

    def jit_bucket_grant(i):
        return jit + ["grant", "roles/storage.objectViewer", "--for", "2h", "--member", f"user:jitb{i}@example.com",
                      "--reason", "bench", "--bucket", BUCKET, "--yes", "--format", "json"]

    def gcloud_bucket_grant(i):
        return [a.gcloud, "storage", "buckets", "add-iam-policy-binding", f"gs://{BUCKET}",
                f"--member=user:gcloudb{i}@example.com", "--role=roles/storage.objectViewer",
                f'--condition=expression=request.time < timestamp("{until}"),title=bench {i}',
                "--format=json"]

    jit_bucket_list = jit + ["list", "--bucket", BUCKET, "--all", "--format", "json"]
    gcloud_bucket_list = [a.gcloud, "storage", "buckets", "get-iam-policy", f"gs://{BUCKET}", "--format=json"]

    pairs = {
        "grant": (jit_grant, gcloud_grant),
        "list": (lambda i: jit_list, lambda i: gcloud_list),
        "bucketGrant": (jit_bucket_grant, gcloud_bucket_grant),
        "bucketList": (lambda i: jit_bucket_list, lambda i: gcloud_bucket_list),
    }
    out = {"info": info}
    for name, (jcmd, gcmd) in pairs.items():
        # One warm-up each (gcloud writes its configuration directory on its first run).
        measure(jcmd(-1), jenv)
        measure(gcmd(-1), genv)
        js, gs = [], []
        for i in range(a.runs):
            js.append(measure(jcmd(i), jenv))
            gs.append(measure(gcmd(i), genv))
        row = {
            "jit": {"wallMedianS": med([x[0] for x in js]), "rssMedianKiB": med([x[1] for x in js]),
                    "cpuMedianS": med([x[2] for x in js]), "wallS": [round(x[0], 4) for x in js]},
            "gcloud": {"wallMedianS": med([x[0] for x in gs]), "rssMedianKiB": med([x[1] for x in gs]),
                       "cpuMedianS": med([x[2] for x in gs]), "wallS": [round(x[0], 4) for x in gs]},
        }
        row["speedup"] = row["gcloud"]["wallMedianS"] / row["jit"]["wallMedianS"]
        row["memoryFraction"] = row["jit"]["rssMedianKiB"] / row["gcloud"]["rssMedianKiB"]
        out[name] = row
        # GNU time counts CPU in 10 ms steps: a median of 0 means under 10 ms.
        jcpu = row['jit']['cpuMedianS'] * 1000
        jcpu = f"{jcpu:.0f} ms" if jcpu else "< 10 ms"
        print(f"{name}: jit median {row['jit']['wallMedianS'] * 1000:.1f} ms, {row['jit']['rssMedianKiB'] / 1024:.1f} MiB"
              f" (cpu {jcpu});"
              f" gcloud median {row['gcloud']['wallMedianS'] * 1000:.0f} ms, {row['gcloud']['rssMedianKiB'] / 1024:.1f} MiB"
              f" (cpu {row['gcloud']['cpuMedianS'] * 1000:.0f} ms)")
        print(f"  jit is {row['speedup']:.1f}x faster (target >= 100x) and uses "
              f"{row['memoryFraction'] * 100:.1f}% of gcloud's peak RSS (target <= 20%)")

    base = url + "/_emulator"

    # 4. A grant at the given latency: two round trips (tokeninfo alongside the read, then the
    # write) plus at most 15 ms of jit's own time (issue 9).
    lat = a.grant_latency_ms
    bound_ms = 2 * lat + 15
    out["grantAtLatency"] = {"latencyMs": lat, "boundMs": bound_ms}
    for name, cmd in [("project", jit_grant), ("bucket", jit_bucket_grant)]:
        runs = []
        for i in range(a.grant_latency_runs + 1):
            http("POST", base + "/reset", {})
            http("POST", base + "/faults", {"latencyMs": lat})
            wall, rss, cpu, _ = measure(cmd(1000 + i), jenv)
            http("POST", base + "/faults", {"latencyMs": 0})
            log = sorted(http("GET", base + "/requests"), key=lambda e: e["time"])
            times = [datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in log]
            # Answers logged less than half the latency apart were in flight together.
            rounds = 1 + sum(1 for t0, t1 in zip(times, times[1:]) if (t1 - t0).total_seconds() * 1000 > lat / 2)
            calls = [f"{e['method']} {e['path']}" for e in log]
            if i == 0:
                continue  # the warm-up
            runs.append({"wallMs": round(wall * 1000, 1), "cpuS": cpu, "requests": len(log), "roundTrips": rounds,
                         "calls": calls, "non2xx": sum(1 for e in log if e["status"] >= 300)})
        walls = [r["wallMs"] for r in runs]
        row = {
            "wallMedianMs": med(walls), "wallMaxMs": max(walls), "wallMinMs": min(walls),
            "roundTrips": sorted({r["roundTrips"] for r in runs}), "requests": sorted({r["requests"] for r in runs}),
            "calls": runs[0]["calls"], "withinBound": sum(1 for w in walls if w <= bound_ms), "runs": runs,
        }
        out["grantAtLatency"][name] = row
        print(f"grant on the {name} at {lat} ms per call: median {row['wallMedianMs']:.1f} ms "
              f"(min {row['wallMinMs']:.1f}, max {row['wallMaxMs']:.1f}), bound {bound_ms} ms "
              f"(2 round trips + 15 ms): {row['withinBound']} of {len(runs)} runs within; "
              f"round trips {row['roundTrips']}, requests {row['requests']}: {row['calls']}")

    # 5. cleanup over the whole organization with injected latency.
    cleanup = jit + ["cleanup", "--recursive", "--organization", ORG, "--concurrency", str(a.concurrency),
                     "--format", "json"]
    runs = []
    for r in range(a.cleanup_runs):
        # reset restores the seed and clears the request log; the faults are kept apart.
        http("POST", base + "/reset", {})
        http("POST", base + "/faults", {"latencyMs": a.latency_ms})
        emu_cpu = cpu_seconds(emu_pid)
        wall, rss, cpu, stdout = measure(cleanup, jenv, stdout=subprocess.PIPE)
        emu_cpu = cpu_seconds(emu_pid) - emu_cpu
        http("POST", base + "/faults", {"latencyMs": 0})
        log = http("GET", base + "/requests")
        report = json.loads(stdout)
        kinds = Counter()
        for e in log:
            path = e["path"]
            if path.endswith(":getIamPolicy"):
                kinds["getIamPolicy"] += 1
            elif path.endswith(":setIamPolicy"):
                kinds["setIamPolicy"] += 1
            elif path.startswith("/v3/folders") and e["method"] == "GET":
                kinds["folders.list"] += 1
            elif path.startswith("/v3/projects") and e["method"] == "GET":
                kinds["projects.list"] += 1
            else:
                kinds["other " + e["method"] + " " + path] += 1
        calls = sum(v for k, v in kinds.items() if k.startswith(("get", "set", "folders", "projects")))
        bound = calls * a.latency_ms / 1000 / a.concurrency
        runs.append({
            "wallS": wall, "rssKiB": rss, "cpuS": cpu, "emulatorCpuS": emu_cpu, "calls": calls, "byKind": dict(kinds),
            "boundS": bound, "ratio": wall / bound, "resources": report["resources"],
            "removed": len(report["removed"]), "errors": len(report["errors"]),
            "non2xx": sum(1 for e in log if e["status"] >= 300),
        })
        x = runs[-1]
        print(f"cleanup run {r + 1}: {wall:.2f} s, {rss / 1024:.1f} MiB, cpu {cpu:.2f} s (emulator {emu_cpu:.2f} s);"
              f" {x['resources']} resources,"
              f" {x['removed']} members removed, {x['errors']} errors; {calls} calls {dict(kinds)};"
              f" bound {bound:.2f} s; ratio {wall / bound:.2f} (target <= 1.3)")
    walls = [x["wallS"] for x in runs]
    mid = sorted(runs, key=lambda x: x["wallS"])[len(runs) // 2]
    out["cleanup"] = {
        "latencyMs": a.latency_ms, "concurrency": a.concurrency, "projects": a.projects,
        "wallMedianS": med(walls), "calls": mid["calls"], "boundS": mid["boundS"],
        "ratio": med(walls) / mid["boundS"], "runs": runs,
    }
    out["info"]["loadAverageAtEnd"] = round(os.getloadavg()[0], 2)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"cleanup: median {med(walls):.2f} s against a bound of {mid['boundS']:.2f} s "
          f"({mid['calls']} calls x {a.latency_ms} ms / {a.concurrency}): {med(walls) / mid['boundS']:.2f}x")
    return out


if __name__ == "__main__":
    main()
