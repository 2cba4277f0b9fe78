#!/usr/bin/env python3
"""Refresh data/gcp-roles.json from Google's IAM API.

Calls `GET https://iam.googleapis.com/v1/roles?view=FULL&pageSize=1000` and follows every
`nextPageToken` (https://cloud.google.com/iam/docs/reference/rest/v1/roles/list), then writes the
file in the format data/README.md describes: every permission name once, sorted, and each role's
permissions as indexes into that list.

The access token comes from `--token-file FILE`, else from `gcloud auth print-access-token`.
Only the Python standard library is used.

    python3 scripts/refresh-roles.py [--out data/gcp-roles.json] [--token-file FILE]
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

API = "https://iam.googleapis.com/v1/roles"


def token(path):
    if path:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    out = subprocess.run(
        ["gcloud", "auth", "print-access-token"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def pages(access_token, base):
    page_token = ""
    while True:
        query = {"view": "FULL", "pageSize": "1000"}
        if page_token:
            query["pageToken"] = page_token
        request = urllib.request.Request(
            base + "?" + urllib.parse.urlencode(query),
            headers={"Authorization": "Bearer " + access_token},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body = json.load(response)
        except urllib.error.HTTPError as e:
            sys.exit(f"error: roles.list answered {e.code}: {e.read()[:500]!r}")
        yield from body.get("roles", [])
        page_token = body.get("nextPageToken", "")
        if not page_token:
            return


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "..", "data", "gcp-roles.json"))
    parser.add_argument("--token-file")
    parser.add_argument("--endpoint", default=API, help="the roles collection URL (for a test server)")
    args = parser.parse_args()

    roles = sorted(pages(token(args.token_file), args.endpoint), key=lambda r: r["name"])
    if not roles:
        sys.exit("error: roles.list returned no roles; the file was left as it was")
    names = sorted({p for r in roles for p in r.get("includedPermissions", [])})
    index = {p: i for i, p in enumerate(names)}
    today = datetime.date.today().isoformat()
    out = {
        "source": f"Google IAM API roles.list view=FULL on {today}; each role as roles.get returns it",
        "format": "permissions: every permission name, sorted; roles[].permissions: indexes into that list",
        "permissions": names,
        "roles": [
            {
                "name": r["name"],
                "title": r.get("title", ""),
                "stage": r.get("stage", "GA"),
                "permissions": sorted(index[p] for p in r.get("includedPermissions", [])),
            }
            for r in roles
        ],
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"))
    os.replace(tmp, args.out)
    print(f"{len(roles)} roles, {len(names)} permissions -> {args.out}")


if __name__ == "__main__":
    main()
