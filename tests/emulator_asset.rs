//! Cloud Asset Inventory's `searchAllIamPolicies` in the emulator (issue 10, item 5): gcloud's
//! `asset search-all-iam-policies` against it, Google's response shape, paging and its cap, the
//! permission check on the scope, `assetTypes`, the query the emulator refuses, the index lag and
//! the faults.

use std::process::Output;

use serde_json::{Value, json};

use crate::harness::{self, Emulator, gcloud_available};

const ALICE: &str = "alice-token";
const ORG: &str = "organizations/123456789012";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[track_caller]
fn json_out(o: Output) -> Value {
    assert!(
        o.status.success(),
        "gcloud failed\nstdout:\n{}\nstderr:\n{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&o)))
}

/// Alice, the demo organization's admin, may search it once she holds Cloud Asset Viewer there
/// (organizationAdmin does not carry `cloudasset.assets.searchAllIamPolicies`).
fn with_asset_viewer(emu: &Emulator) {
    let mut org = emu.policy(ORG);
    let bindings = org["bindings"].as_array_mut().unwrap();
    let viewer = json!({"role": "roles/cloudasset.viewer", "members": ["user:alice@example.com"]});
    if bindings.contains(&viewer) {
        return;
    }
    bindings.push(viewer);
    emu.set_policy(ORG, json!({"bindings": org["bindings"], "etag": org["etag"]}));
}

fn search(emu: &Emulator, token: &str, scope: &str, query: &str) -> harness::Answer {
    emu.request("GET", &format!("/v1/{scope}:searchAllIamPolicies?{query}"), Some(token), None)
}

fn resources(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["resource"].as_str().unwrap().to_string())
        .collect()
}

/// Every policy of the demo organization, as Cloud Asset Inventory names its resources.
const DEMO_RESOURCES: [&str; 6] = [
    "//cloudresourcemanager.googleapis.com/folders/234567890123",
    "//cloudresourcemanager.googleapis.com/organizations/123456789012",
    "//cloudresourcemanager.googleapis.com/projects/100000000001",
    "//cloudresourcemanager.googleapis.com/projects/100000000002",
    "//storage.googleapis.com/jit-demo-prod-data",
    "//storage.googleapis.com/jit-demo-prod-legacy",
];

#[test]
fn gcloud_searches_the_organization_and_pages_through_it() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    with_asset_viewer(&emu);
    let out = json_out(emu.gcloud(
        ALICE,
        &["asset", "search-all-iam-policies", "--scope", ORG, "--page-size", "2", "--format", "json"],
    ));
    let names: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["resource"].as_str().unwrap()).collect();
    assert_eq!(names, DEMO_RESOURCES);
    let prod = out.as_array().unwrap().iter().find(|r| r["resource"] == DEMO_RESOURCES[2]).unwrap();
    assert_eq!(prod["assetType"], "cloudresourcemanager.googleapis.com/Project");
    assert_eq!(prod["project"], "projects/100000000001");
    assert_eq!(prod["folders"], json!(["folders/234567890123"]));
    assert_eq!(prod["organization"], ORG);
    assert_eq!(
        prod["policy"]["bindings"][0],
        json!({"role": "roles/bigquery.dataViewer", "members": ["user:carol@example.com"],
               "condition": {"expression": "request.time < timestamp(\"2024-03-01T00:00:00Z\")",
                             "title": "incident-4711", "description": "granted by hand for INC-4711"}})
    );
    // Three pages of two, each a GET on the scope with the page size gcloud was given.
    let calls: Vec<Value> = emu
        .requests()
        .into_iter()
        .filter(|r| r["path"] == format!("/v1/{ORG}:searchAllIamPolicies"))
        .collect();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(
        calls.iter().all(|c| c["method"] == "GET" && c["query"].as_str().unwrap().contains("pageSize=2"))
    );
    assert!(calls[1]["query"].as_str().unwrap().contains("pageToken="));

    // Asset types: only the buckets.
    let out = json_out(emu.gcloud(
        ALICE,
        &[
            "asset",
            "search-all-iam-policies",
            "--scope",
            ORG,
            "--asset-types",
            "storage.googleapis.com/Bucket",
            "--format",
            "json",
        ],
    ));
    let names: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["resource"].as_str().unwrap()).collect();
    assert_eq!(names, &DEMO_RESOURCES[4..]);
    assert_eq!(out[0]["assetType"], "storage.googleapis.com/Bucket");
    assert_eq!(out[0]["project"], "projects/100000000001");
    let last = emu.requests().pop().unwrap();
    assert_eq!(
        last["query"].as_str().unwrap(),
        "alt=json&assetTypes=storage.googleapis.com%2FBucket&pageSize=20",
        "what gcloud 528 sends"
    );

    // Without the permission: gcloud shows Google's 403.
    let o = emu.gcloud("bob-token", &["asset", "search-all-iam-policies", "--scope", ORG]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Request denied by Cloud IAM."), "{err}");
}

#[test]
fn the_scope_needs_the_permission_and_unknown_scopes_answer_alike() {
    let emu = harness::emulator().start();
    // Bob has no role on the organization that carries the permission (alice holds Cloud Asset
    // Viewer there in the demo seed).
    let denied = search(&emu, "bob-token", ORG, "");
    assert_eq!(denied.status, 403);
    assert_eq!(denied.json()["error"]["message"], "Request denied by Cloud IAM.");
    assert_eq!(denied.json()["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(
        denied.json()["error"]["details"][0]["metadata"]["permission"],
        "cloudasset.assets.searchAllIamPolicies"
    );
    let unknown = search(&emu, ALICE, "projects/no-such-project", "");
    assert_eq!(
        (unknown.status, unknown.json()["error"]["message"].clone()),
        (403, json!("Request denied by Cloud IAM."))
    );
    // A project by ID or by number: its own policy and those of its buckets.
    for scope in ["projects/jit-demo-prod", "projects/100000000001"] {
        let a = search(&emu, ALICE, scope, "");
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(resources(&a.json()), [DEMO_RESOURCES[2], DEMO_RESOURCES[4], DEMO_RESOURCES[5]]);
    }
    // The folder holds itself and the project below it.
    with_asset_viewer(&emu);
    let a = search(&emu, ALICE, "folders/234567890123", "");
    assert_eq!(
        resources(&a.json()),
        [DEMO_RESOURCES[0], DEMO_RESOURCES[2], DEMO_RESOURCES[4], DEMO_RESOURCES[5]]
    );
}

#[test]
fn pages_are_capped_at_500_and_default_to_100() {
    let mut projects = vec![];
    let mut policies = serde_json::Map::new();
    for i in 0..620 {
        let id = format!("p-{i:04}-asset");
        projects.push(
            json!({"projectId": id, "projectNumber": format!("{}", 500_000_000_000u64 + i), "parent": ORG}),
        );
        policies.insert(
            format!("projects/{id}"),
            json!({"bindings": [{"role": "roles/viewer", "members": ["user:bob@example.com"]}]}),
        );
    }
    policies.insert(
        ORG.into(),
        json!({"bindings": [{"role": "roles/cloudasset.viewer", "members": ["user:alice@example.com"]}]}),
    );
    let seed = json!({
        "organizations": [{"name": ORG, "displayName": "example.com"}],
        "projects": projects,
        "policies": policies,
        "tokens": [{"token": ALICE, "principal": "user:alice@example.com"}],
    });
    let emu = harness::emulator().seed(seed).start();
    let first = search(&emu, ALICE, ORG, "pageSize=1000").json();
    assert_eq!(first["results"].as_array().unwrap().len(), 500);
    let token = first["nextPageToken"].as_str().unwrap().to_string();
    let second = search(&emu, ALICE, ORG, &format!("pageSize=1000&pageToken={token}")).json();
    assert_eq!(second["results"].as_array().unwrap().len(), 121);
    assert_eq!(second.get("nextPageToken"), None);
    let mut all = resources(&first);
    all.extend(resources(&second));
    all.dedup();
    assert_eq!(all.len(), 621, "no resource twice, none left out");
    for q in ["", "pageSize=0", "pageSize=-3"] {
        assert_eq!(search(&emu, ALICE, ORG, q).json()["results"].as_array().unwrap().len(), 100, "{q}");
    }
    // A token from another request's parameters is refused.
    let other = search(
        &emu,
        ALICE,
        ORG,
        &format!("assetTypes=cloudresourcemanager.googleapis.com/Project&pageToken={token}"),
    );
    assert_eq!(
        (other.status, other.json()["error"]["message"].clone()),
        (400, json!(format!("Invalid page token: {token}")))
    );
    let bad = search(&emu, ALICE, ORG, "pageSize=ten");
    assert_eq!(bad.json()["error"]["message"], "Invalid value at 'page_size' (TYPE_INT32), \"ten\"");
}

#[test]
fn a_query_or_an_order_the_emulator_cannot_evaluate_is_refused() {
    let emu = harness::emulator().start();
    let a = search(&emu, ALICE, "projects/jit-demo-prod", "query=policy%3Abob%40example.com");
    assert_eq!(a.status, 400);
    assert_eq!(
        a.json()["error"]["message"],
        "The emulator does not implement the query language of searchAllIamPolicies; it serves only an empty query \
         (every policy), not `policy:bob@example.com`."
    );
    let a = search(&emu, ALICE, "projects/jit-demo-prod", "orderBy=resource");
    assert_eq!(a.status, 400);
    let a = search(&emu, ALICE, "projects/jit-demo-prod", "assetTypes=compute.googleapis.com%2FInstance");
    assert_eq!(a.status, 400);
    assert!(a.json()["error"]["message"].as_str().unwrap().starts_with(
        "Asset type `compute.googleapis.com/Instance` does not match any supported asset type."
    ));
    // A whole-match regular expression.
    let a = search(&emu, ALICE, "projects/jit-demo-prod", "assetTypes=.*Bucket");
    assert_eq!(resources(&a.json()), [DEMO_RESOURCES[4], DEMO_RESOURCES[5]]);
}

#[test]
fn the_index_lags_the_policies_by_the_set_time() {
    let emu = harness::emulator().clock("2026-12-01T10:00:00Z", true).start();
    emu.asset_index(json!({"lagSeconds": 600}));
    let scope = "projects/jit-demo-dev";
    let before = search(&emu, ALICE, scope, "").json();
    let mut p = emu.policy(scope);
    p["bindings"].as_array_mut().unwrap().push(json!({
        "role": "roles/logging.viewer", "members": ["user:bob@example.com"],
        "condition": {"expression": "request.time < timestamp(\"2026-12-01T12:00:00Z\")", "title": "jit"}
    }));
    emu.set_policy(scope, json!({"bindings": p["bindings"], "etag": p["etag"], "version": 3}));
    // Ten minutes behind: the search still shows the policy as it was.
    assert_eq!(search(&emu, ALICE, scope, "").json(), before);
    emu.advance(599);
    assert_eq!(search(&emu, ALICE, scope, "").json(), before);
    emu.advance(1);
    let after = search(&emu, ALICE, scope, "").json();
    assert_eq!(after["results"][0]["policy"]["bindings"].as_array().unwrap().len(), 3);
    // A reset goes back to the seed, index included.
    emu.reset();
    assert_eq!(search(&emu, ALICE, scope, "").json(), before);
    // The lag is bounded, and readable back.
    let a = emu.request("POST", "/_emulator/asset", None, Some(json!({"lagSeconds": 4_000_000})));
    assert_eq!(
        (a.status, a.json()["error"]["message"].clone()),
        (400, json!("asset: `lagSeconds` must be at most 3024000 (35 days), not 4000000"))
    );
    assert_eq!(
        emu.request("GET", "/_emulator/asset", None, None).json(),
        json!({"lagSeconds": 600, "apiEnabled": true})
    );
}

#[test]
fn faults_and_a_disabled_api_apply_to_the_search() {
    let emu = harness::emulator().start();
    emu.faults(json!({"errorNext": 1, "errorStatus": 429, "retryAfterSeconds": 2}));
    let a = search(&emu, ALICE, "projects/jit-demo-prod", "");
    assert_eq!((a.status, a.header("retry-after")), (429, Some("2")));
    assert_eq!(search(&emu, ALICE, "projects/jit-demo-prod", "").status, 200);
    emu.asset_index(json!({"apiEnabled": false}));
    let a = emu.request("GET", "/v1/projects/jit-demo-prod:searchAllIamPolicies", Some(ALICE), None);
    assert_eq!(a.status, 403);
    assert_eq!(a.json()["error"]["details"][0]["reason"], "SERVICE_DISABLED");
}
