//! The emulator's Privileged Access Manager (issue 21 item 6) through its HTTP API: entitlements
//! with their long-running operations, the grant's state machine on the emulator's clock, the
//! checks PAM makes, the binding activation writes in PAM's shape and the end that removes it,
//! the audit entries, and Secret Manager's `versions:access`.

use serde_json::{Value, json};

use crate::harness::{self, Emulator};

const ALICE: &str = "alice-token";
const BOB: &str = "bob-token";
const DANA: &str = "dana-token";
const LOC: &str = "/v1/projects/jit-demo-prod/locations/global";
const DEMO: &str = "projects/jit-demo-prod/locations/global/entitlements/prod-debug";

#[track_caller]
fn call(emu: &Emulator, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let a = emu.request(method, path, Some(token), body);
    let v = serde_json::from_str(&a.text).unwrap_or_else(|_| json!({"raw": a.text}));
    (a.status, v)
}

#[track_caller]
fn ok(emu: &Emulator, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
    let (status, v) = call(emu, method, path, token, body);
    assert_eq!(status, 200, "{method} {path}: {v}");
    v
}

fn pam_bindings(policy: &Value) -> Vec<Value> {
    policy["bindings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["condition"]["title"] == "Created by: PAM")
        .cloned()
        .collect()
}

fn request(emu: &Emulator, token: &str, body: Value) -> (u16, Value) {
    call(emu, "POST", &format!("/v1/{DEMO}/grants"), token, Some(body))
}

#[test]
fn a_requester_without_rights_requests_an_approver_approves_and_the_access_ends_on_the_clock() {
    let emu = harness::emulator().start();
    emu.set_clock("2030-01-01T10:00:00Z");
    // bob holds nothing on the project.
    assert!(emu.permissions(BOB, "projects/jit-demo-prod", &["logging.logEntries.list"]).is_empty());

    // What bob may request, and what alice may approve (PAM's search; no IAM permission needed).
    let mine =
        ok(&emu, "GET", &format!("{LOC}/entitlements:search?callerAccessType=GRANT_REQUESTER"), BOB, None);
    assert_eq!(mine["entitlements"][0]["name"], DEMO, "{mine}");
    let theirs =
        ok(&emu, "GET", &format!("{LOC}/entitlements:search?callerAccessType=GRANT_APPROVER"), ALICE, None);
    assert_eq!(theirs["entitlements"][0]["name"], DEMO, "{theirs}");
    let none =
        ok(&emu, "GET", &format!("{LOC}/entitlements:search?callerAccessType=GRANT_APPROVER"), BOB, None);
    assert_eq!(none, json!({}));

    let (status, grant) = request(
        &emu,
        BOB,
        json!({"requestedDuration": "3600s", "justification": {"unstructuredJustification": "INC-42"}}),
    );
    assert_eq!(status, 200, "{grant}");
    assert_eq!(grant["state"], "APPROVAL_AWAITED");
    assert_eq!(grant["requester"], "bob@example.com");
    assert_eq!(grant["timeline"]["events"][0]["requested"]["expireTime"], "2030-01-02T10:00:00Z");
    let name = grant["name"].as_str().unwrap().to_string();
    assert!(name.starts_with(&format!("{DEMO}/grants/")), "{name}");

    let to_approve =
        ok(&emu, "GET", &format!("/v1/{DEMO}/grants:search?callerRelationship=CAN_APPROVE"), ALICE, None);
    assert_eq!(to_approve["grants"][0]["name"], name.as_str());
    let approved = ok(&emu, "POST", &format!("/v1/{name}:approve"), ALICE, Some(json!({"reason": "ok"})));
    assert_eq!(approved["state"], "SCHEDULED");
    assert_eq!(
        approved["timeline"]["events"][1]["approved"],
        json!({"actor": "alice@example.com", "reason": "ok"})
    );

    // The next requests move it on: activating, then active with PAM's binding written.
    let g = ok(&emu, "GET", &format!("/v1/{name}"), BOB, None);
    assert_eq!(g["state"], "ACTIVATING");
    // (The policy read above was a request too: the grant is active now.)
    let g = ok(&emu, "GET", &format!("/v1/{name}"), BOB, None);
    assert_eq!(g["state"], "ACTIVE", "{g}");
    // Approval is final.
    let (status, again) = call(&emu, "POST", &format!("/v1/{name}:approve"), ALICE, Some(json!({})));
    assert_eq!((status, again["error"]["status"].as_str()), (400, Some("FAILED_PRECONDITION")), "{again}");
    assert_eq!(g["auditTrail"]["accessGrantTime"], "2030-01-01T10:00:00Z");
    let policy = emu.policy("projects/jit-demo-prod");
    let expected = |role: &str| {
        json!({"role": role, "members": ["user:bob@example.com"], "condition": {
            "expression": "request.time < timestamp(\"2030-01-01T11:00:00Z\")", "title": "Created by: PAM"}})
    };
    // Sorted by role, as the store keeps every policy.
    assert_eq!(
        pam_bindings(&policy),
        vec![expected("roles/cloudsql.client"), expected("roles/logging.viewer")]
    );
    assert_eq!(policy["version"], 3);
    assert_eq!(
        emu.permissions(BOB, "projects/jit-demo-prod", &["logging.logEntries.list"]),
        ["logging.logEntries.list"]
    );
    let had =
        ok(&emu, "GET", &format!("/v1/{DEMO}/grants:search?callerRelationship=HAD_APPROVED"), ALICE, None);
    assert_eq!(had["grants"][0]["name"], name.as_str());

    // An hour on, the grant has ended and its bindings are gone; nothing else changed.
    emu.advance(3600);
    let g = ok(&emu, "GET", &format!("/v1/{name}"), BOB, None);
    assert_eq!(g["state"], "ENDED", "{g}");
    assert_eq!(g["auditTrail"]["accessRemoveTime"], "2030-01-01T11:00:00Z");
    let after = emu.policy("projects/jit-demo-prod");
    assert!(pam_bindings(&after).is_empty(), "{after}");
    let mut before = policy.clone();
    before["bindings"].as_array_mut().unwrap().retain(|b| b["condition"]["title"] != "Created by: PAM");
    assert_eq!(after["bindings"], before["bindings"]);
    let kinds: Vec<&str> = g["timeline"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_object().unwrap().keys().find(|k| *k != "eventTime").unwrap().as_str())
        .collect();
    assert_eq!(kinds, ["requested", "approved", "scheduled", "activated", "ended"]);

    // One audit entry per action: bob's request, alice's approval (Admin Activity), PAM's
    // activation and end (System Event), and the service agent's two setIamPolicy writes.
    let state = emu.state();
    let entries = state["logEntries"].as_array().unwrap();
    let methods: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["protoPayload"]["methodName"].as_str().unwrap(),
                e["protoPayload"]["authenticationInfo"]["principalEmail"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    let agent = "service-100000000001@gcp-sa-pam.iam.gserviceaccount.com";
    assert_eq!(
        methods,
        [
            (
                "google.cloud.privilegedaccessmanager.v1.PrivilegedAccessManager.CreateGrant",
                "bob@example.com"
            ),
            (
                "google.cloud.privilegedaccessmanager.v1.PrivilegedAccessManager.ApproveGrant",
                "alice@example.com"
            ),
            ("SetIamPolicy", agent),
            ("PAMActivateGrant", "-"),
            ("SetIamPolicy", agent),
            ("PAMEndGrant", "-"),
        ]
    );
    assert!(entries[3]["logName"].as_str().unwrap().ends_with("cloudaudit.googleapis.com%2Fsystem_event"));
    // The request's and the approval's entries carry the grant as the method answered it.
    assert_eq!(entries[0]["protoPayload"]["response"]["requester"], "bob@example.com");
    assert_eq!(entries[1]["protoPayload"]["response"]["state"], "SCHEDULED");
    assert_eq!(entries[1]["protoPayload"]["response"]["name"], entries[0]["protoPayload"]["resourceName"]);
    assert!(entries[1]["logName"].as_str().unwrap().ends_with("cloudaudit.googleapis.com%2Factivity"));
}

#[test]
fn pam_refuses_what_google_refuses() {
    let emu = harness::emulator().start();
    let reason = json!({"unstructuredJustification": "INC-42"});
    // An ineligible requester: 403, and nothing about the entitlement.
    let (status, e) = request(&emu, DANA, json!({"requestedDuration": "3600s", "justification": reason}));
    assert_eq!((status, e["error"]["status"].as_str()), (403, Some("PERMISSION_DENIED")), "{e}");
    assert!(e["error"].get("errors").is_none(), "PAM's errors carry no errors[]: {e}");
    // Longer than the entitlement's maximum (4 hours).
    let (status, e) = request(&emu, BOB, json!({"requestedDuration": "14401s", "justification": reason}));
    assert_eq!(status, 400, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("maximum request duration 14400s"), "{e}");
    // No justification where the entitlement requires one.
    let (status, e) = request(&emu, BOB, json!({"requestedDuration": "3600s"}));
    assert_eq!(status, 400, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("justification"), "{e}");
    let (status, e) = request(
        &emu,
        BOB,
        json!({"requestedDuration": "3600s", "justification": {"unstructuredJustification": "  "}}),
    );
    assert_eq!(status, 400, "{e}");
    // Nothing was created by the refusals.
    assert!(emu.state()["pam"].get("grants").is_none());

    let (_, grant) = request(&emu, BOB, json!({"requestedDuration": "3600s", "justification": reason}));
    let name = grant["name"].as_str().unwrap().to_string();
    // A second open grant of the same requester on the same entitlement.
    let (status, e) = request(&emu, BOB, json!({"requestedDuration": "60s", "justification": reason}));
    assert_eq!((status, e["error"]["status"].as_str()), (400, Some("FAILED_PRECONDITION")), "{e}");
    // Self-approval: bob is made an approver too, and still cannot approve his own grant.
    let ent = ok(&emu, "GET", &format!("/v1/{DEMO}"), ALICE, None);
    let mut patched = ent.clone();
    patched["approvalWorkflow"]["manualApprovals"]["steps"][0]["approvers"][0]["principals"] =
        json!(["user:alice@example.com", "user:bob@example.com"]);
    let op = ok(&emu, "PATCH", &format!("/v1/{DEMO}?updateMask=approvalWorkflow"), ALICE, Some(patched));
    assert_eq!(op["done"], false);
    let (status, e) = call(&emu, "POST", &format!("/v1/{name}:approve"), BOB, Some(json!({})));
    assert_eq!((status, e["error"]["status"].as_str()), (403, Some("PERMISSION_DENIED")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("own grant"), "{e}");
    // Someone the workflow does not name.
    let (status, e) = call(&emu, "POST", &format!("/v1/{name}:deny"), DANA, Some(json!({"reason": "no"})));
    assert_eq!(status, 403, "{e}");
    // The approval window: 24 hours on, the grant has expired and cannot be approved.
    emu.advance(24 * 3600);
    let g = ok(&emu, "GET", &format!("/v1/{name}"), BOB, None);
    assert_eq!(g["state"], "EXPIRED", "{g}");
    let (status, e) = call(&emu, "POST", &format!("/v1/{name}:approve"), ALICE, Some(json!({})));
    assert_eq!((status, e["error"]["status"].as_str()), (400, Some("FAILED_PRECONDITION")), "{e}");
    assert!(pam_bindings(&emu.policy("projects/jit-demo-prod")).is_empty());
}

#[test]
fn entitlements_are_created_patched_and_deleted_through_operations() {
    let emu = harness::emulator().start();
    let body = json!({
        "eligibleUsers": [{"principals": ["group:sre@example.com"]}],
        "privilegedAccess": {"gcpIamAccess": {"resourceType": "cloudresourcemanager.googleapis.com/Project",
            "resource": "//cloudresourcemanager.googleapis.com/projects/jit-demo-dev",
            "roleBindings": [{"role": "roles/storage.admin"}]}},
        "maxRequestDuration": "7200s",
        "requesterJustificationConfig": {"notMandatory": {}},
    });
    let dev = "/v1/projects/jit-demo-dev/locations/global";
    // bob may not create entitlements.
    let (status, e) =
        call(&emu, "POST", &format!("{dev}/entitlements?entitlementId=dev-storage"), BOB, Some(body.clone()));
    assert_eq!(status, 403, "{e}");
    assert_eq!(
        e["error"]["details"][0]["metadata"]["permission"],
        "privilegedaccessmanager.entitlements.create"
    );
    // Refused as PAM refuses: a basic role, an entitlement ID PAM does not take, 8 days.
    let mut basic = body.clone();
    basic["privilegedAccess"]["gcpIamAccess"]["roleBindings"] = json!([{"role": "roles/owner"}]);
    let (status, e) =
        call(&emu, "POST", &format!("{dev}/entitlements?entitlementId=dev-storage"), ALICE, Some(basic));
    assert_eq!(status, 400, "{e}");
    let (status, _) =
        call(&emu, "POST", &format!("{dev}/entitlements?entitlementId=Dev"), ALICE, Some(body.clone()));
    assert_eq!(status, 400);
    let mut long = body.clone();
    long["maxRequestDuration"] = json!("691200s");
    let (status, _) =
        call(&emu, "POST", &format!("{dev}/entitlements?entitlementId=dev-storage"), ALICE, Some(long));
    assert_eq!(status, 400);

    let op =
        ok(&emu, "POST", &format!("{dev}/entitlements?entitlementId=dev-storage"), ALICE, Some(body.clone()));
    assert_eq!(op["done"], false, "{op}");
    assert_eq!(op["metadata"]["verb"], "create");
    let op_name = op["name"].as_str().unwrap();
    assert!(op_name.starts_with("projects/jit-demo-dev/locations/global/operations/"), "{op_name}");
    let done = ok(&emu, "GET", &format!("/v1/{op_name}"), ALICE, None);
    assert_eq!(done["done"], true, "{done}");
    assert_eq!(done["response"]["state"], "AVAILABLE");
    assert_eq!(done["response"]["name"], "projects/jit-demo-dev/locations/global/entitlements/dev-storage");
    let (status, _) =
        call(&emu, "POST", &format!("{dev}/entitlements?entitlementId=dev-storage"), ALICE, Some(body));
    assert_eq!(status, 409);

    // carol (in group:sre) may request it, and with no approval step it activates by itself.
    emu.add_token("carol-token", "user:carol@example.com");
    let ent = "projects/jit-demo-dev/locations/global/entitlements/dev-storage";
    let g = ok(
        &emu,
        "POST",
        &format!("/v1/{ent}/grants"),
        "carol-token",
        Some(json!({"requestedDuration": "1800s"})),
    );
    assert_eq!(g["state"], "SCHEDULED");
    let name = g["name"].as_str().unwrap();
    ok(&emu, "GET", &format!("/v1/{name}"), "carol-token", None);
    let g = ok(&emu, "GET", &format!("/v1/{name}"), "carol-token", None);
    assert_eq!(g["state"], "ACTIVE");
    assert_eq!(pam_bindings(&emu.policy("projects/jit-demo-dev")).len(), 1);
    // An entitlement with an active grant cannot be deleted; revoke it first.
    let (status, e) = call(&emu, "DELETE", &format!("/v1/{ent}?force=true"), ALICE, None);
    assert_eq!(status, 400, "{e}");
    let (status, e) = call(&emu, "POST", &format!("/v1/{name}:revoke"), "carol-token", Some(json!({})));
    assert_eq!(status, 403, "revoking needs privilegedaccessmanager.grants.revoke: {e}");
    let op = ok(&emu, "POST", &format!("/v1/{name}:revoke"), ALICE, Some(json!({"reason": "done"})));
    assert_eq!(op["done"], false);
    let done = ok(&emu, "GET", &format!("/v1/{}", op["name"].as_str().unwrap()), ALICE, None);
    assert_eq!(done["response"]["state"], "REVOKED", "{done}");
    assert!(pam_bindings(&emu.policy("projects/jit-demo-dev")).is_empty());
    // A long-running method's two audit entries: one when the operation starts (with the
    // request), one when it ends; both alice's, both Admin Activity.
    let state = emu.state();
    let revokes: Vec<&Value> = state["logEntries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["protoPayload"]["methodName"].as_str().unwrap().ends_with(".RevokeGrant"))
        .collect();
    assert_eq!(revokes.len(), 2, "{revokes:?}");
    assert_eq!(revokes[0]["protoPayload"]["operation"]["first"], true);
    assert_eq!(revokes[0]["protoPayload"]["request"]["reason"], "done");
    assert_eq!(revokes[1]["protoPayload"]["operation"]["last"], true);
    assert_eq!(revokes[1]["protoPayload"]["operation"]["id"], op["name"]);
    for r in &revokes {
        assert_eq!(r["protoPayload"]["authenticationInfo"]["principalEmail"], "alice@example.com");
        assert!(r["logName"].as_str().unwrap().ends_with("%2Factivity"));
    }
    // The entitlement's creation, long-running too, has its two entries.
    let ops: Vec<(bool, bool)> = state["logEntries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["protoPayload"]["methodName"].as_str().unwrap().ends_with(".CreateEntitlement"))
        .map(|e| {
            let o = &e["protoPayload"]["operation"];
            (o["first"] == true, o["last"] == true)
        })
        .collect();
    assert!(ops.len() >= 2 && ops.len().is_multiple_of(2), "{ops:?}");
    assert!(ops.chunks(2).all(|p| p == [(true, false), (false, true)]), "{ops:?}");

    let list = ok(&emu, "GET", &format!("{dev}/entitlements"), ALICE, None);
    assert_eq!(list["entitlements"].as_array().unwrap().len(), 1);
    let op = ok(&emu, "DELETE", &format!("/v1/{ent}?force=true"), ALICE, None);
    let done = ok(&emu, "GET", &format!("/v1/{}", op["name"].as_str().unwrap()), ALICE, None);
    assert_eq!(done["response"]["@type"], "type.googleapis.com/google.protobuf.Empty");
    assert_eq!(ok(&emu, "GET", &format!("{dev}/entitlements"), ALICE, None), json!({}));
}

#[test]
fn onboarding_status_names_the_service_agent() {
    let emu = harness::emulator().start();
    let v = ok(&emu, "GET", &format!("{LOC}:checkOnboardingStatus"), ALICE, None);
    assert_eq!(v["serviceAccount"], "service-100000000001@gcp-sa-pam.iam.gserviceaccount.com");
    // alice administers the organization but holds no PAM permission there.
    let (status, e) = call(
        &emu,
        "GET",
        "/v1/organizations/123456789012/locations/global:checkOnboardingStatus",
        ALICE,
        None,
    );
    assert_eq!(status, 403, "{e}");
    let (status, e) =
        call(&emu, "GET", "/v1/projects/jit-demo-prod/locations/us-east1:checkOnboardingStatus", ALICE, None);
    assert_eq!(status, 400, "{e}");
    let (status, _) = call(&emu, "GET", &format!("{LOC}:checkOnboardingStatus"), BOB, None);
    assert_eq!(status, 403);
}

// ---- gcloud's own `gcloud pam` against the emulator -------------------------------------------

fn gcloud(emu: &Emulator, token: &str, args: &[&str]) -> (bool, Value, String) {
    let o = emu.gcloud(token, args);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let v = serde_json::from_str(&out).unwrap_or(Value::Null);
    (o.status.success(), v, err)
}

#[track_caller]
fn gcloud_ok(emu: &Emulator, token: &str, args: &[&str]) -> Value {
    let (ok, v, err) = gcloud(emu, token, args);
    assert!(ok, "gcloud {args:?} failed: {err}");
    v
}

#[test]
fn gcloud_pam_requests_approves_denies_and_revokes_against_the_emulator() {
    if !harness::gcloud_available() {
        eprintln!("skipped: gcloud not installed");
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "gcloud is required when CI=true");
        return;
    }
    let emu = harness::emulator().start();
    emu.set_clock("2030-01-01T10:00:00Z");
    let scope = ["--project=jit-demo-prod", "--location=global", "--format=json"];

    // alice creates an entitlement from a file; gcloud waits on the operation.
    let file = emu.file(
        "ent.yaml",
        "eligibleUsers:\n- principals: ['user:bob@example.com']\n\
         approvalWorkflow:\n  manualApprovals:\n    steps:\n    - approvalsNeeded: 1\n      approvers:\n      - principals: ['user:alice@example.com']\n\
         privilegedAccess:\n  gcpIamAccess:\n    resourceType: cloudresourcemanager.googleapis.com/Project\n    \
         resource: //cloudresourcemanager.googleapis.com/projects/jit-demo-prod\n    roleBindings:\n    - role: roles/bigquery.dataViewer\n\
         maxRequestDuration: 7200s\nrequesterJustificationConfig:\n  unstructured: {}\n",
    );
    let entitlement_file = format!("--entitlement-file={}", file.display());
    let mut args = vec!["pam", "entitlements", "create", "gcloud-debug", entitlement_file.as_str()];
    args.extend(scope);
    let created = gcloud_ok(&emu, ALICE, &args);
    assert_eq!(
        created["name"], "projects/jit-demo-prod/locations/global/entitlements/gcloud-debug",
        "{created}"
    );
    assert_eq!(created["state"], "AVAILABLE", "{created}");
    let mut args = vec!["pam", "entitlements", "list"];
    args.extend(scope);
    let list = gcloud_ok(&emu, ALICE, &args);
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "projects/jit-demo-prod/locations/global/entitlements/gcloud-debug",
            "projects/jit-demo-prod/locations/global/entitlements/prod-debug"
        ]
    );
    // bob has no PAM permission, but may search what he can request.
    let (ok, _, _) = gcloud(&emu, BOB, &args);
    assert!(!ok, "bob cannot list entitlements");
    let mut args = vec!["pam", "entitlements", "search", "--caller-access-type=grant-requester"];
    args.extend(scope);
    assert_eq!(gcloud_ok(&emu, BOB, &args).as_array().unwrap().len(), 2);

    let ent = format!("--entitlement={DEMO}");
    let create = |token: &str, extra: &[&str]| {
        let mut args = vec!["pam", "grants", "create", ent.as_str(), "--format=json"];
        args.extend_from_slice(extra);
        gcloud(&emu, token, &args)
    };
    // What PAM refuses, gcloud shows as an error.
    let (ok, _, err) = create(DANA, &["--requested-duration=3600s", "--justification=INC-42"]);
    assert!(!ok && err.contains("not eligible"), "{err}");
    let (ok, _, err) = create(BOB, &["--requested-duration=20000s", "--justification=INC-42"]);
    assert!(!ok && err.contains("maximum request duration"), "{err}");
    let (ok, _, err) = create(BOB, &["--requested-duration=3600s"]);
    assert!(!ok && err.contains("justification"), "{err}");

    let (ok, grant, err) = create(BOB, &["--requested-duration=3600s", "--justification=INC-42"]);
    assert!(ok, "{err}");
    assert_eq!(grant["state"], "APPROVAL_AWAITED");
    let name = grant["name"].as_str().unwrap().to_string();
    let (ok, _, err) =
        gcloud(&emu, BOB, &["pam", "grants", "approve", &name, "--reason=me", "--format=json"]);
    assert!(!ok && err.contains("own grant"), "self-approval: {err}");
    let found = gcloud_ok(
        &emu,
        ALICE,
        &["pam", "grants", "search", ent.as_str(), "--caller-relationship=can-approve", "--format=json"],
    );
    assert_eq!(found[0]["name"], name.as_str(), "{found}");
    let approved =
        gcloud_ok(&emu, ALICE, &["pam", "grants", "approve", &name, "--reason=ok", "--format=json"]);
    assert_eq!(approved["state"], "SCHEDULED");

    // Each request moves it on: activating, then active with the binding in PAM's shape.
    let g = gcloud_ok(&emu, BOB, &["pam", "grants", "describe", &name, "--format=json"]);
    assert_eq!(g["state"], "ACTIVATING", "{g}");
    let g = gcloud_ok(&emu, BOB, &["pam", "grants", "describe", &name, "--format=json"]);
    assert_eq!(g["state"], "ACTIVE", "{g}");
    let policy = emu.policy("projects/jit-demo-prod");
    let expression = "request.time < timestamp(\"2030-01-01T11:00:00Z\")";
    assert!(
        pam_bindings(&policy).iter().any(|b| b["role"] == "roles/logging.viewer"
            && b["members"] == json!(["user:bob@example.com"])
            && b["condition"]["expression"] == expression),
        "{policy}"
    );
    let mine = gcloud_ok(
        &emu,
        BOB,
        &["pam", "grants", "search", ent.as_str(), "--caller-relationship=had-created", "--format=json"],
    );
    assert_eq!(mine[0]["state"], "ACTIVE");

    // alice ends it early: revoke is an operation gcloud waits on.
    gcloud_ok(&emu, ALICE, &["pam", "grants", "revoke", &name, "--reason=done", "--format=json"]);
    let g = gcloud_ok(&emu, BOB, &["pam", "grants", "describe", &name, "--format=json"]);
    assert_eq!(g["state"], "REVOKED", "{g}");
    assert!(pam_bindings(&emu.policy("projects/jit-demo-prod")).is_empty());

    // A new request, denied.
    let (ok, grant, err) = create(BOB, &["--requested-duration=600s", "--justification=INC-43"]);
    assert!(ok, "{err}");
    let name = grant["name"].as_str().unwrap();
    let denied =
        gcloud_ok(&emu, ALICE, &["pam", "grants", "deny", name, "--reason=not now", "--format=json"]);
    assert_eq!(denied["state"], "DENIED");
    let had = gcloud_ok(
        &emu,
        ALICE,
        &["pam", "grants", "search", ent.as_str(), "--caller-relationship=had-approved", "--format=json"],
    );
    assert_eq!(had.as_array().unwrap().len(), 2, "{had}");
}

fn webhook_seed() -> Value {
    let mut seed: Value = serde_json::from_str(jit_emulator::DEMO_SEED).unwrap();
    // "https://chat.example/hook" and an older, disabled value.
    seed["secrets"] = json!([{"name": "projects/jit-demo-prod/secrets/jit-webhook", "versions": [
        {"version": 1, "data": "b2xk", "state": "DISABLED"},
        {"version": 2, "data": "aHR0cHM6Ly9jaGF0LmV4YW1wbGUvaG9vaw=="}]}]);
    seed["customRoles"][1]["includedPermissions"] = json!(["secretmanager.versions.access"]);
    seed["policies"]["projects/jit-demo-prod"]["bindings"].as_array_mut().unwrap().push(
        json!({"role": "projects/jit-demo-prod/roles/secretReader", "members": ["user:bob@example.com"]}),
    );
    seed
}

#[test]
fn a_webhook_kept_in_a_secret_is_read_with_versions_access() {
    let emu = harness::emulator().seed(webhook_seed()).start();
    let path = "/v1/projects/jit-demo-prod/secrets/jit-webhook/versions";
    let v = ok(&emu, "GET", &format!("{path}/latest:access"), BOB, None);
    assert_eq!(v["name"], "projects/100000000001/secrets/jit-webhook/versions/2");
    assert_eq!(v["payload"]["data"], "aHR0cHM6Ly9jaGF0LmV4YW1wbGUvaG9vaw==");
    // CRC-32C of the payload, as a decimal string (an int64 in JSON); gcloud checks it.
    assert_eq!(v["payload"]["dataCrc32c"], "3195005194");
    let (status, e) = call(&emu, "GET", &format!("{path}/1:access"), BOB, None);
    assert_eq!((status, e["error"]["status"].as_str()), (400, Some("FAILED_PRECONDITION")), "{e}");
    let (status, _) = call(&emu, "GET", &format!("{path}/3:access"), BOB, None);
    assert_eq!(status, 404);
    let (status, e) = call(&emu, "GET", &format!("{path}/2:access"), DANA, None);
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["error"]["details"][0]["metadata"]["permission"], "secretmanager.versions.access");
}

#[test]
fn gcloud_reads_the_webhook_secret_and_checks_its_crc32c() {
    if !harness::gcloud_available() {
        eprintln!("skipped: gcloud not installed");
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "gcloud is required when CI=true");
        return;
    }
    let emu = harness::emulator().seed(webhook_seed()).start();
    let o = emu.gcloud(
        BOB,
        &["secrets", "versions", "access", "latest", "--secret=jit-webhook", "--project=jit-demo-prod"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "https://chat.example/hook");
}
