//! The emulator's Cloud Audit Logs (issue 11 item 5): every successful `setIamPolicy`, on every
//! kind, leaves an Admin Activity entry, and `POST /v2/entries:list` serves them with the part of
//! the Logging query language jit and `gcloud logging read` send. Checked with gcloud itself.

use std::process::Output;

use serde_json::{Value, json};

use crate::harness::{self, Emulator, gcloud_available};

const ALICE: &str = "alice-token";
const ACTIVITY: &str = "cloudaudit.googleapis.com%2Factivity";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn ok(o: Output) -> Output {
    assert!(o.status.success(), "gcloud failed\nstdout:\n{}\nstderr:\n{}", text(&o.stdout), text(&o.stderr));
    o
}

/// `entries:list` as `token` with `body`.
#[track_caller]
fn list(emu: &Emulator, token: &str, body: Value) -> harness::Answer {
    emu.request("POST", "/v2/entries:list", Some(token), Some(body))
}

fn entries(v: &Value) -> Vec<Value> {
    v["entries"].as_array().cloned().unwrap_or_default()
}

/// Alice grants bob a role with a condition on `projects/jit-demo-prod` through the API.
fn grant_on_prod(emu: &Emulator, role: &str, until: &str) {
    let mut policy = emu.policy("projects/jit-demo-prod");
    policy["bindings"].as_array_mut().unwrap().push(json!({
        "role": role,
        "members": ["user:bob@example.com"],
        "condition": {
            "expression": format!("request.time < timestamp(\"{until}\")"),
            "title": format!("jit until {until}"),
        },
    }));
    policy["version"] = json!(3);
    emu.set_policy("projects/jit-demo-prod", policy);
}

#[test]
fn every_set_iam_policy_writes_an_admin_activity_entry_with_its_delta() {
    let emu = harness::emulator().clock("2026-11-25T12:00:00Z", true).start();
    grant_on_prod(&emu, "roles/logging.viewer", "2026-11-25T14:00:00Z");
    let got = list(&emu, ALICE, json!({"resourceNames": ["projects/jit-demo-prod"]}));
    assert_eq!(got.status, 200, "{}", got.text);
    let all = entries(&got.json());
    assert_eq!(all.len(), 1, "{all:?}");
    let e = &all[0];
    assert_eq!(e["logName"], format!("projects/jit-demo-prod/logs/{ACTIVITY}"));
    assert_eq!(e["resource"], json!({"type": "project", "labels": {"project_id": "jit-demo-prod"}}));
    assert_eq!(e["timestamp"], "2026-11-25T12:00:00.000000Z");
    assert_eq!(e["severity"], "NOTICE");
    let p = &e["protoPayload"];
    assert_eq!(p["@type"], "type.googleapis.com/google.cloud.audit.AuditLog");
    assert_eq!(p["serviceName"], "cloudresourcemanager.googleapis.com");
    assert_eq!(p["methodName"], "SetIamPolicy");
    assert_eq!(p["resourceName"], "projects/jit-demo-prod");
    assert_eq!(p["authenticationInfo"], json!({"principalEmail": "alice@example.com"}));
    assert_eq!(p["authorizationInfo"][0]["permission"], "resourcemanager.projects.setIamPolicy");
    assert_eq!(
        p["serviceData"],
        json!({
            "@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
            "policyDelta": {"bindingDeltas": [{
                "action": "ADD",
                "role": "roles/logging.viewer",
                "member": "user:bob@example.com",
                "condition": {
                    "expression": "request.time < timestamp(\"2026-11-25T14:00:00Z\")",
                    "title": "jit until 2026-11-25T14:00:00Z",
                },
            }]},
        })
    );
    // A refused write (stale etag) leaves nothing.
    let stale = emu.request(
        "POST",
        "/v3/projects/jit-demo-prod:setIamPolicy",
        Some(ALICE),
        Some(json!({"policy": {"etag": "BwAAAAAAAAE=", "bindings": []}})),
    );
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert_eq!(
        entries(&list(&emu, ALICE, json!({"resourceNames": ["projects/jit-demo-prod"]})).json()).len(),
        1
    );
}

#[test]
fn each_kind_names_its_service_method_and_resource() {
    let emu = harness::emulator().clock("2026-11-25T12:00:00Z", true).start();
    let member = json!({"role": "roles/viewer", "members": ["user:bob@example.com"]});
    // Alice may read the organization's and folder's logs once she is a Logs Viewer there.
    let mut org = emu.policy("organizations/123456789012");
    org["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/logging.viewer", "members": ["user:alice@example.com"]}));
    let writes: [(&str, &str, Value); 5] = [
        ("POST", "/v2/folders/234567890123:setIamPolicy", json!({"policy": {"bindings": [member]}})),
        ("POST", "/v1/organizations/123456789012:setIamPolicy", json!({"policy": org})),
        (
            "PUT",
            "/storage/v1/b/jit-demo-prod-data/iam",
            json!({"bindings": [{"role": "roles/storage.objectViewer", "members": ["user:bob@example.com"]}]}),
        ),
        (
            "POST",
            "/v1/projects/jit-demo-prod/secrets/db-password:setIamPolicy",
            json!({"policy": {"bindings": [{"role": "roles/secretmanager.secretAccessor", "members": ["user:bob@example.com"]}]}}),
        ),
        (
            "POST",
            "/v1/projects/jit-demo-prod/locations/europe-west1/services/api:setIamPolicy",
            json!({"policy": {"bindings": [{"role": "roles/run.invoker", "members": ["user:bob@example.com"]}]}}),
        ),
    ];
    for (method, path, body) in writes {
        let a = emu.request(method, path, Some(ALICE), Some(body));
        assert_eq!(a.status, 200, "{path}: {}", a.text);
    }
    let summary = |names: Value| -> Vec<(String, String, String, String, String)> {
        let got = list(&emu, ALICE, json!({"resourceNames": names}));
        assert_eq!(got.status, 200, "{}", got.text);
        entries(&got.json())
            .iter()
            .map(|e| {
                let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
                (
                    s(&e["logName"]),
                    s(&e["resource"]["type"]),
                    s(&e["protoPayload"]["serviceName"]),
                    s(&e["protoPayload"]["methodName"]),
                    s(&e["protoPayload"]["resourceName"]),
                )
            })
            .collect()
    };
    let row = |log: &str, ty: &str, service: &str, method: &str, name: &str| {
        (
            format!("{log}/logs/{ACTIVITY}"),
            ty.into(),
            format!("{service}.googleapis.com"),
            method.into(),
            name.into(),
        )
    };
    assert_eq!(
        summary(json!(["folders/234567890123", "organizations/123456789012"])),
        vec![
            row(
                "folders/234567890123",
                "folder",
                "cloudresourcemanager",
                "SetIamPolicy",
                "folders/234567890123"
            ),
            row(
                "organizations/123456789012",
                "organization",
                "cloudresourcemanager",
                "SetIamPolicy",
                "organizations/123456789012"
            ),
        ]
    );
    // Resources below a project log into the project's Admin Activity log; the project is named
    // by number here, as Logging takes it.
    let number = emu.state()["projects"][0]["projectNumber"].as_str().unwrap().to_string();
    assert_eq!(
        summary(json!([format!("projects/{number}")])),
        vec![
            row(
                "projects/jit-demo-prod",
                "gcs_bucket",
                "storage",
                "storage.setIamPermissions",
                "projects/_/buckets/jit-demo-prod-data"
            ),
            row(
                "projects/jit-demo-prod",
                "audited_resource",
                "secretmanager",
                "google.cloud.secretmanager.v1.SecretManagerService.SetIamPolicy",
                &format!("projects/{number}/secrets/db-password"),
            ),
            row(
                "projects/jit-demo-prod",
                "cloud_run_revision",
                "run",
                "google.cloud.run.v1.Services.SetIamPolicy",
                "projects/jit-demo-prod/locations/europe-west1/services/api",
            ),
        ]
    );
}

#[test]
fn entries_list_pages_orders_and_filters() {
    let emu = harness::emulator().clock("2026-11-25T12:00:00Z", true).start();
    for (i, role) in ["roles/logging.viewer", "roles/storage.admin", "roles/pubsub.viewer"].iter().enumerate()
    {
        grant_on_prod(&emu, role, &format!("2026-11-25T1{}:00:00Z", 4 + i));
        emu.advance(60);
    }
    let roles = |v: &Value| -> Vec<String> {
        entries(v)
            .iter()
            .map(|e| {
                e["protoPayload"]["serviceData"]["policyDelta"]["bindingDeltas"][0]["role"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let base = json!({"resourceNames": ["projects/jit-demo-prod"]});
    // Oldest first by default; newest first on request.
    assert_eq!(
        roles(&list(&emu, ALICE, base.clone()).json()),
        ["roles/logging.viewer", "roles/storage.admin", "roles/pubsub.viewer"]
    );
    let desc =
        json!({"resourceNames": ["projects/jit-demo-prod"], "orderBy": "timestamp desc", "pageSize": 2});
    let first = list(&emu, ALICE, desc.clone()).json();
    assert_eq!(roles(&first), ["roles/pubsub.viewer", "roles/storage.admin"]);
    let token = first["nextPageToken"].as_str().expect("a next page").to_string();
    let mut second_req = desc.clone();
    second_req["pageToken"] = json!(token);
    let second = list(&emu, ALICE, second_req).json();
    assert_eq!(roles(&second), ["roles/logging.viewer"]);
    assert_eq!(second.get("nextPageToken"), None);
    // Filters: time, method, a repeated field, NOT, OR.
    let filtered = |filter: &str| -> Vec<String> {
        let a = list(&emu, ALICE, json!({"resourceNames": ["projects/jit-demo-prod"], "filter": filter}));
        assert_eq!(a.status, 200, "{filter}: {}", a.text);
        roles(&a.json())
    };
    assert_eq!(
        filtered(r#"timestamp>="2026-11-25T12:01:00Z""#),
        ["roles/storage.admin", "roles/pubsub.viewer"]
    );
    assert_eq!(
        filtered(&format!(
            r#"logName="projects/jit-demo-prod/logs/{ACTIVITY}" AND protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/storage.admin""#
        )),
        ["roles/storage.admin"]
    );
    assert_eq!(
        filtered(
            r#"NOT protoPayload.serviceData.policyDelta.bindingDeltas.role=("roles/storage.admin" OR "roles/pubsub.viewer")"#
        ),
        ["roles/logging.viewer"]
    );
    assert_eq!(filtered(r#"protoPayload.methodName="GetIamPolicy""#), Vec::<String>::new());
    // An empty answer is `{}`.
    assert_eq!(list(&emu, ALICE, json!({"resourceNames": ["projects/jit-demo-dev"]})).json(), json!({}));
    // The pages of a query are cut from its first answer while the log is unchanged; a new entry
    // is seen at once, and a reset goes back to the seed's log.
    grant_on_prod(&emu, "roles/monitoring.viewer", "2026-11-25T18:00:00Z");
    assert_eq!(
        roles(&list(&emu, ALICE, desc.clone()).json()),
        ["roles/monitoring.viewer", "roles/pubsub.viewer"]
    );
    emu.reset();
    assert_eq!(list(&emu, ALICE, desc).json(), json!({}));
    // `prettyPrint=false`: the same answer, compact.
    grant_on_prod(&emu, "roles/monitoring.viewer", "2026-11-25T18:00:00Z");
    let pretty = list(&emu, ALICE, base.clone());
    let compact = emu.request("POST", "/v2/entries:list?prettyPrint=false", Some(ALICE), Some(base.clone()));
    assert_eq!(compact.json(), pretty.json());
    assert!(!compact.text.contains('\n') || compact.text.trim_end().lines().count() == 1, "{}", compact.text);
    assert!(pretty.text.lines().count() > 10);
    // The compact page is joined from the entries' stored texts: the same as serde's, with a
    // token, and with nothing at all.
    grant_on_prod(&emu, "roles/pubsub.viewer", "2026-11-25T19:00:00Z");
    let mut one = base.clone();
    one["pageSize"] = json!(1);
    let pretty = list(&emu, ALICE, one.clone());
    let compact = emu.request("POST", "/v2/entries:list?prettyPrint=false", Some(ALICE), Some(one));
    assert!(pretty.json()["nextPageToken"].is_string(), "{}", pretty.text);
    assert_eq!(compact.json(), pretty.json());
    let mut none = base;
    none["filter"] = json!("protoPayload.methodName=\"NoSuchMethod\"");
    let compact = emu.request("POST", "/v2/entries:list?prettyPrint=false", Some(ALICE), Some(none));
    assert_eq!(compact.text, "{}\n");
}

#[test]
fn what_the_emulator_cannot_read_is_a_400_and_a_stranger_a_403() {
    let emu = harness::emulator().start();
    for (body, message) in [
        (
            json!({"resourceNames": ["projects/jit-demo-prod"], "filter": "robot"}),
            "Unparseable filter: global restrictions",
        ),
        (
            json!({"resourceNames": ["projects/jit-demo-prod"], "filter": "protoPayload.methodName=~\"Set\""}),
            "Unparseable filter: regular expressions",
        ),
        (
            json!({"resourceNames": ["projects/jit-demo-prod"], "filter": "timestamp>=\"last week\""}),
            "Unparseable filter: `last week` is not an RFC 3339 timestamp",
        ),
        (json!({"resourceNames": ["projects/jit-demo-prod"], "orderBy": "severity"}), "Invalid order_by"),
        (json!({"resourceNames": ["projects/jit-demo-prod"], "pageSize": -1}), "Invalid page_size: -1"),
        (json!({"resourceNames": ["projects/jit-demo-prod"], "pageToken": "nope"}), "Invalid page token."),
        (json!({"resourceNames": ["buckets/x"]}), "Invalid resource name: \"buckets/x\""),
        (json!({}), "resource_names is required."),
    ] {
        let a = list(&emu, ALICE, body.clone());
        assert_eq!(a.status, 400, "{body}: {}", a.text);
        assert_eq!(a.json()["error"]["status"], "INVALID_ARGUMENT");
        let got = a.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(got.starts_with(message), "{body}: {got}");
    }
    // Bob holds nothing on the project: IAM's 403, which names the permission only.
    let a = list(&emu, "bob-token", json!({"resourceNames": ["projects/jit-demo-prod"]}));
    assert_eq!(a.status, 403, "{}", a.text);
    assert_eq!(
        a.json()["error"]["message"],
        "Permission 'logging.logEntries.list' denied on resource (or it may not exist)."
    );
    // Alice, an owner of the project, may; a project that does not exist is a 403 too.
    assert_eq!(list(&emu, ALICE, json!({"resourceNames": ["projects/jit-demo-prod"]})).status, 200);
    assert_eq!(list(&emu, ALICE, json!({"resourceNames": ["projects/no-such-project"]})).status, 403);
}

#[test]
fn gcloud_logging_read_sees_a_grant_made_with_gcloud() {
    if !gcloud_available() {
        return;
    }
    // The wall clock: gcloud adds `timestamp>=` (now − --freshness) to a filter without one.
    let emu = harness::emulator().start();
    ok(emu.gcloud(
        ALICE,
        &[
            "projects",
            "add-iam-policy-binding",
            "jit-demo-prod",
            "--member=user:bob@example.com",
            "--role=roles/logging.viewer",
            "--condition=expression=request.time < timestamp(\"2099-01-01T00:00:00Z\"),title=jit until 2099-01-01T00:00:00Z",
            "--format=json",
        ],
    ));
    let out = ok(emu.gcloud(
        ALICE,
        &[
            "logging",
            "read",
            r#"protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.bindingDeltas.action="ADD""#,
            "--project=jit-demo-prod",
            "--format=json",
        ],
    ));
    let read: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let read = read.as_array().expect("a list").clone();
    assert_eq!(read.len(), 1, "{read:?}");
    assert_eq!(read[0]["protoPayload"]["authenticationInfo"]["principalEmail"], "alice@example.com");
    assert_eq!(
        read[0]["protoPayload"]["serviceData"]["policyDelta"]["bindingDeltas"],
        json!([{
            "action": "ADD",
            "role": "roles/logging.viewer",
            "member": "user:bob@example.com",
            "condition": {
                "expression": "request.time < timestamp(\"2099-01-01T00:00:00Z\")",
                "title": "jit until 2099-01-01T00:00:00Z",
            },
        }])
    );
    // What gcloud 528 sent: its filter behind a freshness bound, newest first, pages of 1,000.
    let sent = emu
        .requests()
        .into_iter()
        .find(|r| r["path"] == "/v2/entries:list")
        .expect("gcloud called entries:list");
    assert_eq!(sent["method"], "POST");
    assert_eq!(sent["body"]["resourceNames"], json!(["projects/jit-demo-prod"]));
    assert_eq!(sent["body"]["orderBy"], "timestamp desc");
    assert_eq!(sent["body"]["pageSize"], 1000);
    let filter = sent["body"]["filter"].as_str().unwrap();
    assert!(
        filter.starts_with("timestamp>=\"") && filter.ends_with("bindingDeltas.action=\"ADD\""),
        "{filter}"
    );

    // A filter the emulator cannot read fails gcloud with the 400's message.
    let bad = emu.gcloud(ALICE, &["logging", "read", "robot", "--project=jit-demo-prod", "--format=json"]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("Unparseable filter: global restrictions"), "{}", text(&bad.stderr));
}
