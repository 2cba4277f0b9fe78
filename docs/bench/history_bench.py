#!/usr/bin/env python3
"""`jit history` over 10,000 Admin Activity entries in pages at 50 ms of injected latency (issue 11,
"Speed"). A benchmark, not a test: it never fails on a figure, only when a command itself fails.

What it does, on ONE `jit emulator` started from a generated seed:
  - the seed holds project `bench-target` (alice an owner) and --entries `setIamPolicy` audit
    entries in its Admin Activity log, spread over the last six days: jit grants, extensions,
    revocations and cleanups of time-bound bindings, as the emulator itself writes them;
  - --latency-ms is injected on every API call (POST /_emulator/faults, as `jit emulator
    --latency-ms`);
  - `jit history --project bench-target --since 7d --format json` runs --runs times (after one
    warm-up); each run's `entries.list` calls are counted from the emulator's request log, and the
    median wall time is compared with the bound pages × latency (jit asks 1,000 entries a page,
    Logging's upper limit, so 10,000 entries are 10 pages).

Usage: docs/bench/history_bench.py --jit target/release/jit [--entries 10000] [--latency-ms 50]
       [--runs 5] [--out results.json]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone

PROJECT = "bench-target"
ACTIVITY = "cloudaudit.googleapis.com%2Factivity"


def http(method: str, url: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


def stamp(t: datetime, micros: bool = False) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micros else "%Y-%m-%dT%H:%M:%SZ")


def condition(until: datetime, reason: str) -> dict:
    u = stamp(until)
    return {
        "expression": f'request.time < timestamp("{u}")',
        "title": f"jit until {u}",
        "description": f"Granted by user:alice@example.com at {u} via jit. Reason: {reason}",
    }


def entry(i: int, at: datetime, deltas: list, who: str) -> dict:
    t = stamp(at, micros=True)
    return {
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "status": {},
            "authenticationInfo": {"principalEmail": who},
            "requestMetadata": {"callerIp": "127.0.0.1"},
            "serviceName": "cloudresourcemanager.googleapis.com",
            "methodName": "SetIamPolicy",
            "authorizationInfo": [{"resource": f"projects/{PROJECT}", "permission": "resourcemanager.projects.setIamPolicy",
                                   "granted": True, "resourceAttributes": {}}],
            "resourceName": f"projects/{PROJECT}",
            "serviceData": {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                            "policyDelta": {"bindingDeltas": deltas}},
        },
        "insertId": f"bench{i:016}",
        "resource": {"type": "project", "labels": {"project_id": PROJECT}},
        "timestamp": t,
        "severity": "NOTICE",
        "logName": f"projects/{PROJECT}/logs/{ACTIVITY}",
        "receiveTimestamp": t,
    }


def seed(entries: int) -> dict:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = now - timedelta(days=6)
    step = (now - start) / max(entries, 1)
    roles = ["roles/logging.viewer", "roles/storage.objectViewer", "roles/pubsub.viewer", "roles/bigquery.dataViewer"]
    log = []
    for i in range(entries):
        at = start + step * i
        member = f"user:dev{i % 50}@example.com"
        role = roles[i % len(roles)]
        kind = i % 4
        old = condition(at + timedelta(hours=1), f"INC-{i}")
        new = condition(at + timedelta(hours=3), f"INC-{i}")
        if kind == 0:
            deltas, who = [{"action": "ADD", "role": role, "member": member, "condition": new}], "alice@example.com"
        elif kind == 1:
            deltas = [{"action": "REMOVE", "role": role, "member": member, "condition": old},
                      {"action": "ADD", "role": role, "member": member, "condition": new}]
            who = "alice@example.com"
        elif kind == 2:
            deltas, who = [{"action": "REMOVE", "role": role, "member": member, "condition": new}], "bob@example.com"
        else:
            gone = condition(at - timedelta(hours=1), f"INC-{i}")
            deltas = [{"action": "REMOVE", "role": role, "member": member, "condition": gone}]
            who = "jit-cleanup@bench-target.iam.gserviceaccount.com"
        log.append(entry(i, at, deltas, who))
    return {
        "projects": [{"projectId": PROJECT, "projectNumber": "100000000042"}],
        "policies": {f"projects/{PROJECT}": {"version": 1, "etag": "BwYAAAAAAAE=",
                                              "bindings": [{"role": "roles/owner", "members": ["user:alice@example.com"]}]}},
        "tokens": [{"token": "alice-token", "principal": "user:alice@example.com"}],
        "logEntries": log,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jit", required=True, help="the jit binary (a release build)")
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", help="write the figures as JSON here")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory() as work:
        seed_path = os.path.join(work, "seed.json")
        with open(seed_path, "w") as f:
            json.dump(seed(a.entries), f)
        token = os.path.join(work, "token")
        with open(token, "w") as f:
            f.write("alice-token\n")
        emu_log = open(os.path.join(work, "emulator.log"), "w+")
        emu = subprocess.Popen([a.jit, "emulator", "--port", "0", "--seed", seed_path], stdout=subprocess.PIPE,
                               stderr=emu_log, text=True)
        try:
            line = emu.stdout.readline()
            m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if not m:
                sys.exit(f"the emulator did not start: {line!r}")
            url = m.group(0)
            results = run(a, url, token)
        finally:
            emu.terminate()
            try:
                emu.wait(timeout=10)
            except subprocess.TimeoutExpired:
                emu.kill()
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")


def run(a, url: str, token: str) -> dict:
    env = dict(os.environ)
    for var in ["CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING", "CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT"]:
        env.pop(var, None)
    cmd = [a.jit, "--endpoint", url, "--access-token-file", token, "history", "--project", PROJECT,
           "--since", "7d", "--format", "json"]
    version = subprocess.run([a.jit, "--version"], capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()[0]
    print(f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}  {version}  {os.cpu_count()} cores, "
          f"load {load:.2f}\n{a.entries} entries, {a.latency_ms} ms per call, emulator at {url}\n")
    http("POST", url + "/_emulator/faults", {"latencyMs": a.latency_ms})
    runs = []
    try:
        for r in range(a.runs + 1):
            before = len(http("GET", url + "/_emulator/requests"))
            start = time.perf_counter()
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - start
            if p.returncode != 0:
                sys.exit(f"jit history failed (exit {p.returncode}):\n{p.stderr[-2000:]}")
            events = len(json.loads(p.stdout))
            log = http("GET", url + "/_emulator/requests")
            pages = sum(1 for x in log[before:] if x["path"] == "/v2/entries:list")
            calls = len(log) - before
            if r == 0:
                print(f"warm-up: {wall:.3f} s, {pages} pages, {events} events")
                continue
            bound = pages * a.latency_ms / 1000
            runs.append({"wallS": wall, "pages": pages, "calls": calls, "events": events, "boundS": bound})
            print(f"run {r}: {wall:.3f} s; {pages} pages ({calls} calls) x {a.latency_ms} ms = {bound:.3f} s; "
                  f"{wall / bound:.2f}x; {events} events")
    finally:
        http("POST", url + "/_emulator/faults", {"latencyMs": 0})
    walls = [x["wallS"] for x in runs]
    mid = statistics.median(walls)
    bound = runs[0]["boundS"]
    print(f"\nmedian {mid:.3f} s against the bound {bound:.3f} s ({runs[0]['pages']} pages x {a.latency_ms} ms): "
          f"{mid / bound:.2f}x (target <= 1.3x); runs {min(walls):.3f}-{max(walls):.3f} s")
    return {"date": datetime.now(timezone.utc).isoformat(), "jit": version, "entries": a.entries,
            "latencyMs": a.latency_ms, "loadAverage": load, "runs": runs, "medianWallS": mid, "boundS": bound,
            "ratio": mid / bound}


if __name__ == "__main__":
    main()
