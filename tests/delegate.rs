//! Delegated role granting (issue 11 items 2 and 3): `jit delegate`, `jit list --delegations`,
//! `jit revoke --delegation`, and the emulator enforcing the condition as Google does, checked
//! with gcloud acting as the delegate.

use serde_json::{Value, json};

use crate::harness;

const DEV: &str = "jit-demo-dev";
const ADMIN: &str = "roles/resourcemanager.projectIamAdmin";

fn writes(emu: &harness::Emulator) -> usize {
    emu.requests().iter().filter(|r| r["path"].as_str().unwrap_or("").ends_with(":setIamPolicy")).count()
}

fn delegations(emu: &harness::Emulator, resource: &str) -> Vec<Value> {
    emu.policy(resource)["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["role"] == ADMIN && b["condition"].is_object())
        .cloned()
        .collect()
}

#[test]
fn delegate_writes_google_s_condition_lists_and_revokes_it() {
    let emu = harness::emulator().start();
    let before = emu.policy(&format!("projects/{DEV}"))["bindings"].clone();
    let out = emu
        .jit(&[
            "delegate",
            "dana@example.com",
            "--roles",
            "roles/logging.viewer,roles/pubsub.viewer",
            "--for",
            "30d",
            "--reason",
            "team lead",
            "--project",
            DEV,
            "--format",
            "json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(out["delegated"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["delegated"][0]["roles"], json!(["roles/logging.viewer", "roles/pubsub.viewer"]));
    assert_eq!(writes(&emu), 1);
    let d = delegations(&emu, &format!("projects/{DEV}"));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["members"], json!(["user:dana@example.com"]));
    assert_eq!(d[0]["condition"]["title"], "jit delegation");
    let expression = d[0]["condition"]["expression"].as_str().unwrap();
    assert!(
        expression.starts_with(
            "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.viewer', \
             'roles/pubsub.viewer']) && request.time < timestamp(\""
        ),
        "{expression}"
    );

    let listed = emu.jit(&["list", "--delegations", "--project", DEV, "--format", "json"]).run().ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["member"], "user:dana@example.com");
    assert_eq!(listed[0]["role"], ADMIN);
    assert_eq!(listed[0]["state"], "active");
    let expires = chrono::DateTime::parse_from_rfc3339(listed[0]["expires"].as_str().unwrap()).unwrap();
    let off = expires.with_timezone(&chrono::Utc) - (chrono::Utc::now() + chrono::Duration::days(30));
    assert!(off.num_seconds().abs() < 120, "30 days from now: {listed}");

    let other = emu
        .jit(&["list", "--delegations", "--member", "erin@example.com", "--project", DEV, "--format", "json"])
        .run()
        .ok();
    assert_eq!(other.json(), json!([]), "--member filters delegates");
    let table = emu.jit(&["list", "--delegations", "--project", DEV, "--format", "table"]).run().ok();
    assert!(table.stdout.starts_with("RESOURCE"), "{}", table.stdout);
    assert!(table.stdout.contains("roles/logging.viewer, roles/pubsub.viewer"), "{}", table.stdout);

    let out = emu
        .jit(&["revoke", "--delegation", "dana@example.com", "--project", DEV, "--format", "json"])
        .run()
        .ok()
        .json();
    assert_eq!(out["removed"].as_array().unwrap().len(), 1);
    assert_eq!(emu.policy(&format!("projects/{DEV}"))["bindings"], before, "every other binding as it was");
    let run = emu
        .jit(&["revoke", "--delegation", "dana@example.com", "--project", DEV, "--format", "table"])
        .run()
        .ok();
    assert_eq!(run.stderr, "Nothing to revoke.\n");
}

#[test]
fn bad_delegations_are_refused_before_anything_is_sent() {
    let emu = harness::emulator().start();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "delegate",
                "dana@example.com",
                "--roles",
                "roles/resourcemanager.projectIamAdmin",
                "--for",
                "1d",
                "--project",
                DEV,
            ],
            "error: role `roles/resourcemanager.projectIamAdmin` would let `user:dana@example.com` give itself more access: it carries `resourcemanager.projects.setIamPolicy`",
        ),
        (
            &[
                "delegate",
                "dana@example.com",
                "--roles",
                "roles/iam.serviceAccountKeyAdmin",
                "--permanent",
                "--project",
                DEV,
            ],
            "error: role `roles/iam.serviceAccountKeyAdmin` would let `user:dana@example.com` give itself more access: it carries `iam.serviceAccountKeys.create`",
        ),
        (
            &["delegate", "dana@example.com", "--roles", "roles/logging.viewer", "--project", DEV],
            "error: a delegation needs an end: --for DURATION or --until TIME, or --permanent",
        ),
        (
            &[
                "delegate",
                "dana@example.com",
                "--roles",
                "roles/logging.veiwer",
                "--for",
                "1d",
                "--project",
                DEV,
            ],
            "error: `roles/logging.veiwer` is not a predefined role; did you mean `roles/logging.viewer`",
        ),
        (
            &[
                "delegate",
                "dana@example.com",
                "--roles",
                "roles/logging.viewer",
                "--for",
                "1d",
                "--bucket",
                "jit-demo-prod-data",
            ],
            "error: `projects/_/buckets/jit-demo-prod-data` cannot hold a delegation: only projects, folders and organizations can",
        ),
        (
            &["delegate", "allUsers", "--roles", "roles/logging.viewer", "--for", "1d", "--project", DEV],
            "error: `allUsers` cannot be granted access with a condition",
        ),
    ];
    for (args, want) in cases {
        let run = emu.jit(args).run().code(2);
        assert!(run.error_line().starts_with(want), "{args:?}: {}", run.stderr);
    }
    assert_eq!(writes(&emu), 0, "nothing was written");
    // A role newer than jit's copy goes through with --no-role-check, with a warning.
    let run = emu
        .jit(&[
            "delegate",
            "dana@example.com",
            "--roles",
            "roles/brandNew.viewer",
            "--for",
            "1d",
            "--no-role-check",
            "--project",
            DEV,
        ])
        .run()
        .ok();
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "warning: role `roles/brandNew.viewer` is not in jit's copy of Google's roles; its permissions were not checked for escalation"
    );
    // The escalating role goes through when asked for explicitly.
    emu.jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        "roles/iam.serviceAccountKeyAdmin",
        "--permanent",
        "--allow-escalation",
        "--project",
        DEV,
    ])
    .run()
    .ok();
    assert_eq!(
        delegations(&emu, &format!("projects/{DEV}")).len(),
        1,
        "the second delegation replaces the first"
    );
}

#[test]
fn long_lists_are_split_and_folders_and_organizations_get_their_roles() {
    let emu = harness::emulator().start();
    let roles: Vec<String> = jit::roles::with_prefix("roles/compute.")
        .filter(|r| jit::roles::escalation_permissions(*r).is_empty())
        .take(12)
        .map(|r| r.name().to_string())
        .collect();
    assert_eq!(roles.len(), 12);
    let run = emu
        .jit(&["delegate", "dana@example.com", "--roles", &roles.join(","), "--for", "7d", "--project", DEV])
        .run()
        .ok();
    assert!(run.stderr.contains("split into 2 bindings"), "{}", run.stderr);
    let d = delegations(&emu, &format!("projects/{DEV}"));
    assert_eq!(
        d.iter().map(|b| b["condition"]["title"].as_str().unwrap()).collect::<Vec<_>>(),
        ["jit delegation 1/2", "jit delegation 2/2"]
    );
    emu.jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        "roles/logging.viewer",
        "--for",
        "7d",
        "--folder",
        "234567890123",
    ])
    .run()
    .ok();
    emu.jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        "roles/logging.viewer",
        "--for",
        "7d",
        "--organization",
        "123456789012",
    ])
    .run()
    .ok();
    let holds = |resource: &str, role: &str| {
        emu.policy(resource)["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["role"] == role && b["condition"].is_object())
    };
    assert!(holds("folders/234567890123", "roles/resourcemanager.folderIamAdmin"));
    assert!(holds("organizations/123456789012", "roles/resourcemanager.organizationAdmin"));
}

/// Issue 11 item 3, checked with gcloud acting as the delegate: after `jit delegate`, dana's
/// `add-iam-policy-binding` of a listed role lands, and of any other role is Google's 403; her
/// reads are not limited, and once the delegation ends even a listed role is refused.
#[test]
fn gcloud_as_the_delegate_grants_only_the_listed_roles() {
    if !harness::gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    emu.jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        "roles/logging.viewer",
        "--for",
        "1h",
        "--project",
        DEV,
    ])
    .run()
    .ok();
    let add = |role: &str| {
        emu.gcloud(
            "dana-token",
            &[
                "projects",
                "add-iam-policy-binding",
                DEV,
                "--member",
                "user:erin@example.com",
                "--role",
                role,
                "--condition=None",
                "--format=json",
            ],
        )
    };
    let landed = add("roles/logging.viewer");
    assert!(landed.status.success(), "{}", String::from_utf8_lossy(&landed.stderr));
    let has = |role: &str| {
        emu.policy(&format!("projects/{DEV}"))["bindings"].as_array().unwrap().iter().any(|b| {
            b["role"] == role && b["members"].as_array().unwrap().iter().any(|m| m == "user:erin@example.com")
        })
    };
    assert!(has("roles/logging.viewer"));
    let before = emu.policy(&format!("projects/{DEV}"));
    let refused = add("roles/storage.admin");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    // gcloud's rendering of Google's 403 PERMISSION_DENIED on setIamPolicy.
    assert!(
        stderr.starts_with(
            "ERROR: (gcloud.projects.add-iam-policy-binding) [None] does not have permission to access projects \
             instance [jit-demo-dev:setIamPolicy] (or it may not exist): The caller does not have permission."
        ),
        "{stderr}"
    );
    assert!(!has("roles/storage.admin"));
    assert_eq!(emu.policy(&format!("projects/{DEV}")), before, "the refused write changed nothing");
    // The 403 as the API sends it (Google's error JSON), for a raw setIamPolicy.
    let mut policy = before.clone();
    policy["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/owner", "members": ["user:dana@example.com"]}));
    let a = emu.request(
        "POST",
        &format!("/v1/projects/{DEV}:setIamPolicy"),
        Some("dana-token"),
        Some(json!({"policy": policy})),
    );
    assert_eq!(a.status, 403, "{}", a.text);
    assert_eq!(a.json()["error"]["status"], "PERMISSION_DENIED");
    // After the end, not even a listed role.
    emu.advance(2 * 3600);
    let late = emu.gcloud(
        "dana-token",
        &[
            "projects",
            "remove-iam-policy-binding",
            DEV,
            "--member",
            "user:erin@example.com",
            "--role",
            "roles/logging.viewer",
            "--condition=None",
        ],
    );
    assert!(!late.status.success(), "{}", String::from_utf8_lossy(&late.stdout));
}

/// A delegate uses jit itself: its grant of a delegated role lands even with another role's
/// expired jit binding on the policy (a grant prunes only the roles it writes, which Google counts
/// as the roles modified), and its grant of another role is Google's 403, exit 3.
#[test]
fn the_delegate_grants_with_jit() {
    let emu = harness::emulator().start();
    emu.jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        "roles/logging.viewer",
        "--for",
        "1d",
        "--project",
        DEV,
    ])
    .run()
    .ok();
    let resource = format!("projects/{DEV}");
    let mut p = emu.policy(&resource);
    p["bindings"].as_array_mut().unwrap().push(json!({
        "role": "roles/pubsub.viewer", "members": ["user:old@example.com"],
        "condition": {"title": "jit until 2020-01-01T00:00:00Z", "expression": "request.time < timestamp(\"2020-01-01T00:00:00Z\")"}
    }));
    emu.set_policy(&resource, p);
    let out = emu
        .jit_as(
            "dana-token",
            &[
                "grant",
                "roles/logging.viewer",
                "--member",
                "erin@example.com",
                "--for",
                "1h",
                "--project",
                DEV,
                "--format",
                "json",
            ],
        )
        .run()
        .ok()
        .json();
    assert_eq!(out["granted"][0]["member"], "user:erin@example.com");
    assert_eq!(out["granted"][0]["grantedBy"], "user:dana@example.com");
    assert!(emu.policy_text(&resource).contains("user:old@example.com"), "another role's binding stays");
    let run = emu
        .jit_as(
            "dana-token",
            &["grant", "roles/storage.admin", "--member", "erin@example.com", "--project", DEV],
        )
        .run()
        .code(3);
    assert_eq!(
        run.error_line(),
        "error: permission denied on `projects/jit-demo-dev`: Permission 'resourcemanager.projects.setIamPolicy' \
         denied on resource '//cloudresourcemanager.googleapis.com/projects/jit-demo-dev' (or it may not exist)."
    );
    // The hint says why a delegate who holds the permission is refused it.
    assert_eq!(
        run.stderr.lines().nth(1).unwrap_or_default(),
        "  hint: ask for `resourcemanager.projects.setIamPolicy` on `projects/jit-demo-dev`; a delegate may change \
         only the roles delegated to it, and Google also answers 403 when the resource does not exist"
    );
}

/// Offline, on a saved policy: the resource's kind (named by its flag) decides the granting role;
/// without one, a usage error.
#[test]
fn a_delegation_on_a_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("folder.json");
    std::fs::write(&file, r#"{"bindings": [{"role": "roles/resourcemanager.folderViewer", "members": ["group:sre@example.com"]}], "etag": "BwYA"}"#).unwrap();
    let f = file.to_str().unwrap();
    let run = crate::support::jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        "roles/logging.viewer",
        "--permanent",
        "--policy-file",
        f,
        "--folder",
        "234567890123",
    ])
    .run()
    .ok();
    let policy: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(policy["version"], 3);
    assert_eq!(policy["etag"], "BwYA");
    assert_eq!(policy["bindings"][0]["role"], "roles/resourcemanager.folderViewer");
    assert_eq!(policy["bindings"][1]["role"], "roles/resourcemanager.folderIamAdmin");
    assert_eq!(
        policy["bindings"][1]["condition"]["expression"],
        "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.viewer'])"
    );
    let run = crate::support::jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        "roles/logging.viewer",
        "--permanent",
        "--policy-file",
        f,
    ])
    .run()
    .code(2);
    assert_eq!(run.error_line(), "error: with --policy-file, name the resource the policy belongs to");
}

/// Issue 19 item 14: a role carrying many escalating permissions is refused naming a few and how
/// many more, on one short line, not every one of them (14 KB for some roles).
#[test]
fn an_escalation_refusal_names_a_few_permissions_and_how_many_more() {
    let emu = harness::emulator().start();
    let run = emu
        .jit(&[
            "delegate",
            "dana@example.com",
            "--roles",
            "roles/iam.securityAdmin",
            "--for",
            "1d",
            "--project",
            DEV,
        ])
        .run()
        .code(2);
    let line = run.error_line();
    assert!(
        line.starts_with(
            "error: role `roles/iam.securityAdmin` would let `user:dana@example.com` give itself more access: it carries `"
        ),
        "{line}"
    );
    assert!(line.ends_with(" more (`jit roles show roles/iam.securityAdmin` lists them)"), "{line}");
    assert!(line.len() < 400, "{} characters: {line}", line.len());
}
