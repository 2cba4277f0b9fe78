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
