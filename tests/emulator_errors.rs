//! The emulator fails as Google fails (issue 18 items 1-5), through its HTTP API, and jit's
//! messages for those failures: not-found per service, members that must exist, roles that must
//! apply to the kind, unknown fields and parameters, and the small differences (empty policy,
//! bucket etags, Run v2's audit method, 401s per service, malformed JSON, the grantable-roles
//! page cap). Google's Python clients check the same through their own code
//! (`emulator_python.rs`).

use serde_json::{Value, json};

use crate::harness::{self, Emulator};

const ALICE: &str = "alice-token";
const BOB: &str = "bob-token";
const SECRET: &str = "projects/jit-demo-prod/secrets/db-password";
const KEY: &str = "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db";
const RUN: &str = "projects/jit-demo-prod/locations/europe-west1/services/api";
const SA: &str = "projects/jit-demo-prod/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com";
const UNTIL: &str = "request.time < timestamp(\"2099-01-01T00:00:00Z\")";

fn get_policy(emu: &Emulator, token: &str, name: &str) -> harness::Answer {
    if name.contains("/serviceAccounts/") {
        emu.request(
            "POST",
            &format!("/v1/{name}:getIamPolicy?options.requestedPolicyVersion=3"),
            Some(token),
            None,
        )
    } else {
        emu.request(
            "GET",
            &format!("/v1/{name}:getIamPolicy?options.requestedPolicyVersion=3"),
            Some(token),
            None,
        )
    }
}

fn set_policy(emu: &Emulator, token: &str, name: &str, policy: Value) -> harness::Answer {
    emu.request("POST", &format!("/v1/{name}:setIamPolicy"), Some(token), Some(json!({ "policy": policy })))
}

fn grant(role: &str, member: &str) -> Value {
    json!({"version": 3, "bindings": [{"role": role, "members": [member], "condition": {"expression": UNTIL, "title": "t"}}]})
}

#[test]
fn not_found_is_404_in_each_services_words_and_403_where_google_keeps_it() {
    let emu = harness::emulator().start();
    let cases = [
        ("projects/jit-demo-prod/secrets/nope", "Secret [projects/100000000001/secrets/nope] not found."),
        (
            "projects/jit-demo-prod/serviceAccounts/ghost@jit-demo-prod.iam.gserviceaccount.com",
            "Unknown service account",
        ),
        (
            "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/nope",
            "CryptoKey projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/nope not found.",
        ),
        (
            "projects/jit-demo-prod/locations/global/keyRings/nope",
            "KeyRing projects/jit-demo-prod/locations/global/keyRings/nope not found.",
        ),
        (
            "projects/jit-demo-prod/locations/europe-west1/services/nope",
            "Resource 'nope' of kind 'SERVICE' in region 'europe-west1' in project 'jit-demo-prod' does not exist.",
        ),
    ];
    for (name, message) in cases {
        let a = get_policy(&emu, ALICE, name);
        assert_eq!(a.status, 404, "{name}: {}", a.text);
        assert_eq!(a.json()["error"]["status"], "NOT_FOUND", "{name}");
        assert_eq!(a.json()["error"]["message"], message, "{name}");
        // testIamPermissions and setIamPolicy answer the same.
        let t = emu.request(
            "POST",
            &format!("/v1/{name}:testIamPermissions"),
            Some(ALICE),
            Some(json!({"permissions": []})),
        );
        assert_eq!(t.status, 404, "{name}: {}", t.text);
        assert_eq!(set_policy(&emu, ALICE, name, json!({})).status, 404, "{name}");
        // Who may not look where it would be learns nothing: 403.
        let b = get_policy(&emu, BOB, name);
        assert_eq!(b.status, 403, "{name}: {}", b.text);
        // IAM's words for it say nothing of existence ("Permission P is required to perform this
        // operation on service account NAME."); the others' add "(or it may not exist)".
        let said = b.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(
            said.contains("may not exist") || said.contains("is required to perform this operation"),
            "{name}: {said}"
        );
    }
    // A secret of a project that does not exist, and an account under `projects/-`: 403.
    assert_eq!(get_policy(&emu, ALICE, "projects/no-such-project/secrets/s").status, 403);
    let a = get_policy(&emu, ALICE, "projects/-/serviceAccounts/ghost@jit-demo-prod.iam.gserviceaccount.com");
    assert_eq!(a.status, 403, "{}", a.text);
    // Resource Manager keeps 403 for a project that does not exist.
    let p = emu.request("POST", "/v1/projects/no-such-project:getIamPolicy", Some(ALICE), Some(json!({})));
    assert_eq!(p.status, 403, "{}", p.text);
}

#[test]
fn jit_names_what_does_not_exist_and_asks_for_no_permission() {
    let emu = harness::emulator().start();
    let run = emu
        .jit(&[
            "grant",
            "roles/secretmanager.secretAccessor",
            "--for",
            "1h",
            "--member",
            "user:bob@example.com",
            "--yes",
            "--secret",
            "projects/jit-demo-prod/secrets/nope",
        ])
        .run()
        .code(1);
    assert_eq!(
        run.error_line(),
        "error: `projects/jit-demo-prod/secrets/nope`: HTTP 404: no such secret: Secret \
         [projects/100000000001/secrets/nope] not found.",
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("ask for"), "{}", run.stderr);
}

#[test]
fn a_service_account_member_that_does_not_exist_is_refused() {
    let emu = harness::emulator().start();
    let ghost = "serviceAccount:ghost@jit-demo-prod.iam.gserviceaccount.com";
    let a = set_policy(&emu, ALICE, SECRET, grant("roles/secretmanager.secretAccessor", ghost));
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.json()["error"]["message"],
        "Service account ghost@jit-demo-prod.iam.gserviceaccount.com does not exist."
    );
    // A project's Compute Engine default account of a known number, too.
    let compute = "serviceAccount:100000000001-compute@developer.gserviceaccount.com";
    assert_eq!(
        set_policy(&emu, ALICE, SECRET, grant("roles/secretmanager.secretAccessor", compute)).status,
        400
    );
    // One that exists, one of a project the emulator does not hold, and users and groups pass.
    for member in [
        "serviceAccount:deployer@jit-demo-prod.iam.gserviceaccount.com",
        "serviceAccount:someone@another-project.iam.gserviceaccount.com",
        "user:nobody-known@example.com",
        "group:unknown-group@example.com",
    ] {
        let a = set_policy(&emu, ALICE, SECRET, grant("roles/secretmanager.secretAccessor", member));
        assert_eq!(a.status, 200, "{member}: {}", a.text);
    }
    // Through Resource Manager too.
    let body = json!({"policy": {"bindings": [{"role": "roles/viewer", "members": [ghost]}]}});
    let a = emu.request("POST", "/v1/projects/jit-demo-prod:setIamPolicy", Some(ALICE), Some(body));
    assert_eq!(a.status, 400, "{}", a.text);
}

#[test]
fn a_role_must_apply_to_the_resource_kind() {
    let emu = harness::emulator().start();
    let bob = "user:bob@example.com";
    let a = set_policy(&emu, ALICE, SA, grant("roles/container.clusterAdmin", bob));
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.json()["error"]["message"],
        "Role roles/container.clusterAdmin is not supported for this resource."
    );
    let mut policy = emu
        .request(
            "GET",
            "/storage/v1/b/jit-demo-prod-data/iam?optionsRequestedPolicyVersion=3",
            Some(ALICE),
            None,
        )
        .json();
    policy["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/secretmanager.secretAccessor", "members": [bob]}));
    let a = emu.request("PUT", "/storage/v1/b/jit-demo-prod-data/iam", Some(ALICE), Some(policy));
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.json()["error"]["message"],
        "Role roles/secretmanager.secretAccessor is not supported for this resource."
    );
    // Roles that apply pass.
    assert_eq!(set_policy(&emu, ALICE, SA, grant("roles/iam.serviceAccountTokenCreator", bob)).status, 200);
    assert_eq!(
        set_policy(&emu, ALICE, KEY, grant("roles/cloudkms.cryptoKeyEncrypterDecrypter", bob)).status,
        200
    );

    // queryGrantableRoles answers for every kind.
    let grantable = |name: &str| -> Vec<String> {
        let a = emu.request(
            "POST",
            "/v1/roles:queryGrantableRoles",
            Some(ALICE),
            Some(json!({"fullResourceName": name, "pageSize": 1000})),
        );
        assert_eq!(a.status, 200, "{name}: {}", a.text);
        a.json()["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let bucket = grantable("//storage.googleapis.com/projects/_/buckets/jit-demo-prod-data");
    assert!(bucket.contains(&"roles/storage.objectViewer".to_string()));
    assert!(!bucket.contains(&"roles/secretmanager.secretAccessor".to_string()));
    let secret = grantable(&format!("//secretmanager.googleapis.com/{SECRET}"));
    assert!(secret.contains(&"roles/secretmanager.secretAccessor".to_string()));
    assert!(!secret.contains(&"roles/storage.objectViewer".to_string()));
    for name in [
        format!("//iam.googleapis.com/{SA}"),
        format!("//cloudkms.googleapis.com/{KEY}"),
        format!("//run.googleapis.com/{RUN}"),
    ] {
        assert!(!grantable(&name).is_empty(), "{name}");
    }
    let missing = emu.request(
        "POST",
        "/v1/roles:queryGrantableRoles",
        Some(ALICE),
        Some(
            json!({"fullResourceName": "//secretmanager.googleapis.com/projects/jit-demo-prod/secrets/nope"}),
        ),
    );
    assert_eq!(missing.status, 404, "{}", missing.text);
    // The page cap of the current discovery document: 1,000.
    let a = emu.request(
        "POST",
        "/v1/roles:queryGrantableRoles",
        Some(ALICE),
        Some(json!({"fullResourceName": "//cloudresourcemanager.googleapis.com/projects/jit-demo-prod", "pageSize": 5000})),
    );
    assert_eq!(a.json()["roles"].as_array().unwrap().len(), 1000);

    // jit refuses the same before anything is sent.
    let puts = || emu.requests().iter().filter(|r| r["method"] == "PUT").count();
    let before = puts();
    let run = emu
        .jit(&[
            "grant",
            "roles/secretmanager.secretAccessor",
            "--for",
            "1h",
            "--member",
            bob,
            "--yes",
            "--bucket",
            "jit-demo-prod-data",
        ])
        .run()
        .code(2);
    assert!(run.error_line().starts_with("error: that role does not apply to a bucket"), "{}", run.stderr);
    assert_eq!(puts(), before, "nothing written");
}

#[test]
fn unknown_fields_and_parameters_are_refused_and_test_iam_permissions_checks_each_permission() {
    let emu = harness::emulator().start();
    // A misspelt option fails instead of answering a version-1 view.
    let a = emu.request(
        "POST",
        "/v1/projects/jit-demo-prod:getIamPolicy",
        Some(ALICE),
        Some(json!({"options": {"requestedPolicyVerson": 3}})),
    );
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.json()["error"]["message"],
        "Invalid JSON payload received. Unknown name \"requestedPolicyVerson\" at 'options': Cannot find field."
    );
    assert_eq!(a.json()["error"]["details"][0]["@type"], "type.googleapis.com/google.rpc.BadRequest");
    let a = emu.request(
        "GET",
        &format!("/v1/{SECRET}:getIamPolicy?optionsRequestedPolicyVersion=3"),
        Some(ALICE),
        None,
    );
    assert_eq!(a.status, 400, "{}", a.text);
    assert!(a.json()["error"]["message"].as_str().unwrap().contains("Cannot bind query parameter"));
    let a = set_policy(&emu, ALICE, SECRET, json!({"bindings": [], "etgg": "x"}));
    assert_eq!(a.status, 400, "{}", a.text);
    // Both JSON spellings and the system parameters pass.
    let a = emu.request(
        "POST",
        "/v1/projects/jit-demo-prod:getIamPolicy?alt=json&prettyPrint=false",
        Some(ALICE),
        Some(json!({"options": {"requested_policy_version": 3}})),
    );
    assert_eq!(a.status, 200, "{}", a.text);
    let camel = emu.request(
        "POST",
        "/v1/projects/jit-demo-prod:getIamPolicy",
        Some(ALICE),
        Some(json!({"options": {"requestedPolicyVersion": 3}})),
    );
    assert_eq!(a.json(), camel.json());
    let snake = emu.request(
        "GET",
        &format!("/v1/{SECRET}:getIamPolicy?options.requested_policy_version=3"),
        Some(ALICE),
        None,
    );
    assert_eq!(snake.status, 200, "{}", snake.text);

    let test = |name: &str, perms: &[&str]| {
        emu.request(
            "POST",
            &format!("/v1/{name}:testIamPermissions"),
            Some(ALICE),
            Some(json!({"permissions": perms})),
        )
    };
    let a = test("projects/jit-demo-prod", &["resourcemanager.projects.list"]);
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.json()["error"]["message"],
        "Permission resourcemanager.projects.list is not valid for this resource."
    );
    let a = test("projects/jit-demo-prod", &["no.such.permission"]);
    assert_eq!(a.json()["error"]["message"], "Permission no.such.permission is not valid.");
    assert_eq!(test(SECRET, &["storage.buckets.get"]).status, 400);
    let a = test(SECRET, &["secretmanager.secrets.getIamPolicy", "secretmanager.versions.access"]);
    assert_eq!(
        a.json(),
        json!({"permissions": ["secretmanager.secrets.getIamPolicy", "secretmanager.versions.access"]})
    );
}

#[test]
fn the_small_differences() {
    let emu = harness::emulator().start();
    // A policy never written is `{"etag": "ACAB"}` alone.
    let a = get_policy(&emu, ALICE, RUN);
    assert_eq!(a.json(), json!({"etag": "ACAB"}));
    // Bucket etags have Storage's shape.
    let path = "/storage/v1/b/jit-demo-prod-legacy/iam";
    let before = emu.request("GET", path, Some(ALICE), None).json();
    assert_eq!(before["etag"], "CAE=");
    let after = emu.request("PUT", path, Some(ALICE), Some(before)).json();
    assert_eq!(after["etag"], "CAI=");
    // Cloud Run v2 logs under its own method name.
    assert_eq!(
        emu.request(
            "POST",
            &format!("/v2/{RUN}:setIamPolicy"),
            Some(ALICE),
            Some(json!({"policy": grant("roles/run.invoker", "user:bob@example.com")}))
        )
        .status,
        200
    );
    let entries = emu
        .request(
            "POST",
            "/v2/entries:list",
            Some(ALICE),
            Some(json!({"resourceNames": ["projects/jit-demo-prod"]})),
        )
        .json();
    let methods: Vec<&str> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["protoPayload"]["methodName"].as_str().unwrap())
        .collect();
    assert!(methods.contains(&"google.cloud.run.v2.Services.SetIamPolicy"), "{methods:?}");
    // Each service's 401 names it; Storage's are its own.
    for (path, service) in [
        (format!("/v1/{SECRET}:getIamPolicy"), "secretmanager.googleapis.com"),
        (format!("/v1/{KEY}:getIamPolicy"), "cloudkms.googleapis.com"),
        (format!("/v1/{RUN}:getIamPolicy"), "run.googleapis.com"),
        ("/v1/roles/viewer".to_string(), "iam.googleapis.com"),
    ] {
        let a = emu.request("GET", &path, None, None);
        assert_eq!(a.status, 401, "{path}");
        assert_eq!(a.json()["error"]["details"][0]["metadata"]["service"], service, "{path}");
    }
    let a = emu.request("GET", "/storage/v1/b/jit-demo-prod-data/iam", None, None);
    assert_eq!(a.status, 401);
    assert_eq!(a.json()["error"]["errors"][0]["reason"], "required");
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Anonymous caller does not have storage.buckets.getIamPolicy")
    );
    let a = emu.request("GET", "/storage/v1/b/jit-demo-prod-data/iam", Some("no-such-token"), None);
    assert_eq!(a.json()["error"]["message"], "Invalid Credentials");
}

#[test]
fn a_body_that_is_not_json_gets_one_shape_per_service() {
    let emu = harness::emulator().start();
    let raw = |method: &str, path: &str| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let r = harness::http_client()
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    format!("{}{path}", emu.url),
                )
                .bearer_auth(ALICE)
                .body("{\"policy\": {bad")
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        })
    };
    let (status, body) = raw("POST", &format!("/v1/{SECRET}:setIamPolicy"));
    assert_eq!(status, 400);
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Invalid JSON payload received. Unexpected token.\n{\"policy\": {bad\n")
            && message.ends_with('^'),
        "{message}"
    );
    assert_eq!(body["error"]["details"][0]["@type"], "type.googleapis.com/google.rpc.BadRequest");
    let (_, project) = raw("POST", "/v1/projects/jit-demo-prod:setIamPolicy");
    assert!(
        project["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON payload received. Unexpected token.")
    );
    let (status, body) = raw("PUT", "/storage/v1/b/jit-demo-prod-data/iam");
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "Parse Error");
    assert_eq!(body["error"]["errors"][0]["reason"], "parseError");
}

/// Issue 18's remainder: each service's 403 in its own words and shape, as Google's clients show
/// them (docs/emulator.md, "403 per service"): which names the resource and how, whether `errors[]`
/// (`reason: forbidden`) comes with it, and the `ErrorInfo` naming the service or IAM.
#[test]
fn each_services_403_has_its_own_words_and_shape() {
    let emu = harness::emulator().start();
    let sa_email = "deployer@jit-demo-prod.iam.gserviceaccount.com";
    let v2_run = RUN;
    // (method, path, body, message, errors[] present, ErrorInfo domain)
    type Case<'a> = (&'a str, String, Option<Value>, &'a str, bool, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "POST",
            "/v1/projects/jit-demo-prod:getIamPolicy".into(),
            None,
            "The caller does not have permission",
            true,
            None,
        ),
        (
            "POST",
            "/v3/projects/jit-demo-prod:getIamPolicy".into(),
            None,
            "Permission 'resourcemanager.projects.getIamPolicy' denied on resource \
             '//cloudresourcemanager.googleapis.com/projects/jit-demo-prod' (or it may not exist).",
            false,
            Some("cloudresourcemanager.googleapis.com"),
        ),
        (
            "GET",
            "/storage/v1/b/jit-demo-prod-data/iam".into(),
            None,
            "bob@example.com does not have storage.buckets.getIamPolicy access to the Google Cloud Storage \
             bucket. Permission 'storage.buckets.getIamPolicy' denied on resource (or it may not exist).",
            true,
            None,
        ),
        (
            "GET",
            format!("/v1/{SECRET}:getIamPolicy"),
            None,
            "Permission 'secretmanager.secrets.getIamPolicy' denied for resource \
             'projects/100000000001/secrets/db-password' (or it may not exist).",
            false,
            None,
        ),
        (
            "POST",
            format!("/v1/{SA}:getIamPolicy"),
            None,
            "Permission iam.serviceAccounts.getIamPolicy is required to perform this operation on service \
             account projects/jit-demo-prod/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com.",
            true,
            None,
        ),
        (
            "GET",
            format!("/v1/{KEY}:getIamPolicy"),
            None,
            "Permission 'cloudkms.cryptoKeys.getIamPolicy' denied on resource \
             'projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db' (or it may not exist).",
            true,
            None,
        ),
        (
            "GET",
            format!("/v1/{RUN}:getIamPolicy"),
            None,
            "Permission 'run.services.getIamPolicy' denied on resource \
             'projects/jit-demo-prod/locations/europe-west1/services/api' (or resource may not exist).",
            true,
            Some("run.googleapis.com"),
        ),
        (
            "GET",
            format!("/v2/{v2_run}:getIamPolicy"),
            None,
            "Permission 'run.services.getIamPolicy' denied on resource \
             'projects/jit-demo-prod/locations/europe-west1/services/api' (or resource may not exist).",
            false,
            Some("run.googleapis.com"),
        ),
        (
            "GET",
            "/v1/projects/jit-demo-prod:searchAllIamPolicies".into(),
            None,
            "Request denied by Cloud IAM.",
            false,
            Some("cloudasset.googleapis.com"),
        ),
        (
            "POST",
            "/v2/entries:list".into(),
            Some(json!({"resourceNames": ["projects/jit-demo-prod"]})),
            "Permission 'logging.logEntries.list' denied on resource (or it may not exist).",
            false,
            Some("iam.googleapis.com"),
        ),
        (
            "GET",
            "/v1/projects/jit-demo-prod/roles/anything".into(),
            None,
            "Permission 'iam.roles.get' denied on resource (or it may not exist).",
            false,
            Some("iam.googleapis.com"),
        ),
        (
            "POST",
            format!("/v1/projects/-/serviceAccounts/{sa_email}:generateAccessToken"),
            Some(json!({"scope": ["https://www.googleapis.com/auth/cloud-platform"]})),
            "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
            false,
            Some("iam.googleapis.com"),
        ),
        (
            "GET",
            "/v1/projects/jit-demo-prod/locations/global/entitlements".into(),
            None,
            "Permission 'privilegedaccessmanager.entitlements.list' denied on resource \
             '//privilegedaccessmanager.googleapis.com/projects/jit-demo-prod/locations/global' (or it may not exist).",
            false,
            Some("iam.googleapis.com"),
        ),
    ];
    for (method, path, body, message, errors, domain) in cases {
        let a = emu.request(method, &path, Some(BOB), body);
        assert_eq!(a.status, 403, "{method} {path}: {}", a.text);
        let e = &a.json()["error"];
        assert_eq!(e["message"], message, "{method} {path}");
        if path.starts_with("/storage/") {
            assert!(e.get("status").is_none(), "{path}: {e}");
        } else {
            assert_eq!(e["status"], "PERMISSION_DENIED", "{path}");
        }
        assert_eq!(e.get("errors").is_some(), errors, "{method} {path}: {e}");
        if errors {
            assert_eq!(e["errors"][0]["reason"], "forbidden", "{path}");
        }
        let info = e["details"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo");
        assert_eq!(info.map(|d| d["domain"].as_str().unwrap()), domain, "{method} {path}: {e}");
        if let Some(d) = info {
            assert_eq!(d["reason"], "IAM_PERMISSION_DENIED", "{path}");
            assert!(d["metadata"]["permission"].is_string(), "{path}: {d}");
        }
    }
}

/// The 409 of a stale etag is Google's current text, which names both etags; an injected conflict
/// (no etag of its own to name) keeps the first sentence alone.
#[test]
fn a_stale_etag_is_a_409_naming_both_etags() {
    let emu = harness::emulator().start();
    let v3 = || Some(json!({"options": {"requestedPolicyVersion": 3}}));
    let read = emu.request("POST", "/v1/projects/jit-demo-prod:getIamPolicy", Some(ALICE), v3()).json();
    let mut policy = read.clone();
    let first = emu.request(
        "POST",
        "/v1/projects/jit-demo-prod:setIamPolicy",
        Some(ALICE),
        Some(json!({ "policy": policy.clone() })),
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let current = first.json()["etag"].as_str().unwrap().to_string();
    policy["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/viewer", "members": ["user:bob@example.com"]}));
    for surface in ["/v1", "/v3"] {
        let a = emu.request(
            "POST",
            &format!("{surface}/projects/jit-demo-prod:setIamPolicy"),
            Some(ALICE),
            Some(json!({ "policy": policy.clone() })),
        );
        assert_eq!(a.status, 409, "{}", a.text);
        let e = &a.json()["error"];
        assert_eq!(e["status"], "ABORTED");
        assert_eq!(
            e["message"],
            format!(
                "There were concurrent policy changes. Please retry the whole read-modify-write with exponential \
                 backoff. The request's ETag '{}' did not match the current policy's ETag '{current}'.",
                read["etag"].as_str().unwrap()
            )
        );
        assert_eq!(e.get("errors").is_some(), surface == "/v1", "{e}");
    }
    // Nothing was written: the policy still has the first write's etag.
    let after = emu.request("POST", "/v1/projects/jit-demo-prod:getIamPolicy", Some(ALICE), v3()).json();
    assert_eq!(after["etag"], current.as_str());
    // An injected conflict has no stale etag to name.
    emu.faults(json!({"conflictNext": 1}));
    let mut fresh = after.clone();
    fresh["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/viewer", "members": ["user:bob@example.com"]}));
    let a = emu.request(
        "POST",
        "/v1/projects/jit-demo-prod:setIamPolicy",
        Some(ALICE),
        Some(json!({ "policy": fresh })),
    );
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(
        a.json()["error"]["message"],
        "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff."
    );
}

/// Issue 18 item 4 for Cloud Storage: an unknown query parameter is a 400 in Storage's shape,
/// naming the parameter; every parameter its methods declare (and gcloud and the Python client
/// send) is taken.
#[test]
fn storage_refuses_unknown_query_parameters_in_its_own_shape() {
    let emu = harness::emulator().start();
    let bucket = "/storage/v1/b/jit-demo-prod-data";
    for path in [
        format!(
            "{bucket}/iam?optionsRequestedPolicyVersion=3&userProject=jit-demo-prod&prettyPrint=false&alt=json"
        ),
        format!("{bucket}/iam?fields=bindings,etag&quotaUser=q"),
        format!(
            "{bucket}/iam/testPermissions?permissions=storage.buckets.get&permissions=storage.buckets.getIamPolicy"
        ),
        format!("{bucket}?projection=noAcl&prettyPrint=false"),
    ] {
        let a = emu.request("GET", &path, Some(ALICE), None);
        assert_eq!(a.status, 200, "{path}: {}", a.text);
    }
    let etag = |emu: &Emulator| {
        emu.request("GET", &format!("{bucket}/iam"), Some(ALICE), None).json()["etag"].clone()
    };
    let before = etag(&emu);
    // A misspelt version (the v1-v3 APIs' dotted name) and a made-up parameter.
    for (method, path, name) in [
        ("GET", format!("{bucket}/iam?options.requestedPolicyVersion=3"), "options.requestedPolicyVersion"),
        ("GET", format!("{bucket}/iam/testPermissions?permissions=storage.buckets.get&perm=x"), "perm"),
        ("GET", format!("{bucket}?projection=full&nosuch=1"), "nosuch"),
        ("PUT", format!("{bucket}/iam?optionsRequestedPolicyVersion=3"), "optionsRequestedPolicyVersion"),
    ] {
        let body = (method == "PUT").then(|| json!({"bindings": []}));
        let a = emu.request(method, &path, Some(ALICE), body);
        assert_eq!(a.status, 400, "{path}: {}", a.text);
        assert_eq!(
            a.json(),
            json!({"error": {"code": 400, "message": "Invalid argument.", "errors": [{
                "message": "Invalid argument.", "domain": "global", "reason": "invalid",
                "location": name, "locationType": "parameter"}]}}),
            "{path}"
        );
    }
    // The refused PUT wrote nothing.
    assert_eq!(etag(&emu), before);
}

/// Issue 18 item 3 for `jit delegate`: a role that does not apply to the place the delegate would
/// grant it on is refused before anything is read or sent, as `jit grant` refuses it and as the
/// emulator (like Google) refuses binding it there; `--no-role-check` leaves it to Google.
#[test]
fn jit_delegate_refuses_a_role_that_does_not_apply_to_its_scope() {
    let emu = harness::emulator().start();
    let writes = || {
        emu.requests().iter().filter(|r| r["path"].as_str().unwrap_or("").ends_with(":setIamPolicy")).count()
    };
    let role = "roles/resourcemanager.organizationViewer";
    // What the emulator answers a direct binding of it on a project: Google's 400.
    let a = emu.request(
        "POST",
        "/v1/projects/jit-demo-dev:setIamPolicy",
        Some(ALICE),
        Some(json!({"policy": {"bindings": [{"role": role, "members": ["user:dana@example.com"]}]}})),
    );
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.json()["error"]["message"], format!("Role {role} is not supported for this resource."));
    let before = writes();
    let want = format!(
        "error: that role does not apply to a project: none of the permissions of `{role}` is about a project or \
         what it holds"
    );
    for args in [
        vec![
            "delegate",
            "dana@example.com",
            "--roles",
            role,
            "--for",
            "1d",
            "--yes",
            "--project",
            "jit-demo-dev",
        ],
        vec![
            "delegate",
            "dana@example.com",
            "--roles",
            &format!("roles/logging.viewer,{role}"),
            "--permanent",
            "--yes",
            "--project",
            "jit-demo-dev",
        ],
        vec![
            "grant",
            role,
            "--for",
            "1h",
            "--member",
            "user:dana@example.com",
            "--yes",
            "--project",
            "jit-demo-dev",
        ],
    ] {
        let run = emu.jit(&args).run().code(2);
        assert!(run.error_line().starts_with(&want), "{args:?}: {}", run.stderr);
    }
    assert_eq!(writes(), before, "nothing written");
    // A role that applies goes through, and so does this one with --no-role-check (the delegated
    // roles are the condition's list: Google does not judge them on the write).
    emu.jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        "roles/logging.viewer",
        "--for",
        "1d",
        "--yes",
        "--project",
        "jit-demo-dev",
    ])
    .run()
    .ok();
    emu.jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        role,
        "--for",
        "1d",
        "--yes",
        "--no-role-check",
        "--project",
        "jit-demo-dev",
    ])
    .run()
    .ok();
    assert_eq!(writes(), before + 2);
}
