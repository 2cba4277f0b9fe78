//! Issue 10 end to end: the real `jit` binary against the emulator's Cloud Asset Inventory.
//! `list --recursive` through the search on every kind, the fallback to the walk (permission
//! missing, API disabled) in one line, `--via walk`, the quota project, a page that fails
//! mid-search, `list --at`, and `cleanup --recursive` using the search only as an index: a stale
//! index (the emulator's index lag) never removes access that was extended after it.

use std::collections::BTreeSet;

use chrono::{Duration, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::harness::{self, Emulator};

const ORG: &str = "123456789012";

/// Alice holds Cloud Asset Viewer on the demo organization (organizationAdmin does not carry
/// `cloudasset.assets.searchAllIamPolicies`).
fn with_asset_viewer(emu: &Emulator) {
    let name = format!("organizations/{ORG}");
    let mut org = emu.policy(&name);
    let bindings = org["bindings"].as_array_mut().unwrap();
    let viewer = json!({"role": "roles/cloudasset.viewer", "members": ["user:alice@example.com"]});
    if bindings.contains(&viewer) {
        return;
    }
    bindings.push(viewer);
    emu.set_policy(&name, json!({"bindings": org["bindings"], "etag": org["etag"]}));
}

/// Takes Cloud Asset Viewer on the organization away from alice (the demo seed gives it to her).
fn without_asset_viewer(emu: &Emulator) {
    let name = format!("organizations/{ORG}");
    let mut org = emu.policy(&name);
    org["bindings"].as_array_mut().unwrap().retain(|b| b["role"] != "roles/cloudasset.viewer");
    emu.set_policy(&name, json!({"bindings": org["bindings"], "etag": org["etag"]}));
}

/// (resource, member, role) of each listed row.
fn rows(v: &Value) -> BTreeSet<(String, String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["resource"].as_str().unwrap().to_string(),
                r["member"].as_str().unwrap().to_string(),
                r["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    items.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
}

/// The API calls the emulator saw, as `METHOD path`.
fn calls(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/v") || p.starts_with("/storage/")))
        .map(|r| format!("{} {}", r["method"].as_str().unwrap(), r["path"].as_str().unwrap()))
        .collect()
}

/// Grants bob a role until `until` on a resource named by `flags`.
fn grant(emu: &Emulator, role: &str, flags: &[&str], how: &[&str]) {
    let mut args = vec!["grant", role, "--member", "bob@example.com", "--yes"];
    args.extend_from_slice(how);
    args.extend_from_slice(flags);
    emu.jit(&args).run().ok();
}

const PROD_KEY: &str = "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db";
const RUN: &str = "projects/jit-demo-prod/locations/europe-west1/services/api";

/// Time-bound grants on a project, a bucket, a secret, a KMS key and a Run service.
fn grants_everywhere(emu: &Emulator) {
    grant(emu, "roles/logging.viewer", &["--project", "jit-demo-dev"], &["--for", "2h"]);
    grant(emu, "roles/storage.objectViewer", &["--bucket", "jit-demo-prod-data"], &["--for", "2h"]);
    grant(
        emu,
        "roles/secretmanager.secretAccessor",
        &["--secret", "projects/jit-demo-prod/secrets/db-password"],
        &["--for", "2h"],
    );
    grant(emu, "roles/cloudkms.cryptoKeyDecrypter", &["--kms-key", PROD_KEY], &["--for", "2h"]);
    grant(emu, "roles/run.invoker", &["--run-service", RUN], &["--for", "2h"]);
}

fn everywhere() -> BTreeSet<(String, String, String)> {
    set(&[
        ("projects/jit-demo-dev", "user:bob@example.com", "roles/logging.viewer"),
        ("projects/_/buckets/jit-demo-prod-data", "user:bob@example.com", "roles/storage.objectViewer"),
        (
            "projects/jit-demo-prod/secrets/db-password",
            "user:bob@example.com",
            "roles/secretmanager.secretAccessor",
        ),
        (PROD_KEY, "user:bob@example.com", "roles/cloudkms.cryptoKeyDecrypter"),
        (RUN, "user:bob@example.com", "roles/run.invoker"),
    ])
}

#[test]
fn list_recursive_searches_every_kind_in_pages_of_500_and_reads_no_policy() {
    let emu = harness::emulator().start();
    with_asset_viewer(&emu);
    grants_everywhere(&emu);
    emu.request("DELETE", "/_emulator/requests", None, None);
    let run = emu.jit(&["list", "--organization", ORG, "--recursive", "--format", "json"]).run().ok();
    assert_eq!(run.stderr, "");
    // Every project by ID (issue 19 item 6): jit-demo-prod's from its key ring's name, so its
    // secret (named by number in the search) shows the ID; jit-demo-dev, which no result below
    // it names, from one projects.get of its number.
    assert_eq!(rows(&run.json()), everywhere());
    assert_eq!(
        calls(&emu),
        [format!("GET /v1/organizations/{ORG}:searchAllIamPolicies"), "GET /v3/projects/100000000002".into()]
    );
    let query = emu.requests()[0]["query"].as_str().unwrap().to_string();
    assert_eq!(
        query,
        "alt=json&assetTypes=cloudresourcemanager.googleapis.com%2FProject\
         &assetTypes=cloudresourcemanager.googleapis.com%2FFolder\
         &assetTypes=cloudresourcemanager.googleapis.com%2FOrganization&assetTypes=storage.googleapis.com%2FBucket\
         &assetTypes=secretmanager.googleapis.com%2FSecret&assetTypes=iam.googleapis.com%2FServiceAccount\
         &assetTypes=cloudkms.googleapis.com%2FKeyRing&assetTypes=cloudkms.googleapis.com%2FCryptoKey\
         &assetTypes=run.googleapis.com%2FService&pageSize=500"
    );
    // --all adds carol's expired binding on jit-demo-prod, named by ID.
    let all =
        emu.jit(&["list", "--organization", ORG, "--recursive", "--all", "--format", "json"]).run().ok();
    assert!(rows(&all.json()).contains(&(
        "projects/jit-demo-prod".to_string(),
        "user:carol@example.com".to_string(),
        "roles/bigquery.dataViewer".to_string()
    )));
    // A project scope: only what is in it.
    let dev = emu.jit(&["list", "--project", "jit-demo-dev", "--recursive", "--format", "json"]).run().ok();
    assert_eq!(
        rows(&dev.json()),
        set(&[("projects/jit-demo-dev", "user:bob@example.com", "roles/logging.viewer")])
    );
}

#[test]
fn without_the_permission_or_the_api_jit_says_so_in_one_line_and_walks() {
    let emu = harness::emulator().start();
    grants_everywhere(&emu);
    let walked = set(&[("projects/jit-demo-dev", "user:bob@example.com", "roles/logging.viewer")]);
    // Alice without the permission on the organization.
    without_asset_viewer(&emu);
    let run = emu.jit(&["list", "--organization", ORG, "--recursive", "--format", "json"]).run().ok();
    assert_eq!(
        run.stderr,
        format!(
            "note: Cloud Asset Inventory's search is not available (permission denied on `organizations/{ORG}`: \
             Request denied by Cloud IAM.); it needs `cloudasset.assets.searchAllIamPolicies` on the scope \
             (roles/cloudasset.viewer) and the Cloud Asset API (cloudasset.googleapis.com) enabled in the quota \
             project; walking the hierarchy instead\n"
        )
    );
    assert_eq!(rows(&run.json()), walked, "the walk reaches projects, folders and the organization only");
    // The API disabled: the same, with Google's reason.
    with_asset_viewer(&emu);
    emu.asset_index(json!({"apiEnabled": false}));
    let run = emu
        .jit(&[
            "--billing-project",
            "jit-demo-prod",
            "list",
            "--organization",
            ORG,
            "--recursive",
            "--format",
            "json",
        ])
        .run()
        .ok();
    assert!(
        run.stderr.starts_with(
            "note: Cloud Asset Inventory's search is not available (permission denied on `organizations/123456789012`: \
             Cloud Asset API has not been used in project 100000000001 before or it is disabled."
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
    assert_eq!(rows(&run.json()), walked);
    // --quiet drops the note, not the answer.
    let run = emu.jit(&["-q", "list", "--organization", ORG, "--recursive", "--format", "json"]).run().ok();
    assert_eq!((run.stderr.as_str(), rows(&run.json())), ("", walked.clone()));
    // --via walk never asks the search.
    emu.asset_index(json!({"apiEnabled": true}));
    emu.request("DELETE", "/_emulator/requests", None, None);
    let run = emu
        .jit(&["list", "--organization", ORG, "--recursive", "--via", "walk", "--format", "json"])
        .run()
        .ok();
    assert_eq!((run.stderr.as_str(), rows(&run.json())), ("", walked));
    assert!(calls(&emu).iter().all(|c| !c.contains("searchAllIamPolicies")), "{:?}", calls(&emu));
}

#[test]
fn the_quota_project_goes_in_x_goog_user_project() {
    let emu = harness::emulator().start();
    with_asset_viewer(&emu);
    let user_projects = |emu: &Emulator| -> Vec<Value> {
        emu.requests()
            .iter()
            .filter(|r| r["path"].as_str().unwrap().ends_with(":searchAllIamPolicies"))
            .map(|r| r["userProject"].clone())
            .collect()
    };
    emu.jit(&["list", "--organization", ORG, "--recursive"]).run().ok();
    emu.jit(&["list", "--organization", ORG, "--recursive"])
        .env("CLOUDSDK_BILLING_QUOTA_PROJECT", "jit-demo-dev")
        .run()
        .ok();
    emu.jit(&["--billing-project", "jit-demo-prod", "list", "--organization", ORG, "--recursive"])
        .env("CLOUDSDK_BILLING_QUOTA_PROJECT", "jit-demo-dev")
        .run()
        .ok();
    emu.jit(&["list", "--organization", ORG, "--recursive"])
        .env("CLOUDSDK_BILLING_QUOTA_PROJECT", "LEGACY")
        .run()
        .ok();
    assert_eq!(
        user_projects(&emu),
        [Value::Null, json!("jit-demo-dev"), json!("jit-demo-prod"), Value::Null]
    );
    // An ADC file's quota_project_id (google-cloud-auth sends it); the flag wins over it.
    let adc = json!({
        "type": "authorized_user", "client_id": "jit-test.apps.googleusercontent.com", "client_secret": "not-a-secret",
        "refresh_token": "alice-refresh-token", "token_uri": format!("{}/token", emu.url),
        "quota_project_id": "jit-demo-dev"
    });
    let adc_file = emu.file("adc-quota.json", &adc.to_string());
    emu.request("DELETE", "/_emulator/requests", None, None);
    for flag in [&[][..], &["--billing-project", "jit-demo-prod"][..]] {
        let mut args = vec!["--endpoint", emu.url.as_str()];
        args.extend_from_slice(flag);
        args.extend_from_slice(&["list", "--organization", ORG, "--recursive"]);
        crate::support::jit(&args).env("GOOGLE_APPLICATION_CREDENTIALS", &adc_file).run().ok();
    }
    assert_eq!(user_projects(&emu), [json!("jit-demo-dev"), json!("jit-demo-prod")]);
    let bad =
        emu.jit(&["--billing-project", "Not A Project", "list", "--organization", ORG, "--recursive"]).run();
    assert_eq!((bad.code, bad.error_line()), (2, "error: `Not A Project` is not a project ID or number"));
}

#[test]
fn a_429_mid_search_is_waited_out_and_a_page_that_keeps_failing_is_an_error_naming_the_scope() {
    // 620 projects with a time-bound binding each: two pages.
    let mut projects = vec![];
    let mut policies = serde_json::Map::new();
    let cond = json!({"expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")", "title": "jit"});
    for i in 0..620 {
        let id = format!("p-{i:04}-asset");
        projects.push(json!({"projectId": id, "projectNumber": format!("{}", 500_000_000_000u64 + i), "parent": format!("organizations/{ORG}")}));
        policies.insert(
            format!("projects/{id}"),
            json!({"bindings": [{"role": "roles/logging.viewer", "members": ["user:bob@example.com"], "condition": cond}], "version": 3}),
        );
    }
    policies.insert(
        format!("organizations/{ORG}"),
        json!({"bindings": [{"role": "roles/cloudasset.viewer", "members": ["user:alice@example.com"]}]}),
    );
    let seed = json!({
        "organizations": [{"name": format!("organizations/{ORG}"), "displayName": "example.com"}],
        "projects": projects,
        "policies": policies,
        "tokens": [{"token": "alice-token", "principal": "user:alice@example.com"}],
    });
    let emu = harness::emulator().seed(seed).start();
    emu.faults(json!({"errorNext": 1, "errorStatus": 429, "retryAfterSeconds": 1}));
    let run = emu.jit(&["list", "--organization", ORG, "--recursive", "--format", "json"]).run().ok();
    assert_eq!(run.json().as_array().unwrap().len(), 620, "the 429 was waited out, nothing lost");
    let searches = emu
        .requests()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with(":searchAllIamPolicies"))
        .count();
    assert_eq!(searches, 3, "one 429, then two pages");

    // The second page fails on every try: what the first held is shown, the error names the
    // scope, exit 4.
    emu.request("DELETE", "/_emulator/requests", None, None);
    // The first page through, then every search page fails (the emulator counts the calls: no
    // race with jit).
    emu.faults(json!({
        "errorSkip": 1, "errorNext": 100, "errorStatus": 503, "retryAfterSeconds": 0,
        "errorPath": ":searchAllIamPolicies",
    }));
    let run = emu
        .jit(&["--retry-attempts", "2", "list", "--organization", ORG, "--recursive", "--format", "json"])
        .run()
        .code(4);
    // The first page: the organization (no time-bound binding) and 499 projects.
    assert_eq!(run.json().as_array().unwrap().len(), 499, "the first page's rows");
    let line = run.stderr.lines().next().unwrap();
    let head = format!(
        "error: organizations/{ORG}: `organizations/{ORG}`: HTTP 503: The service is currently unavailable. (gave up \
         after 2 tries in "
    );
    let tail = format!(
        "; budget 2 tries, 60s; Google asked to wait 0s) (the search of `organizations/{ORG}` stopped after 1 \
         page(s); what they held is shown). Google's API is busy or failing; try again later."
    );
    assert!(line.starts_with(&head) && line.ends_with(&tail), "{line}");
}

#[test]
fn list_at_an_instant_shows_who_holds_access_then() {
    let emu = harness::emulator().start();
    // jit reads the wall clock: times are relative to it.
    let now = Utc::now().trunc_subsecs(0);
    let time =
        |minutes: i64| (now + Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    grant(
        &emu,
        "roles/logging.viewer",
        &["--project", "jit-demo-dev"],
        &["--start", &time(60), "--for", "1h"],
    );
    let at = |t: &str| {
        let run = emu.jit(&["list", "--project", "jit-demo-dev", "--at", t, "--format", "json"]).run().ok();
        rows(&run.json())
    };
    let bob = set(&[("projects/jit-demo-dev", "user:bob@example.com", "roles/logging.viewer")]);
    assert_eq!(at(&time(90)), bob);
    assert_eq!(at(&time(30)), set(&[]), "not yet");
    assert_eq!(at(&time(120)), set(&[]), "the end is exclusive: request.time < end");
    // Without --at the scheduled grant is listed (it is not expired).
    let run = emu.jit(&["list", "--project", "jit-demo-dev", "--format", "json"]).run().ok();
    assert_eq!(run.json()[0]["state"], "scheduled");
    // The past is refused (issue 19 item 8): carol's hand-written grant that ended 2024-03-01
    // would read as held on 2024-02-29 whenever it was written, and grants removed since would
    // be missing; the audit logs know, and the hint says how to ask them.
    let run = emu.jit(&["list", "--project", "jit-demo-prod", "--at", "2024-02-29T12:00:00Z"]).run().code(2);
    assert_eq!(
        run.error_line(),
        "error: `--at 2024-02-29T12:00:00Z` is in the past: a policy says who holds access now and later, not who \
         held it then"
    );
    assert!(
        run.stderr
            .contains("hint: `jit history --since 400d` (audit logs keep no more) lists what was granted"),
        "{}",
        run.stderr
    );
    let run = emu.jit(&["list", "--project", "jit-demo-dev", "--at", &time(-3 * 24 * 60)]).run().code(2);
    assert!(run.stderr.contains("hint: `jit history --since 3d` lists"), "{}", run.stderr);
    // A time typed as now, a few seconds late, is now.
    emu.jit(&["list", "--project", "jit-demo-dev", "--at", &time(0)]).run().ok();
    let bad = emu.jit(&["list", "--project", "jit-demo-dev", "--at", "tomorrow"]).run();
    assert_eq!((bad.code, bad.error_line()), (2, "error: `tomorrow` is not a time"));
    let bad = emu.jit(&["list", "--project", "jit-demo-dev", "--at", &time(0), "--all"]).run();
    assert_eq!(bad.code, 2, "--at and --all contradict each other");
}

/// Adds a binding for bob on `resource` that ends at `end`, through the API as alice.
fn bob_until(emu: &Emulator, resource: &str, role: &str, end: &str) {
    let mut p = emu.policy(resource);
    let bindings = p["bindings"].as_array_mut().unwrap();
    bindings.retain(|b| !(b["role"] == role && b["members"] == json!(["user:bob@example.com"])));
    bindings.push(json!({
        "role": role, "members": ["user:bob@example.com"],
        "condition": {"expression": format!("request.time < timestamp(\"{end}\")"), "title": "jit"}
    }));
    let policy = json!({"bindings": p["bindings"], "etag": p["etag"], "version": 3});
    match resource.strip_prefix("projects/_/buckets/") {
        // Storage's own shape: the policy itself is the body of a PUT.
        Some(bucket) => {
            let a =
                emu.request("PUT", &format!("/storage/v1/b/{bucket}/iam"), Some("alice-token"), Some(policy));
            assert_eq!(a.status, 200, "{}", a.text);
        }
        None => emu.set_policy(resource, policy),
    }
}

#[test]
fn cleanup_reads_and_writes_only_what_the_index_points_at_and_a_stale_index_removes_no_live_access() {
    let emu = harness::emulator().start();
    with_asset_viewer(&emu);
    let now = Utc::now().trunc_subsecs(0);
    let time =
        |minutes: i64| (now + Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Two grants of bob's that ended an hour ago, on a project and on a bucket.
    bob_until(&emu, "projects/jit-demo-dev", "roles/logging.viewer", &time(-60));
    bob_until(&emu, "projects/_/buckets/jit-demo-prod-data", "roles/storage.objectViewer", &time(-60));
    // The index lags half an hour; the emulator's clock moves an hour on, so the index holds the
    // state just written.
    emu.asset_index(json!({"lagSeconds": 1800}));
    emu.advance(3600);
    // Bob's project grant is extended now, after the state the index holds.
    bob_until(&emu, "projects/jit-demo-dev", "roles/logging.viewer", &time(120));
    let indexed = emu
        .jit(&["list", "--organization", ORG, "--recursive", "--all", "--format", "json"])
        .run()
        .ok()
        .json();
    let dev = indexed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "projects/jit-demo-dev")
        .unwrap()
        .clone();
    assert_eq!(dev["state"], "expired", "the index is stale: {dev}");
    emu.request("DELETE", "/_emulator/requests", None, None);

    let report =
        emu.jit(&["cleanup", "--organization", ORG, "--recursive", "--format", "json"]).run().ok().json();
    // One search; reads of the three candidates only; writes only where the fresh read found
    // something (the stale project was read, never written).
    let mut calls = calls(&emu);
    calls.sort();
    assert_eq!(
        calls,
        [
            "GET /storage/v1/b/jit-demo-prod-data/iam".to_string(),
            format!("GET /v1/organizations/{ORG}:searchAllIamPolicies"),
            "GET /v3/projects/100000000001".to_string(),
            "GET /v3/projects/100000000002".to_string(),
            "POST /v3/projects/jit-demo-dev:getIamPolicy".to_string(),
            "POST /v3/projects/jit-demo-prod:getIamPolicy".to_string(),
            "POST /v3/projects/jit-demo-prod:setIamPolicy".to_string(),
            "PUT /storage/v1/b/jit-demo-prod-data/iam".to_string(),
        ]
    );
    // Carol's 2024 grant on jit-demo-prod and bob's bucket grant go; bob's extended project grant
    // stays: the fresh read of jit-demo-dev decided.
    let removed: BTreeSet<(String, String)> = report["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["resource"].as_str().unwrap().to_string(), r["member"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        removed,
        [
            ("projects/_/buckets/jit-demo-prod-data".to_string(), "user:bob@example.com".to_string()),
            // No result below jit-demo-prod names its ID (no key ring, secret or service has a
            // policy here): its number is resolved through Resource Manager.
            ("projects/jit-demo-prod".to_string(), "user:carol@example.com".to_string()),
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(
        emu.permissions("bob-token", "projects/jit-demo-dev", &["logging.logEntries.list"]),
        ["logging.logEntries.list"],
        "bob's extended access is live"
    );
    let live = emu.stored("projects/jit-demo-dev");
    assert!(
        live.bindings.iter().any(|b| b.role == "roles/logging.viewer"
            && b.condition.as_ref().is_some_and(|c| c.expression.contains(&time(120)))),
        "{live:?}"
    );
    assert_eq!(report["resources"], 6, "every resource the search returned was examined");
}

/// The resources of `v`'s rows (a list or an audit report) that are projects or below one.
fn project_names(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["resource"].as_str())
        .filter(|r| {
            r.starts_with("projects/") && !r.starts_with("projects/_/") && !r.starts_with("projects/-/")
        })
        .map(str::to_string)
        .collect()
}

/// Issue 19 item 6: one name per project. The search names projects and secrets by number, the
/// walk by ID; every report shows the ID, in tables and JSON, whichever way it read, and
/// `--project NUMBER` and `--project projects/ID` name the same project as `--project ID`.
#[test]
fn every_report_names_a_project_by_its_id() {
    let emu = harness::emulator().start();
    with_asset_viewer(&emu);
    grant(&emu, "roles/logging.viewer", &["--project", "jit-demo-dev"], &["--for", "2h"]);
    grant(&emu, "roles/logging.viewer", &["--project", "jit-demo-prod"], &["--for", "2h"]);
    grant(
        &emu,
        "roles/secretmanager.secretAccessor",
        &["--secret", "db-password", "--project", "jit-demo-prod"],
        &["--for", "2h"],
    );
    let scope = ["--organization", ORG, "--recursive", "--all"];
    let listed = |how: &[&str], format: &str| {
        let mut args = vec!["list"];
        args.extend_from_slice(&scope);
        args.extend_from_slice(how);
        args.extend_from_slice(&["--format", format]);
        emu.jit(&args).env("COLUMNS", "200").run().ok()
    };
    let searched = listed(&[], "json");
    let walked = listed(&["--via", "walk"], "json");
    let want: BTreeSet<String> =
        ["projects/jit-demo-dev", "projects/jit-demo-prod", "projects/jit-demo-prod/secrets/db-password"]
            .map(String::from)
            .into();
    assert_eq!(project_names(&searched.json()), want);
    // The walk cannot reach the secret; the projects it names the same way.
    assert_eq!(
        project_names(&walked.json()),
        want.iter().filter(|r| !r.contains("/secrets/")).cloned().collect()
    );
    for how in [&[][..], &["--via", "walk"]] {
        let table = listed(how, "table").stdout;
        assert!(table.contains("projects/jit-demo-dev"), "{table}");
        assert!(!table.contains("projects/1000"), "a project by number in a table:\n{table}");
    }
    // The audit: the same projects by the same names, through the search and the walk.
    let audited = |how: &[&str]| {
        let mut args = vec!["audit", "--organization", ORG, "--recursive", "--format", "json"];
        args.extend_from_slice(how);
        project_names(&emu.jit(&args).run().code(1).json())
    };
    let (through_search, through_walk) = (audited(&[]), audited(&["--via", "walk"]));
    assert!(through_search.contains("projects/jit-demo-prod"), "{through_search:?}");
    assert_eq!(through_search, through_walk);

    // A project given by number, or as `projects/ID`, is the project by ID; both with the ID are
    // one scope.
    let dev = BTreeSet::from(["projects/jit-demo-dev".to_string()]);
    for given in [
        &["--project", "100000000002"][..],
        &["--project", "projects/jit-demo-dev"],
        &["--project", "100000000002", "--project", "jit-demo-dev"],
    ] {
        let mut args = vec!["list", "--format", "json"];
        args.extend_from_slice(given);
        let run = emu.jit(&args).run().ok();
        assert_eq!(project_names(&run.json()), dev, "{given:?}");
        assert_eq!(run.json().as_array().unwrap().len(), 1, "one row, not one per name: {given:?}");
    }
    // A grant by number lands on the project and reports its ID; a bare secret in a project given
    // by number too.
    let run = emu
        .jit(&[
            "grant",
            "roles/pubsub.viewer",
            "--member",
            "bob@example.com",
            "--for",
            "1h",
            "--project",
            "100000000002",
            "--yes",
            "--format",
            "json",
        ])
        .run()
        .ok();
    assert!(run.stdout.contains("\"projects/jit-demo-dev\""), "{}", run.stdout);
    assert!(emu.policy_text("projects/jit-demo-dev").contains("roles/pubsub.viewer"));
    let run = emu
        .jit(&["list", "--secret", "db-password", "--project", "100000000001", "--format", "json"])
        .run()
        .ok();
    assert_eq!(
        project_names(&run.json()),
        BTreeSet::from(["projects/jit-demo-prod/secrets/db-password".to_string()])
    );
}

/// The demo seed and `count` more projects under the organization (`{prefix}-0001`, …, numbered
/// from `first`), each with an expired grant of bob's.
fn with_projects(prefix: &str, count: usize, first: u64) -> Value {
    let ids: Vec<String> = (1..=count).map(|i| format!("{prefix}-{i:04}")).collect();
    let resources: Vec<String> = ids.iter().map(|id| format!("projects/{id}")).collect();
    let grants: Vec<_> = resources
        .iter()
        .map(|r| (r.as_str(), "roles/logging.viewer", "user:bob@example.com", None))
        .collect();
    let mut seed = harness::demo_seed_with_expired(&grants);
    for (number, id) in (first..).zip(&ids) {
        seed["projects"].as_array_mut().unwrap().push(json!({
            "projectId": id, "projectNumber": number.to_string(), "parent": format!("organizations/{ORG}"),
        }));
    }
    seed
}

/// Many numbers are resolved with one `projects.search`, not a `projects.get` each; a caller who
/// may search the organization but see no project gets the numbers, and no error.
#[test]
fn many_project_numbers_take_one_projects_search_and_an_unresolved_one_stays_a_number() {
    // Ten more projects under the organization, each with an expired grant of bob's.
    let seed = with_projects("jit-many", 10, 100_000_000_101);
    let emu = harness::emulator().seed(seed).start();
    with_asset_viewer(&emu);
    emu.request("DELETE", "/_emulator/requests", None, None);
    let run =
        emu.jit(&["list", "--organization", ORG, "--recursive", "--all", "--format", "json"]).run().ok();
    let names = project_names(&run.json());
    assert_eq!(names.len(), 11, "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with("projects/1000")), "{names:?}");
    assert_eq!(
        calls(&emu),
        [format!("GET /v1/organizations/{ORG}:searchAllIamPolicies"), "GET /v3/projects:search".to_string()]
    );
    // Bob may search the organization, and see no project.
    let mut org = emu.policy(&format!("organizations/{ORG}"));
    org["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/cloudasset.viewer", "members": ["user:bob@example.com"]}));
    emu.set_policy(
        &format!("organizations/{ORG}"),
        json!({"bindings": org["bindings"], "etag": org["etag"]}),
    );
    let run = emu
        .jit_as("bob-token", &["list", "--organization", ORG, "--recursive", "--all", "--format", "json"])
        .run()
        .ok();
    assert_eq!(run.stderr, "");
    let names = project_names(&run.json());
    assert!(names.contains("projects/100000000101"), "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("projects/1000")), "{names:?}");
}

/// A search of more than one page resolves the numbers of its first page while the next is read,
/// and goes on from where Resource Manager's search stopped for the rest: every project by ID,
/// each projects.search page read once.
#[test]
fn a_search_of_many_pages_names_every_project_by_id() {
    let n = 1100;
    let seed = with_projects("jit-page", n, 200_000_000_000);
    let emu = harness::emulator().seed(seed).start();
    with_asset_viewer(&emu);
    emu.request("DELETE", "/_emulator/requests", None, None);
    let run =
        emu.jit(&["list", "--organization", ORG, "--recursive", "--all", "--format", "json"]).run().ok();
    let names = project_names(&run.json());
    assert_eq!(names.len(), n + 1, "every seeded project and jit-demo-prod's carol");
    assert!(names.iter().all(|n| !n.starts_with("projects/2000000") && !n.starts_with("projects/1000")));
    let calls = calls(&emu);
    let count = |what: &str| calls.iter().filter(|c| c.ends_with(what)).count();
    assert_eq!(count(":searchAllIamPolicies"), 3, "{calls:?}");
    // 1,102 projects at 1,000 a page: two pages, each read once (the second from the first's
    // token), and no projects.get.
    let searches: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r["path"] == "/v3/projects:search")
        .map(|r| r["query"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(searches.len(), 2, "{searches:?}");
    assert!(searches[1].contains("pageToken="), "{searches:?}");
    assert!(!calls.iter().any(|c| c.starts_with("GET /v3/projects/")), "{calls:?}");
}
