//! Every resource kind below a project (issue 9, items 5 and 6), driven by gcloud's own commands
//! against the emulator: a conditional binding added, read back and removed for a bucket, a
//! secret, a service account, a KMS key ring and key, and a Cloud Run service, each through its
//! service's own API shape. Skipped, with a printed notice, where gcloud is absent.

use std::process::Output;

use serde_json::{Value, json};

use crate::harness::{self, Emulator, gcloud_available};

const ALICE: &str = "alice-token";
const BOB: &str = "bob-token";
const MEMBER: &str = "user:bob@example.com";
const COND: &str =
    "expression=request.time < timestamp(\"2030-01-01T00:00:00Z\"),title=jit until 2030-01-01T00:00:00Z";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn ok(o: Output) -> Output {
    assert!(o.status.success(), "gcloud failed\nstdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o));
    o
}

#[track_caller]
fn json_out(o: Output) -> Value {
    let o = ok(o);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&o)))
}

fn conditional_binding(policy: &Value, role: &str, member: &str) -> Option<Value> {
    policy["bindings"].as_array().into_iter().flatten().find_map(|b| {
        (b["role"] == role && b["members"].as_array().is_some_and(|m| m.iter().any(|x| x == member)))
            .then(|| b["condition"].clone())
            .filter(|c| !c.is_null())
    })
}

/// One kind as gcloud addresses it.
struct Case {
    /// gcloud's command group and the resource's arguments.
    group: &'static [&'static str],
    args: &'static [&'static str],
    /// The emulator's canonical name of the resource.
    name: &'static str,
    role: &'static str,
    /// The path of gcloud's read and of its write.
    get: (&'static str, &'static str),
    set: (&'static str, &'static str),
}

const BUCKET: Case = Case {
    group: &["storage", "buckets"],
    args: &["gs://jit-demo-prod-data"],
    name: "projects/_/buckets/jit-demo-prod-data",
    role: "roles/storage.objectViewer",
    get: ("GET", "/storage/v1/b/jit-demo-prod-data/iam"),
    set: ("PUT", "/storage/v1/b/jit-demo-prod-data/iam"),
};
const SECRET: Case = Case {
    group: &["secrets"],
    args: &["db-password", "--project", "jit-demo-prod"],
    name: "projects/jit-demo-prod/secrets/db-password",
    role: "roles/secretmanager.secretAccessor",
    get: ("GET", "/v1/projects/jit-demo-prod/secrets/db-password:getIamPolicy"),
    set: ("POST", "/v1/projects/jit-demo-prod/secrets/db-password:setIamPolicy"),
};
const SERVICE_ACCOUNT: Case = Case {
    group: &["iam", "service-accounts"],
    // gcloud needs a project for the resource argument, yet names the account under `projects/-`.
    args: &["deployer@jit-demo-prod.iam.gserviceaccount.com", "--project", "jit-demo-prod"],
    name: "projects/jit-demo-prod/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com",
    role: "roles/iam.serviceAccountUser",
    // get-iam-policy names `projects/-`, add and remove `projects/jit-demo-prod` (gcloud 528).
    get: ("POST", "/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com:getIamPolicy"),
    set: (
        "POST",
        "/v1/projects/jit-demo-prod/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com:setIamPolicy",
    ),
};
const KEY_RING: Case = Case {
    group: &["kms", "keyrings"],
    args: &["app", "--location", "global", "--project", "jit-demo-prod"],
    name: "projects/jit-demo-prod/locations/global/keyRings/app",
    role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    get: ("GET", "/v1/projects/jit-demo-prod/locations/global/keyRings/app:getIamPolicy"),
    set: ("POST", "/v1/projects/jit-demo-prod/locations/global/keyRings/app:setIamPolicy"),
};
const CRYPTO_KEY: Case = Case {
    group: &["kms", "keys"],
    args: &["db", "--keyring", "app", "--location", "global", "--project", "jit-demo-prod"],
    name: "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db",
    role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    get: ("GET", "/v1/projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db:getIamPolicy"),
    set: ("POST", "/v1/projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db:setIamPolicy"),
};
const RUN_SERVICE: Case = Case {
    group: &["run", "services"],
    args: &["api", "--region", "europe-west1", "--project", "jit-demo-prod"],
    name: "projects/jit-demo-prod/locations/europe-west1/services/api",
    role: "roles/run.invoker",
    get: ("GET", "/v1/projects/jit-demo-prod/locations/europe-west1/services/api:getIamPolicy"),
    set: ("POST", "/v1/projects/jit-demo-prod/locations/europe-west1/services/api:setIamPolicy"),
};

fn gcloud(emu: &Emulator, token: &str, c: &Case, verb: &str, rest: &[&str]) -> Output {
    let mut args: Vec<&str> = c.group.to_vec();
    args.push(verb);
    args.extend_from_slice(c.args);
    args.extend_from_slice(rest);
    emu.gcloud(token, &args)
}

/// add (with a condition) → get → remove, as gcloud does them, and what it sent.
fn round_trip(c: &Case) {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    let out = json_out(gcloud(
        &emu,
        ALICE,
        c,
        "add-iam-policy-binding",
        &["--member", MEMBER, "--role", c.role, "--condition", COND, "--format=json"],
    ));
    let want = json!({"expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")", "title": "jit until 2030-01-01T00:00:00Z"});
    assert_eq!(conditional_binding(&out, c.role, MEMBER), Some(want.clone()), "{out}");
    let stored = emu.policy(c.name);
    assert_eq!(stored["version"], 3, "{stored}");
    assert_eq!(conditional_binding(&stored, c.role, MEMBER), Some(want.clone()), "{stored}");

    let read = json_out(gcloud(&emu, ALICE, c, "get-iam-policy", &["--format=json"]));
    assert_eq!(conditional_binding(&read, c.role, MEMBER), Some(want), "{read}");
    assert!(read["etag"].as_str().is_some_and(|e| !e.is_empty()), "{read}");

    // (`gcloud secrets` ignores `--all`; every kind takes the condition itself.)
    ok(gcloud(
        &emu,
        ALICE,
        c,
        "remove-iam-policy-binding",
        &["--member", MEMBER, "--role", c.role, "--condition", COND],
    ));
    let stored = emu.policy(c.name);
    assert_eq!(conditional_binding(&stored, c.role, MEMBER), None, "{stored}");

    // What gcloud sent: reads at version 3, writes with version 3 and the etag it read.
    let log = emu.requests();
    let reads: Vec<&Value> = log
        .iter()
        .filter(|r| r["method"] == c.get.0 && r["path"].as_str().unwrap().ends_with(c.get.1))
        .collect();
    assert!(reads.len() >= 3, "{log:?}");
    assert!(reads.iter().all(|r| r["status"] == 200), "{reads:?}");
    assert!(
        reads.iter().all(|r| r["query"].as_str().unwrap().contains("equestedPolicyVersion=3")
            || r["body"]["options"]["requestedPolicyVersion"] == 3),
        "{reads:?}"
    );
    let writes: Vec<&Value> = log.iter().filter(|r| r["method"] == c.set.0 && r["path"] == c.set.1).collect();
    assert_eq!(writes.len(), 2, "{log:?}");
    for w in writes {
        assert_eq!(w["status"], 200, "{w}");
        let policy = if c.set.0 == "PUT" { &w["body"] } else { &w["body"]["policy"] };
        assert_eq!(policy["version"], 3, "{w}");
        assert!(policy["etag"].is_string(), "{w}");
    }
}

#[test]
fn gcloud_edits_a_bucket_policy() {
    round_trip(&BUCKET);
}

#[test]
fn gcloud_edits_a_secret_policy() {
    round_trip(&SECRET);
}

#[test]
fn gcloud_edits_a_service_account_policy() {
    round_trip(&SERVICE_ACCOUNT);
    if !gcloud_available() {
        return;
    }
    // The read as the issue records it: `projects/-`, and by unique id too.
    let emu = harness::emulator().start();
    let by_email = json_out(gcloud(&emu, ALICE, &SERVICE_ACCOUNT, "get-iam-policy", &["--format=json"]));
    let seen: Vec<String> = emu.requests().iter().map(|r| r["path"].as_str().unwrap().to_string()).collect();
    assert!(
        seen.contains(
            &"/v1/projects/-/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com:getIamPolicy"
                .into()
        ),
        "{seen:?}"
    );
    let by_id = emu.request(
        "POST",
        "/v1/projects/-/serviceAccounts/104635000000000000001:getIamPolicy",
        Some(ALICE),
        Some(json!({"options": {"requestedPolicyVersion": 3}})),
    );
    assert_eq!(by_id.status, 200, "{}", by_id.text);
    assert_eq!(by_id.json()["etag"], by_email["etag"]);
}

#[test]
fn gcloud_edits_a_key_ring_policy() {
    round_trip(&KEY_RING);
}

#[test]
fn gcloud_edits_a_crypto_key_policy() {
    round_trip(&CRYPTO_KEY);
}

#[test]
fn gcloud_edits_a_run_service_policy() {
    round_trip(&RUN_SERVICE);
}

#[test]
fn a_condition_on_a_bucket_without_uniform_access_is_refused_with_storages_412() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    let before = emu.policy("projects/_/buckets/jit-demo-prod-legacy");
    let out = emu.gcloud(
        ALICE,
        &[
            "storage",
            "buckets",
            "add-iam-policy-binding",
            "gs://jit-demo-prod-legacy",
            "--member",
            MEMBER,
            "--role",
            "roles/storage.objectViewer",
            "--condition",
            COND,
        ],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("enable uniform bucket-level access"), "{err}");
    // Storage's body carries no `status`, so gcloud names the HTTP code.
    assert!(err.contains("HTTPError 412"), "{err}");
    let put = emu.requests().into_iter().find(|r| r["method"] == "PUT").expect("gcloud sent the write");
    assert_eq!(put["status"], 412);
    assert_eq!(emu.policy("projects/_/buckets/jit-demo-prod-legacy"), before);
    // gcloud reads the flag where Storage keeps it.
    let b = json_out(
        emu.gcloud(ALICE, &["storage", "buckets", "describe", "gs://jit-demo-prod-legacy", "--format=json"]),
    );
    assert_eq!(b["uniform_bucket_level_access"], false, "{b}");
    let b = json_out(
        emu.gcloud(ALICE, &["storage", "buckets", "describe", "gs://jit-demo-prod-data", "--format=json"]),
    );
    assert_eq!(b["uniform_bucket_level_access"], true, "{b}");
    // Without a condition the same bucket takes the binding.
    ok(emu.gcloud(
        ALICE,
        &[
            "storage",
            "buckets",
            "add-iam-policy-binding",
            "gs://jit-demo-prod-legacy",
            "--member",
            MEMBER,
            "--role",
            "roles/storage.objectViewer",
        ],
    ));
}

#[test]
fn each_service_answers_a_missing_resource_and_a_missing_permission_in_its_own_words() {
    let emu = harness::emulator().start();
    let v3 = Some(json!({"options": {"requestedPolicyVersion": 3}}));
    let cases: [(&str, &str, Option<Value>, u16, &str); 10] = [
        ("GET", "/storage/v1/b/no-such-bucket/iam", None, 404, "The specified bucket does not exist."),
        (
            "GET",
            "/storage/v1/b/jit-demo-prod-data/iam",
            None,
            403,
            "bob@example.com does not have storage.buckets.getIamPolicy access to the Google Cloud Storage bucket. \
             Permission 'storage.buckets.getIamPolicy' denied on resource (or it may not exist).",
        ),
        (
            "GET",
            "/v1/projects/jit-demo-prod/secrets/nope:getIamPolicy",
            None,
            403,
            "Permission 'secretmanager.secrets.getIamPolicy' denied for resource 'projects/100000000001/secrets/nope' (or it may not exist).",
        ),
        (
            "GET",
            "/v1/projects/jit-demo-prod/secrets/db-password:getIamPolicy",
            None,
            403,
            "Permission 'secretmanager.secrets.getIamPolicy' denied for resource 'projects/100000000001/secrets/db-password' (or it may not exist).",
        ),
        (
            "POST",
            "/v1/projects/-/serviceAccounts/nobody@jit-demo-prod.iam.gserviceaccount.com:getIamPolicy",
            v3.clone(),
            403,
            "Permission iam.serviceAccounts.getIamPolicy is required to perform this operation on service account projects/-/serviceAccounts/nobody@jit-demo-prod.iam.gserviceaccount.com.",
        ),
        (
            "GET",
            "/v1/projects/jit-demo-prod/locations/global/keyRings/app:getIamPolicy",
            None,
            403,
            "Permission 'cloudkms.keyRings.getIamPolicy' denied on resource 'projects/jit-demo-prod/locations/global/keyRings/app' (or it may not exist).",
        ),
        (
            "GET",
            "/v1/projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/nope:getIamPolicy",
            None,
            403,
            "Permission 'cloudkms.cryptoKeys.getIamPolicy' denied on resource 'projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/nope' (or it may not exist).",
        ),
        (
            "GET",
            "/v1/projects/jit-demo-prod/locations/europe-west1/services/api:getIamPolicy",
            None,
            403,
            "Permission 'run.services.getIamPolicy' denied on resource 'projects/jit-demo-prod/locations/europe-west1/services/api' (or resource may not exist).",
        ),
        // The methods each REST reference declares: a POST read of a secret is no route.
        ("POST", "/v1/projects/jit-demo-prod/secrets/db-password:getIamPolicy", v3.clone(), 404, ""),
        (
            "GET",
            "/v1/projects/-/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com:getIamPolicy",
            None,
            404,
            "",
        ),
    ];
    for (method, path, body, code, message) in cases {
        let a = emu.request(method, path, Some(BOB), body);
        assert_eq!(a.status, code, "{method} {path}: {}", a.text);
        if !message.is_empty() {
            assert_eq!(a.json()["error"]["message"], message, "{method} {path}");
        }
    }
    // Storage's errors: `errors[]`, no `status`; KMS's: `status` and `errors[]` (tests/emulator_errors.rs
    // has each service's shape).
    let storage = emu.request("GET", "/storage/v1/b/no-such-bucket/iam", Some(BOB), None).json();
    assert_eq!(
        storage,
        json!({"error": {"code": 404, "message": "The specified bucket does not exist.",
            "errors": [{"message": "The specified bucket does not exist.", "domain": "global", "reason": "notFound"}]}})
    );
    let kms = emu
        .request(
            "GET",
            "/v1/projects/jit-demo-prod/locations/global/keyRings/app:getIamPolicy",
            Some(BOB),
            None,
        )
        .json();
    assert_eq!(kms["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(kms["error"]["errors"][0]["reason"], "forbidden", "{kms}");
}

#[test]
fn permissions_come_from_the_project_above_and_from_the_resource_itself() {
    let emu = harness::emulator().start();
    let secret =
        "/v1/projects/jit-demo-prod/secrets/db-password:getIamPolicy?options.requestedPolicyVersion=3";
    assert_eq!(emu.request("GET", secret, Some(BOB), None).status, 403);
    // On the secret itself, until 2030.
    let mut p = emu.request("GET", secret, Some(ALICE), None).json();
    p["bindings"] = json!([{"role": "roles/secretmanager.admin", "members": [MEMBER],
        "condition": {"expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")", "title": "t"}}]);
    p["version"] = json!(3);
    let set = emu.request(
        "POST",
        "/v1/projects/jit-demo-prod/secrets/db-password:setIamPolicy",
        Some(ALICE),
        Some(json!({ "policy": p })),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    emu.set_clock("2029-12-31T23:00:00Z");
    assert_eq!(emu.request("GET", secret, Some(BOB), None).status, 200);
    emu.set_clock("2030-01-01T00:00:01Z");
    assert_eq!(emu.request("GET", secret, Some(BOB), None).status, 403);
    // From the project: every kind below it.
    let mut project = emu.policy("projects/jit-demo-prod");
    project["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/cloudkms.admin", "members": [MEMBER]}));
    emu.set_policy("projects/jit-demo-prod", project);
    let key = "/v1/projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db:getIamPolicy";
    assert_eq!(emu.request("GET", key, Some(BOB), None).status, 200);
    assert_eq!(emu.request("GET", secret, Some(BOB), None).status, 403);
}

#[test]
fn storage_speaks_its_own_policy_shape_and_honours_fields() {
    let emu = harness::emulator().start();
    let full = emu.request(
        "GET",
        "/storage/v1/b/jit-demo-prod-data/iam?optionsRequestedPolicyVersion=3",
        Some(ALICE),
        None,
    );
    assert_eq!(full.status, 200, "{}", full.text);
    let p = full.json();
    assert_eq!(p["kind"], "storage#policy");
    assert_eq!(p["resourceId"], "projects/_/buckets/jit-demo-prod-data");
    assert_eq!(p["version"], 1);
    // Google's default bucket policy (the legacy roles to the project's convenience values),
    // through which the project's owner reaches the bucket, and the seed's own binding.
    assert_eq!(
        p["bindings"],
        json!([
            {"role": "roles/storage.legacyBucketOwner", "members": ["projectEditor:jit-demo-prod", "projectOwner:jit-demo-prod"]},
            {"role": "roles/storage.legacyBucketReader", "members": ["projectViewer:jit-demo-prod"]},
            {"role": "roles/storage.legacyObjectOwner", "members": ["projectEditor:jit-demo-prod", "projectOwner:jit-demo-prod"]},
            {"role": "roles/storage.legacyObjectReader", "members": ["projectViewer:jit-demo-prod"]},
            {"role": "roles/storage.objectViewer", "members": ["group:sre@example.com"]}
        ])
    );
    // gcloud's read: `fields=bindings,etag` leaves exactly those.
    let part = emu.request(
        "GET",
        "/storage/v1/b/jit-demo-prod-data/iam?alt=json&fields=bindings%2Cetag&optionsRequestedPolicyVersion=3",
        Some(ALICE),
        None,
    );
    let keys: Vec<String> = part.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["bindings", "etag"]);
    // A stale etag: Storage's 412, not the 409 of the other services.
    let mut stale = p.clone();
    stale["etag"] = json!("BwYRRpZ0Nr8=");
    let put = emu.request("PUT", "/storage/v1/b/jit-demo-prod-data/iam", Some(ALICE), Some(stale));
    assert_eq!(put.status, 412, "{}", put.text);
    // A condition at version 1: Storage's 400 "at least 3".
    let mut v1 = p.clone();
    v1["bindings"] = json!([{"role": "roles/storage.objectViewer", "members": [MEMBER],
        "condition": {"expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")", "title": "t"}}]);
    let put = emu.request("PUT", "/storage/v1/b/jit-demo-prod-data/iam", Some(ALICE), Some(v1));
    assert_eq!(put.status, 400, "{}", put.text);
    assert!(put.json()["error"]["message"].as_str().unwrap().contains("at least 3"), "{}", put.text);
    // testPermissions, as `gcloud storage` and the client libraries call it.
    let t = emu.request(
        "GET",
        "/storage/v1/b/jit-demo-prod-data/iam/testPermissions?permissions=storage.buckets.setIamPolicy&permissions=storage.objects.get",
        Some(ALICE),
        None,
    );
    assert_eq!(
        t.json(),
        json!({"kind": "storage#testIamPermissionsResponse", "permissions": ["storage.buckets.setIamPolicy", "storage.objects.get"]})
    );
}

#[test]
fn injected_faults_reach_every_kind_and_latency_reaches_the_oauth_routes() {
    let emu = harness::emulator().start();
    emu.faults(json!({"conflictNext": 1}));
    let p = emu
        .request(
            "GET",
            "/v1/projects/jit-demo-prod/locations/europe-west1/services/api:getIamPolicy",
            Some(ALICE),
            None,
        )
        .json();
    let set = emu.request(
        "POST",
        "/v1/projects/jit-demo-prod/locations/europe-west1/services/api:setIamPolicy",
        Some(ALICE),
        Some(json!({ "policy": p })),
    );
    assert_eq!(set.status, 409, "{}", set.text);
    emu.faults(json!({"errorNext": 1, "errorStatus": 503}));
    assert_eq!(emu.request("GET", "/storage/v1/b/jit-demo-prod-data/iam", Some(ALICE), None).status, 503);
    // Before issue 9 the latency skipped tokeninfo, token and metadata.
    emu.faults(json!({"latencyMs": 300}));
    for (method, path) in [
        ("GET", "/tokeninfo?access_token=alice-token"),
        ("GET", "/computeMetadata/v1/instance/service-accounts/default/token"),
    ] {
        let start = std::time::Instant::now();
        let _ = emu.request(method, path, None, None);
        assert!(
            start.elapsed() >= std::time::Duration::from_millis(300),
            "{path} answered in {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn a_grant_on_a_service_accounts_own_policy_lets_its_holder_impersonate_it() {
    let emu = harness::emulator().start();
    let sa = "deployer@jit-demo-prod.iam.gserviceaccount.com";
    let mint = format!("/v1/projects/-/serviceAccounts/{sa}:generateAccessToken");
    let body = Some(json!({"scope": ["https://www.googleapis.com/auth/cloud-platform"]}));
    assert_eq!(emu.request("POST", &mint, Some(BOB), body.clone()).status, 403);
    let p = emu
        .request("POST", &format!("/v1/projects/-/serviceAccounts/{sa}:getIamPolicy"), Some(ALICE), None)
        .json();
    let mut p = p;
    p["bindings"] = json!([{"role": "roles/iam.serviceAccountTokenCreator", "members": [MEMBER]}]);
    let set = emu.request(
        "POST",
        &format!("/v1/projects/jit-demo-prod/serviceAccounts/{sa}:setIamPolicy"),
        Some(ALICE),
        Some(json!({ "policy": p })),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    let minted = emu.request("POST", &mint, Some(BOB), body.clone());
    assert_eq!(minted.status, 200, "{}", minted.text);
    // On that account only.
    let other = "/v1/projects/-/serviceAccounts/jit-cleanup@jit-demo-prod.iam.gserviceaccount.com:generateAccessToken";
    assert_eq!(emu.request("POST", other, Some(BOB), body).status, 403);
}

#[test]
fn gcloud_describes_a_secret_and_a_service_account_and_reports_a_missing_one() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    let secret = json_out(emu.gcloud(
        ALICE,
        &["secrets", "describe", "db-password", "--project", "jit-demo-prod", "--format=json"],
    ));
    assert_eq!(secret["name"], "projects/100000000001/secrets/db-password", "{secret}");
    let sa = json_out(emu.gcloud(
        ALICE,
        &[
            "iam",
            "service-accounts",
            "describe",
            "deployer@jit-demo-prod.iam.gserviceaccount.com",
            "--project",
            "jit-demo-prod",
            "--format=json",
        ],
    ));
    assert_eq!(sa["uniqueId"], "104635000000000000001", "{sa}");
    assert_eq!(sa["projectId"], "jit-demo-prod", "{sa}");
    let out = emu.gcloud(ALICE, &["secrets", "get-iam-policy", "nope", "--project", "jit-demo-prod"]);
    assert!(!out.status.success());
    assert!(
        // Secret Manager's 404 (issue 18 item 1), as gcloud shows it.
        stderr(&out).contains("NOT_FOUND: Secret [projects/100000000001/secrets/nope] not found."),
        "{}",
        stderr(&out)
    );
    let out = emu.gcloud(
        BOB,
        &[
            "run",
            "services",
            "get-iam-policy",
            "api",
            "--region",
            "europe-west1",
            "--project",
            "jit-demo-prod",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("(or resource may not exist)"), "{}", stderr(&out));
}
