#!/usr/bin/env python3
"""Writes the `jit emulator --seed` file of the Cloud Asset Inventory benchmark (issue 10,
docs/performance.md, docs/bench/asset_bench.py).

One organization, FOLDERS folders under it, PROJECTS projects spread evenly over the folders, and
BUCKETS buckets plus SECRETS secrets (1,000 + 1,000 by default: "2,000 buckets and secrets") spread
over the first projects. Every resource has an allow policy with an unconditional binding, so the
search returns every one. Of the projects, buckets and secrets, 2% (every 50th) also hold an
expired jit binding, which `jit cleanup` removes, and 5% (every 20th, offset 7) an active one
(expires in 30 days), which stays. The organization's policy makes alice (alice-token) an
organization admin with Cloud Asset Viewer, so the search is available to her.

Usage: make_asset_seed.py OUT.json [--projects 10000] [--folders 50] [--buckets 1000] [--secrets 1000]
"""

import argparse
import base64
import json
from datetime import datetime, timedelta, timezone

ORG = "123456789012"
EXPIRED = "2026-01-01T00:00:00Z"


def etag(n: int) -> str:
    # 8 bytes like Google's (`BwYRRpZ0Nr8=`); the emulator continues from the largest one.
    return base64.b64encode((0x0706000000000000 + n).to_bytes(8, "big")).decode()


def jit_binding(role: str, member: str, until: str) -> dict:
    return {
        "role": role,
        "members": [member],
        "condition": {
            "title": f"jit until {until}",
            "description": "Granted by user:alice@example.com at 2025-12-31T22:00:00Z via jit. Reason: bench",
            "expression": f'request.time < timestamp("{until}")',
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--projects", type=int, default=10000)
    ap.add_argument("--folders", type=int, default=50)
    ap.add_argument("--buckets", type=int, default=1000)
    ap.add_argument("--secrets", type=int, default=1000)
    a = ap.parse_args()

    active_until = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    org = f"organizations/{ORG}"
    folders = [
        {"name": f"folders/{700000000001 + f}", "parent": org, "displayName": f"bench-{f}"}
        for f in range(a.folders)
    ]
    policies = {
        org: {
            "bindings": [
                {"role": "roles/resourcemanager.organizationAdmin", "members": ["user:alice@example.com"]},
                {"role": "roles/iam.securityAdmin", "members": ["user:alice@example.com"]},
                {"role": "roles/cloudasset.viewer", "members": ["user:alice@example.com"]},
            ],
        }
    }
    for fo in folders:
        policies[fo["name"]] = {
            "bindings": [{"role": "roles/resourcemanager.folderViewer", "members": ["group:sre@example.com"]}]
        }

    counts = {"expired": 0, "active": 0}

    def time_bound(i: int, role: str, bindings: list, what: str) -> list:
        if i % 50 == 0:
            bindings.append(jit_binding(role, f"user:old-{what}{i}@example.com", EXPIRED))
            counts["expired"] += 1
        if i % 20 == 7:
            bindings.append(jit_binding(role, f"user:now-{what}{i}@example.com", active_until))
            counts["active"] += 1
        return bindings

    projects = []
    for i in range(a.projects):
        pid = f"bench-p{i:05d}"
        projects.append({"projectId": pid, "projectNumber": str(300000000001 + i),
                         "parent": folders[i % len(folders)]["name"]})
        bindings = [{"role": "roles/viewer", "members": ["group:sre@example.com"]}]
        policies[f"projects/{pid}"] = {"version": 3, "bindings": time_bound(i, "roles/logging.viewer", bindings, "p")}

    buckets = []
    for i in range(a.buckets):
        name = f"bench-b{i:05d}"
        owner = projects[i % len(projects)]["projectId"]
        buckets.append({"name": name, "project": owner, "uniformBucketLevelAccess": True, "location": "EU"})
        bindings = [{"role": "roles/storage.objectViewer", "members": ["group:sre@example.com"]}]
        policies[f"projects/_/buckets/{name}"] = {
            "version": 3, "bindings": time_bound(i, "roles/storage.objectViewer", bindings, "b")}

    secrets = []
    for i in range(a.secrets):
        owner = projects[i % len(projects)]["projectId"]
        name = f"projects/{owner}/secrets/bench-s{i:05d}"
        secrets.append({"name": name})
        bindings = [{"role": "roles/secretmanager.viewer", "members": ["group:sre@example.com"]}]
        policies[name] = {"version": 3, "bindings": time_bound(i, "roles/secretmanager.secretAccessor", bindings, "s")}

    seed = {
        "organizations": [{"name": org, "displayName": "example.com", "directoryCustomerId": "C01abcdef"}],
        "folders": folders,
        "projects": projects,
        "buckets": buckets,
        "secrets": secrets,
        "policies": policies,
        "tokens": [{"token": "alice-token", "principal": "user:alice@example.com"}],
        "groups": [{"name": "group:sre@example.com", "members": ["user:carol@example.com"]}],
    }
    # Every policy Google serves has an etag, and jit writes none back without one.
    for n, p in enumerate(policies.values(), start=1):
        p["etag"] = etag(n)
    with open(a.out, "w") as f:
        json.dump(seed, f)
    print(f"{a.out}: 1 organization, {len(folders)} folders, {len(projects)} projects, {len(buckets)} buckets, "
          f"{len(secrets)} secrets; {counts['expired']} resources with an expired binding, "
          f"{counts['active']} with an active one")


if __name__ == "__main__":
    main()
