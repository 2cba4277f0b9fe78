"""Google's own Python client libraries against the jit emulator (issue 18 item 6).

Run by tests/emulator_python.rs, one process per group of checks (the imports cost more than the
calls): `python clients.py GROUP URL`. Each group prints one line per check it passed and exits
non-zero with the failing check's message otherwise. The tokens are the demo seed's: `alice-token`
(an owner of jit-demo-prod and an organization admin) and `bob-token` (no role anywhere).

The clients: google-cloud-resource-manager, -storage, -secret-manager, -kms, -run, -asset,
-logging (each GAPIC client over its REST transport, since the emulator speaks HTTP/JSON), and
the discovery-based google-api-python-client for IAM service accounts (the GAPIC IAM admin
client speaks gRPC only); for Logging, google-cloud-logging's own client over HTTP/JSON (its
generated client has no REST transport).
"""

import datetime
import sys

from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.iam.v1 import iam_policy_pb2, options_pb2, policy_pb2
from google.oauth2.credentials import Credentials
from google.type import expr_pb2

URL = sys.argv[2]
OPTS = ClientOptions(api_endpoint=URL)
ALICE = Credentials(token="alice-token")
BOB = Credentials(token="bob-token")
UNTIL = 'request.time < timestamp("2099-01-01T00:00:00Z")'
PROJECT = "jit-demo-prod"
SECRET = "projects/jit-demo-prod/secrets/db-password"
KEY = "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db"
RUN = "projects/jit-demo-prod/locations/europe-west1/services/api"
SA = "projects/jit-demo-prod/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com"
BUCKET = "jit-demo-prod-data"

passed = []


def check(name, ok, detail=""):
    if not ok:
        print(f"FAILED: {name}: {detail}", file=sys.stderr)
        sys.exit(1)
    passed.append(name)
    print(f"ok: {name}")


def raises(name, exc, fn, contains=None):
    try:
        fn()
    except exc as e:
        text = str(e)
        check(name, contains is None or contains in text, f"{type(e).__name__}: {text}")
        return e
    except Exception as e:  # noqa: BLE001 - the wrong kind of failure is the failure shown
        check(name, False, f"expected {exc.__name__}, got {type(e).__name__}: {e}")
    else:
        check(name, False, f"expected {exc.__name__}, got an answer")


def get_v3(request_fn, resource, version=3):
    return request_fn(
        request=iam_policy_pb2.GetIamPolicyRequest(
            resource=resource, options=options_pb2.GetPolicyOptions(requested_policy_version=version)
        )
    )


def add_conditional(policy, role, member):
    policy.bindings.add(
        role=role, members=[member], condition=expr_pb2.Expr(expression=UNTIL, title="jit until 2099")
    )
    policy.version = 3
    return policy


def conditional_roundtrip(label, client, resource, role):
    """get at 3, add a conditional binding, set, read back at 3 (condition) and at 1 (_withcond_)."""
    policy = get_v3(client.get_iam_policy, resource)
    policy = add_conditional(policy, role, "user:bob@example.com")
    client.set_iam_policy(request=iam_policy_pb2.SetIamPolicyRequest(resource=resource, policy=policy))
    back = get_v3(client.get_iam_policy, resource)
    found = [b for b in back.bindings if b.role == role and b.condition.expression == UNTIL]
    check(f"{label}: a conditional binding set at version 3 reads back at 3", back.version == 3 and found, back)
    v1 = get_v3(client.get_iam_policy, resource, version=1)
    check(
        f"{label}: read at version 1 the binding's role is {role}_withcond_…",
        any(b.role.startswith(role + "_withcond_") for b in v1.bindings),
        v1,
    )


def clients():
    from google.cloud import kms_v1, resourcemanager_v3, run_v2, secretmanager_v1

    def make(cls, creds):
        return cls(credentials=creds, transport="rest", client_options=OPTS)

    return {
        "project": lambda c: make(resourcemanager_v3.ProjectsClient, c),
        "secret": lambda c: make(secretmanager_v1.SecretManagerServiceClient, c),
        "kms": lambda c: make(kms_v1.KeyManagementServiceClient, c),
        "run": lambda c: make(run_v2.ServicesClient, c),
    }


def storage_client(creds):
    from google.cloud import storage

    return storage.Client(project=PROJECT, credentials=creds, client_options={"api_endpoint": URL})


def iam_client(creds):
    from googleapiclient import discovery

    return discovery.build(
        "iam", "v1", credentials=creds, client_options={"api_endpoint": URL + "/"}, static_discovery=True
    )


def group_policies():
    """Every kind: a conditional policy at version 3, and testIamPermissions."""
    c = clients()
    for label, resource, role in [
        ("project", f"projects/{PROJECT}", "roles/logging.viewer"),
        ("secret", SECRET, "roles/secretmanager.secretAccessor"),
        ("kms", KEY, "roles/cloudkms.cryptoKeyEncrypterDecrypter"),
        ("run", RUN, "roles/run.invoker"),
    ]:
        client = c[label](ALICE)
        conditional_roundtrip(label, client, resource, role)
        held = client.test_iam_permissions(
            request=iam_policy_pb2.TestIamPermissionsRequest(
                resource=resource, permissions=[resource_permission(label), "resourcemanager.projects.get"]
                if label == "project"
                else [resource_permission(label)]
            )
        )
        check(f"{label}: testIamPermissions answers what alice holds", list(held.permissions), held)

    # Storage: its own client and policy shape.
    bucket = storage_client(ALICE).bucket(BUCKET)
    policy = bucket.get_iam_policy(requested_policy_version=3)
    check("bucket: a bucket's etag has Storage's shape", policy.etag == "CAE=", policy.etag)
    policy.version = 3
    policy.bindings.append(
        {"role": "roles/storage.objectViewer", "members": {"user:bob@example.com"},
         "condition": {"expression": UNTIL, "title": "jit until 2099"}}
    )
    bucket.set_iam_policy(policy)
    back = bucket.get_iam_policy(requested_policy_version=3)
    check(
        "bucket: a conditional binding set at version 3 reads back at 3",
        back.version == 3 and any(b.get("condition", {}).get("expression") == UNTIL for b in back.bindings),
        back.bindings,
    )
    check("bucket: the etag moves to the next generation", back.etag == "CAI=", back.etag)
    held = bucket.test_iam_permissions(["storage.buckets.getIamPolicy", "storage.objects.get"])
    check("bucket: testIamPermissions", sorted(held) == ["storage.buckets.getIamPolicy", "storage.objects.get"], held)

    # IAM service accounts: the discovery-based client (POST getIamPolicy, the version in the query).
    sa = iam_client(ALICE).projects().serviceAccounts()
    policy = sa.getIamPolicy(resource=SA, options_requestedPolicyVersion=3).execute()
    check("service account: a policy never written is {etag: ACAB} alone", policy == {"etag": "ACAB"}, policy)
    policy["version"] = 3
    policy["bindings"] = [{"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:bob@example.com"],
                           "condition": {"expression": UNTIL, "title": "jit until 2099"}}]
    sa.setIamPolicy(resource=SA, body={"policy": policy}).execute()
    back = sa.getIamPolicy(resource=SA, options_requestedPolicyVersion=3).execute()
    check("service account: a conditional binding reads back at version 3",
          back.get("version") == 3 and back["bindings"][0]["condition"]["expression"] == UNTIL, back)
    held = sa.testIamPermissions(resource=SA, body={"permissions": ["iam.serviceAccounts.getIamPolicy"]}).execute()
    check("service account: testIamPermissions", held.get("permissions") == ["iam.serviceAccounts.getIamPolicy"], held)


def resource_permission(label):
    return {
        "project": "resourcemanager.projects.getIamPolicy",
        "secret": "secretmanager.secrets.getIamPolicy",
        "kms": "cloudkms.cryptoKeys.getIamPolicy",
        "run": "run.services.getIamPolicy",
    }[label]


def group_errors():
    """Not found, permission denied, and the 400s of items 2-4, as each client raises them."""
    from googleapiclient.errors import HttpError

    c = clients()
    # Item 1: 404 where the service answers it, 403 where Resource Manager keeps it.
    raises("secret: an unknown secret is NotFound", gexc.NotFound,
           lambda: get_v3(c["secret"](ALICE).get_iam_policy, "projects/jit-demo-prod/secrets/nope"), "not found")
    raises("kms: an unknown key is NotFound", gexc.NotFound,
           lambda: get_v3(c["kms"](ALICE).get_iam_policy, KEY.replace("/db", "/nope")), "CryptoKey")
    raises("run: an unknown service is NotFound", gexc.NotFound,
           lambda: get_v3(c["run"](ALICE).get_iam_policy, RUN.replace("/api", "/nope")), "does not exist")
    raises("project: an unknown project is Forbidden (403)", gexc.Forbidden,
           lambda: get_v3(c["project"](ALICE).get_iam_policy, "projects/no-such-project"), "may not exist")
    raises("bucket: an unknown bucket is NotFound", gexc.NotFound,
           lambda: storage_client(ALICE).bucket("no-such-bucket-x").get_iam_policy())
    sa = iam_client(ALICE).projects().serviceAccounts()
    e = raises("service account: an unknown account is a 404", HttpError,
               lambda: sa.getIamPolicy(resource=SA.replace("deployer", "ghost")).execute())
    check("service account: its words", e.resp.status == 404 and "Unknown service account" in str(e), e)
    # Permission denied, for a caller without the permission.
    for label, resource in [("project", f"projects/{PROJECT}"), ("secret", SECRET), ("kms", KEY), ("run", RUN)]:
        raises(f"{label}: bob is Forbidden (403)", gexc.Forbidden,
               lambda: get_v3(c[label](BOB).get_iam_policy, resource))
    raises("bucket: bob is Forbidden", gexc.Forbidden,
           lambda: storage_client(BOB).bucket(BUCKET).get_iam_policy())
    e = raises("service account: bob is a 403", HttpError,
               lambda: iam_client(BOB).projects().serviceAccounts().getIamPolicy(resource=SA).execute())
    check("service account: 403", e.resp.status == 403, e)

    # Item 2: a service account that does not exist.
    secret = c["secret"](ALICE)
    policy = add_conditional(get_v3(secret.get_iam_policy, SECRET), "roles/secretmanager.secretAccessor",
                             "serviceAccount:ghost@jit-demo-prod.iam.gserviceaccount.com")
    raises("secret: an unknown service account member is BadRequest (400)", gexc.BadRequest,
           lambda: secret.set_iam_policy(request=iam_policy_pb2.SetIamPolicyRequest(resource=SECRET, policy=policy)),
           "Service account ghost@jit-demo-prod.iam.gserviceaccount.com does not exist.")
    # Item 3: a role that does not apply to the kind.
    bucket = storage_client(ALICE).bucket(BUCKET)
    p = bucket.get_iam_policy(requested_policy_version=3)
    p.bindings.append({"role": "roles/secretmanager.secretAccessor", "members": {"user:bob@example.com"}})
    raises("bucket: a Secret Manager role is BadRequest", gexc.BadRequest, lambda: bucket.set_iam_policy(p),
           "Role roles/secretmanager.secretAccessor is not supported for this resource.")
    # Item 4: testIamPermissions refuses what does not exist or does not apply.
    project = c["project"](ALICE)
    for perm in ["resourcemanager.projects.list", "no.such.permission"]:
        raises(f"project: testIamPermissions of {perm} is BadRequest (400)", gexc.BadRequest,
               lambda: project.test_iam_permissions(
                   request=iam_policy_pb2.TestIamPermissionsRequest(resource=f"projects/{PROJECT}", permissions=[perm])),
               perm)


def group_search():
    """Cloud Asset's search with paging, and Logging's list with gcloud's filter."""
    from google.cloud import asset_v1
    from google.cloud import logging as glogging

    asset = asset_v1.AssetServiceClient(credentials=ALICE, transport="rest", client_options=OPTS)
    pager = asset.search_all_iam_policies(request={"scope": "organizations/123456789012", "page_size": 2})
    pages = list(pager.pages)
    results = [r for p in pages for r in p.results]
    check("asset: the search pages through every policy", len(pages) > 1 and len(results) >= 4,
          f"{len(pages)} pages, {len(results)} results")
    check("asset: each result names its resource and policy",
          all(r.resource.startswith("//") and r.policy.bindings for r in results), results[:1])
    raises("asset: bob may not search", gexc.Forbidden,
           lambda: list(asset_v1.AssetServiceClient(credentials=BOB, transport="rest", client_options=OPTS)
                        .search_all_iam_policies(request={"scope": "organizations/123456789012"})))

    # A grant to find in the log.
    projects = clients()["project"](ALICE)
    policy = add_conditional(get_v3(projects.get_iam_policy, f"projects/{PROJECT}"), "roles/logging.viewer",
                             "user:bob@example.com")
    projects.set_iam_policy(request=iam_policy_pb2.SetIamPolicyRequest(resource=f"projects/{PROJECT}", policy=policy))
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # gcloud logging read's filter: the freshness bound, then the user's filter.
    flt = (f'timestamp>="{since}" AND protoPayload.methodName="SetIamPolicy" AND '
           'protoPayload.serviceData.policyDelta.bindingDeltas.action="ADD"')
    # google-cloud-logging's own client over HTTP/JSON (its generated client speaks gRPC only).
    def log_client(creds):
        return glogging.Client(project=PROJECT, credentials=creds, _use_grpc=False,
                               client_options={"api_endpoint": URL})

    entries = list(log_client(ALICE).list_entries(
        resource_names=[f"projects/{PROJECT}"], filter_=flt, order_by=glogging.DESCENDING, page_size=1000))
    check("logging: the grant's audit entry is listed", len(entries) == 1, entries)
    payload = entries[0].payload
    check("logging: as an AuditLog of SetIamPolicy by alice",
          payload.get("@type") == "type.googleapis.com/google.cloud.audit.AuditLog"
          and payload.get("methodName") == "SetIamPolicy"
          and payload["authenticationInfo"]["principalEmail"] == "alice@example.com", payload)
    raises("logging: bob may not list", gexc.Forbidden,
           lambda: list(log_client(BOB).list_entries(resource_names=["projects/jit-demo-dev"])))


GROUPS = {"policies": group_policies, "errors": group_errors, "search": group_search}

if __name__ == "__main__":
    GROUPS[sys.argv[1]]()
    print(f"{len(passed)} passed, 0 failed")
