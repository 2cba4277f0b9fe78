//! The installed Google Cloud CLI against the emulator: a real Google client that none of us wrote
//! must behave as it does against Google. Skipped, with a printed notice, where gcloud is absent.

use std::process::Output;

use serde_json::{Value, json};

use crate::harness::{self, Emulator, gcloud_available};

const ALICE: &str = "alice-token";
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

fn has_binding(policy: &Value, role: &str, member: &str, conditional: bool) -> bool {
    policy["bindings"].as_array().into_iter().flatten().any(|b| {
        b["role"] == role
            && b["members"].as_array().is_some_and(|m| m.iter().any(|x| x == member))
            && b.get("condition").is_some() == conditional
    })
}

/// gcloud's command group and resource argument for each kind of resource, and the emulator's
/// name for it.
struct Target {
    group: &'static [&'static str],
    id: &'static str,
    name: &'static str,
    /// The API path gcloud calls (the v1/v2 surface).
    path: &'static str,
}

const PROJECT: Target = Target {
    group: &["projects"],
    id: "jit-demo-prod",
    name: "projects/jit-demo-prod",
    path: "/v1/projects/jit-demo-prod:setIamPolicy",
};
const FOLDER: Target = Target {
    group: &["resource-manager", "folders"],
    id: "234567890123",
    name: "folders/234567890123",
    path: "/v2/folders/234567890123:setIamPolicy",
};
const ORGANIZATION: Target = Target {
    group: &["organizations"],
    id: "123456789012",
    name: "organizations/123456789012",
    path: "/v1/organizations/123456789012:setIamPolicy",
};

fn run(emu: &Emulator, t: &Target, verb: &str, rest: &[&str]) -> Output {
    let mut args: Vec<&str> = t.group.to_vec();
    args.push(verb);
    args.push(t.id);
    args.extend_from_slice(rest);
    emu.gcloud(ALICE, &args)
}

/// get / add (with and without a condition) / remove / set, as gcloud does them.
fn policy_round_trip(t: &Target) {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    // set-iam-policy with the file get-iam-policy wrote.
    let read = json_out(run(&emu, t, "get-iam-policy", &["--format=json"]));
    assert!(read["etag"].as_str().is_some_and(|e| !e.is_empty()), "{read}");
    let file = emu.dir().join("policy.json");
    let mut edited = read.clone();
    edited["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/browser", "members": ["user:dave@example.com"]}));
    std::fs::write(&file, edited.to_string()).unwrap();
    ok(run(&emu, t, "set-iam-policy", &[file.to_str().unwrap(), "--format=json"]));
    assert!(has_binding(&emu.policy(t.name), "roles/browser", "user:dave@example.com", false));

    let member = "user:bob@example.com";
    ok(run(
        &emu,
        t,
        "add-iam-policy-binding",
        &["--member", member, "--role", "roles/logging.viewer", "--condition=None", "--format=json"],
    ));
    assert!(has_binding(&emu.policy(t.name), "roles/logging.viewer", member, false));

    let out = json_out(run(
        &emu,
        t,
        "add-iam-policy-binding",
        &["--member", member, "--role", "roles/storage.admin", "--condition", COND, "--format=json"],
    ));
    // gcloud prints the policy the server answered: version 3 with the condition.
    assert_eq!(out["version"], 3, "{out}");
    assert!(has_binding(&out, "roles/storage.admin", member, true), "{out}");
    let stored = emu.policy(t.name);
    assert_eq!(stored["version"], 3);
    assert!(has_binding(&stored, "roles/storage.admin", member, true), "{stored}");

    ok(run(
        &emu,
        t,
        "remove-iam-policy-binding",
        &["--member", member, "--role", "roles/storage.admin", "--all", "--format=json"],
    ));
    ok(run(
        &emu,
        t,
        "remove-iam-policy-binding",
        &["--member", member, "--role", "roles/logging.viewer", "--condition=None", "--format=json"],
    ));
    let stored = emu.policy(t.name);
    assert!(!has_binding(&stored, "roles/storage.admin", member, true), "{stored}");
    assert!(!has_binding(&stored, "roles/logging.viewer", member, false), "{stored}");
    assert!(has_binding(&stored, "roles/browser", "user:dave@example.com", false), "{stored}");

    // What gcloud sent: version 3 and the etag it read, on the v1/v2 surface.
    let sets: Vec<Value> = emu.requests().into_iter().filter(|r| r["path"] == t.path).collect();
    assert!(sets.len() >= 5, "{sets:?}");
    assert!(sets.iter().all(|r| r["status"] == 200 && r["body"]["policy"]["version"] == 3), "{sets:?}");
    assert!(sets.iter().all(|r| r["body"]["policy"]["etag"].is_string()), "{sets:?}");
}

#[test]
fn gcloud_edits_a_project_policy() {
    policy_round_trip(&PROJECT);
}

#[test]
fn gcloud_edits_a_folder_policy() {
    policy_round_trip(&FOLDER);
}

#[test]
fn gcloud_edits_an_organization_policy() {
    policy_round_trip(&ORGANIZATION);
}

#[test]
fn a_basic_role_with_a_condition_is_refused_by_gcloud_and_by_the_server() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    // gcloud refuses on its own, before any write.
    let out = run(
        &emu,
        &PROJECT,
        "add-iam-policy-binding",
        &["--member", "user:bob@example.com", "--role", "roles/owner", "--condition", COND],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Binding with a condition and a basic role is not allowed"),
        "{}",
        stderr(&out)
    );
    assert!(emu.requests().iter().all(|r| !r["path"].as_str().unwrap().ends_with(":setIamPolicy")));

    // set-iam-policy sends it as written; the server answers 400 INVALID_ARGUMENT.
    let mut policy = emu.policy("projects/jit-demo-prod");
    policy["bindings"].as_array_mut().unwrap().push(json!({
        "role": "roles/editor", "members": ["user:bob@example.com"],
        "condition": {"expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")", "title": "t"}
    }));
    let file = emu.dir().join("basic.json");
    std::fs::write(&file, policy.to_string()).unwrap();
    let out = run(&emu, &PROJECT, "set-iam-policy", &[file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("INVALID_ARGUMENT"), "{}", stderr(&out));
    assert!(stderr(&out).contains("basic role roles/editor"), "{}", stderr(&out));
}

#[test]
fn a_stale_etag_is_reported_by_gcloud_as_googles_409() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    let file = emu.dir().join("stale.json");
    let out = ok(run(&emu, &FOLDER, "get-iam-policy", &["--format=json"]));
    std::fs::write(&file, &out.stdout).unwrap();
    // Someone else writes in between.
    let mut current = emu.policy("folders/234567890123");
    current["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/browser", "members": ["user:erin@example.com"]}));
    let a = emu.request(
        "POST",
        "/v2/folders/234567890123:setIamPolicy",
        Some(ALICE),
        Some(json!({ "policy": current })),
    );
    assert_eq!(a.status, 200, "{}", a.text);
    let out = run(&emu, &FOLDER, "set-iam-policy", &[file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("is the subject of a conflict"), "{err}");
    assert!(
        err.contains("There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff."),
        "{err}"
    );
    let conflict = emu.requests().into_iter().find(|r| r["status"] == 409).expect("a 409 was answered");
    assert_eq!(conflict["path"], "/v2/folders/234567890123:setIamPolicy");
    // The stale write did not overwrite the one made in between.
    assert!(has_binding(
        &emu.policy("folders/234567890123"),
        "roles/browser",
        "user:erin@example.com",
        false
    ));

    // add-iam-policy-binding does not repeat its read-modify-write on 409 either: one set, reported.
    emu.faults(json!({"conflictNext": 1}));
    let out = run(
        &emu,
        &PROJECT,
        "add-iam-policy-binding",
        &["--member=user:bob@example.com", "--role=roles/browser", "--condition=None"],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is the subject of a conflict"), "{}", stderr(&out));
    let sets =
        emu.requests().into_iter().filter(|r| r["path"] == "/v1/projects/jit-demo-prod:setIamPolicy").count();
    assert_eq!(sets, 1);
}

#[test]
fn gcloud_sends_the_etag_back_url_safe_and_it_is_accepted() {
    if !gcloud_available() {
        return;
    }
    // An etag whose standard base64 holds `+` and `/`.
    let mut seed: Value = serde_json::from_str(jit_emulator::DEMO_SEED).unwrap();
    seed["policies"]["projects/jit-demo-dev"]["etag"] = json!("BwY+RpZ/Nr8=");
    let emu = harness::emulator().seed(seed).start();
    let read = json_out(emu.gcloud(ALICE, &["projects", "get-iam-policy", "jit-demo-dev", "--format=json"]));
    assert_eq!(read["etag"], "BwY-RpZ_Nr8=", "gcloud shows the etag URL-safe");
    ok(emu.gcloud(
        ALICE,
        &[
            "projects",
            "add-iam-policy-binding",
            "jit-demo-dev",
            "--member=user:bob@example.com",
            "--role=roles/logging.viewer",
            "--condition=None",
        ],
    ));
    let set =
        emu.requests().into_iter().find(|r| r["path"] == "/v1/projects/jit-demo-dev:setIamPolicy").unwrap();
    assert_eq!(set["body"]["policy"]["etag"], "BwY-RpZ_Nr8=");
    assert_eq!(set["status"], 200);
    assert!(has_binding(
        &emu.policy("projects/jit-demo-dev"),
        "roles/logging.viewer",
        "user:bob@example.com",
        false
    ));
}

#[test]
fn gcloud_reads_at_version_3_and_a_version_1_read_shows_withcond_roles() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    // gcloud always asks for version 3 and sees the conditions.
    let read = json_out(emu.gcloud(ALICE, &["projects", "get-iam-policy", "jit-demo-prod", "--format=json"]));
    assert_eq!(read["version"], 3);
    assert!(has_binding(&read, "roles/bigquery.dataViewer", "user:carol@example.com", true));
    let get =
        emu.requests().into_iter().find(|r| r["path"] == "/v1/projects/jit-demo-prod:getIamPolicy").unwrap();
    assert_eq!(get["body"], json!({"options": {"requestedPolicyVersion": 3}}));
    assert_eq!(get["query"], "alt=json");
    // A version-1 read on the same surface (as older clients make it) hides conditions.
    for body in [json!({"options": {"requestedPolicyVersion": 1}}), json!({})] {
        let a =
            emu.request("POST", "/v1/projects/jit-demo-prod:getIamPolicy?alt=json", Some(ALICE), Some(body));
        let p = a.json();
        assert_eq!(p["version"], 1);
        let roles: Vec<&str> =
            p["bindings"].as_array().unwrap().iter().map(|b| b["role"].as_str().unwrap()).collect();
        assert!(roles.iter().any(|r| r.starts_with("roles/bigquery.dataViewer_withcond_")), "{roles:?}");
        assert!(p["bindings"].as_array().unwrap().iter().all(|b| b.get("condition").is_none()));
    }
    // gcloud writes such a view back as it is; the server refuses the `_withcond_` role.
    let a =
        emu.request("POST", "/v1/projects/jit-demo-prod:getIamPolicy?alt=json", Some(ALICE), Some(json!({})));
    let file = emu.dir().join("v1.json");
    std::fs::write(&file, &a.text).unwrap();
    let out = emu.gcloud(ALICE, &["projects", "set-iam-policy", "jit-demo-prod", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("INVALID_ARGUMENT"), "{}", stderr(&out));
}

#[test]
fn gcloud_describes_and_lists_projects_folders_and_organizations() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    let p = json_out(emu.gcloud(ALICE, &["projects", "describe", "jit-demo-prod", "--format=json"]));
    assert_eq!(p["projectNumber"], "100000000001");
    assert_eq!(p["lifecycleState"], "ACTIVE");
    assert_eq!(p["parent"], json!({"type": "folder", "id": "234567890123"}));
    let list = json_out(emu.gcloud(ALICE, &["projects", "list", "--format=json"]));
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["projectId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["jit-demo-prod", "jit-demo-dev"]);
    // Bob may see neither project.
    let list = json_out(emu.gcloud("bob-token", &["projects", "list", "--format=json"]));
    assert_eq!(list, json!([]));
    // An unknown project: Google's 403 "(or it may not exist)".
    let out = emu.gcloud(ALICE, &["projects", "describe", "no-such-project"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("(or it may not exist)"), "{}", stderr(&out));
    let folders = json_out(emu.gcloud(
        ALICE,
        &["resource-manager", "folders", "list", "--organization=123456789012", "--format=json"],
    ));
    assert_eq!(folders[0]["displayName"], "Production");
    let org = json_out(emu.gcloud(ALICE, &["organizations", "describe", "123456789012", "--format=json"]));
    assert_eq!(org["displayName"], "example.com");
}
