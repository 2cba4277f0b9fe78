#!/usr/bin/env python3
"""Writes a `jit emulator --seed` file for the benchmark (docs/performance.md).

The hierarchy: one organization → FOLDERS folders → SUBFOLDERS sub-folders each → the projects,
spread evenly over the sub-folders, plus one project `bench-target` directly under the
organization for the grant and list comparisons.

Every project has an unconditional binding (never touched). Some also have time-bound bindings:

- every 4th project: an expired jit binding (title `jit until …`), which `jit cleanup` removes;
- every 8th project (offset 1): an expired hand-written binding (`request.time <= timestamp('…')`,
  single quotes, source `other`), which `jit cleanup` removes too (not with --only-jit);
- every 5th project: an active jit binding (expires in 30 days), which cleanup keeps;
- every 10th project (offset 3): a JIT Access eligibility marker, which has no time bound and is
  never touched.

Each folder and sub-folder has an expired jit binding as well. The emulator's identities are the
demo ones (alice-token for user:alice@example.com, an organization admin).

One bucket, `bench-bucket` in `bench-target`, with uniform bucket-level access (conditions need it)
and a policy of its own, for the bucket comparisons (issue 9). `jit cleanup --recursive` walks
folders and projects only, so it does not change the cleanup figures.

Usage: make_seed.py OUT.json [--projects 2000] [--folders 4] [--subfolders 2]
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
            "description": f"Granted by user:alice@example.com at 2025-12-31T22:00:00Z via jit. Reason: bench",
            "expression": f'request.time < timestamp("{until}")',
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--projects", type=int, default=2000)
    ap.add_argument("--folders", type=int, default=4)
    ap.add_argument("--subfolders", type=int, default=2)
    a = ap.parse_args()

    active_until = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    org = f"organizations/{ORG}"
    folders, leaves = [], []
    n = 0
    for f in range(a.folders):
        n += 1
        top = f"folders/{700000000000 + n}"
        folders.append({"name": top, "parent": org, "displayName": f"bench-{f}"})
        for s in range(a.subfolders):
            n += 1
            sub = f"folders/{700000000000 + n}"
            folders.append({"name": sub, "parent": top, "displayName": f"bench-{f}-{s}"})
            leaves.append(sub)

    policies = {
        org: {
            "version": 1,
            "etag": etag(1),
            "bindings": [
                {"role": "roles/resourcemanager.organizationAdmin", "members": ["user:alice@example.com"]},
                {"role": "roles/iam.securityAdmin", "members": ["user:alice@example.com"]},
            ],
        }
    }
    tag = 2
    for fo in folders:
        policies[fo["name"]] = {
            "version": 3,
            "etag": etag(tag),
            "bindings": [
                {"role": "roles/resourcemanager.folderViewer", "members": ["group:sre@example.com"]},
                jit_binding("roles/resourcemanager.folderAdmin", "user:old-admin@example.com", EXPIRED),
            ],
        }
        tag += 1

    projects = [
        {"projectId": "bench-target", "projectNumber": "300000000000", "parent": org},
    ]
    policies["projects/bench-target"] = {
        "version": 3,
        "etag": etag(tag),
        "bindings": [{"role": "roles/viewer", "members": ["group:sre@example.com"]}],
    }
    tag += 1
    policies["projects/_/buckets/bench-bucket"] = {
        "version": 1,
        "etag": etag(tag),
        "bindings": [
            {"role": "roles/storage.legacyBucketOwner", "members": ["projectOwner:bench-target"]},
            {"role": "roles/storage.objectViewer", "members": ["group:sre@example.com"]},
        ],
    }
    tag += 1
    for i in range(a.projects):
        pid = f"bench-p{i:05d}"
        projects.append(
            {"projectId": pid, "projectNumber": str(300000000001 + i), "parent": leaves[i % len(leaves)]}
        )
        bindings = [{"role": "roles/viewer", "members": ["group:sre@example.com"]}]
        if i % 4 == 0:
            bindings.append(jit_binding("roles/storage.admin", f"user:old{i}@example.com", EXPIRED))
        if i % 8 == 1:
            bindings.append(
                {
                    "role": "roles/compute.admin",
                    "members": [f"user:hand{i}@example.com", "group:sre@example.com"],
                    "condition": {
                        "title": "incident",
                        "expression": "request.time <= timestamp('2025-06-01T00:00:00.000Z')",
                    },
                }
            )
        if i % 5 == 0:
            bindings.append(jit_binding("roles/logging.viewer", f"user:now{i}@example.com", active_until))
        if i % 10 == 3:
            bindings.append(
                {
                    "role": "roles/compute.viewer",
                    "members": ["group:sre@example.com"],
                    "condition": {
                        "title": "Eligible for JIT access",
                        "expression": "has({}.jitAccessConstraint)",
                    },
                }
            )
        policies[f"projects/{pid}"] = {"version": 3, "etag": etag(tag), "bindings": bindings}
        tag += 1

    seed = {
        "organizations": [{"name": org, "displayName": "example.com", "directoryCustomerId": "C01abcdef"}],
        "folders": folders,
        "projects": projects,
        "buckets": [
            {"name": "bench-bucket", "project": "bench-target", "uniformBucketLevelAccess": True, "location": "EU"}
        ],
        "policies": policies,
        "tokens": [{"token": "alice-token", "principal": "user:alice@example.com"}],
        "groups": [{"name": "group:sre@example.com", "members": ["user:carol@example.com"]}],
    }
    with open(a.out, "w") as f:
        json.dump(seed, f)
    print(f"{a.out}: 1 organization, {len(folders)} folders, {len(projects)} projects, 1 bucket")


if __name__ == "__main__":
    main()
