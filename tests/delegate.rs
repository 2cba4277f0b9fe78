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
    assert_eq!(delegations(&emu, &format!("projects/{DEV}")).len(), 1);
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
