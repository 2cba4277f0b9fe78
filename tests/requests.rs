//! Requests and approvals through Privileged Access Manager (issue 21): `jit entitlements`,
//! `request`, `requests`, `approve`, `deny`, `revoke --grant`, `entitlements apply`, and PAM's
//! rows in `list` and `history` (`exec`: tests/exec.rs), through the real binary against the
//! emulator (its seed: entitlement `prod-debug` on jit-demo-prod, which bob may request and alice
//! may approve).

use serde_json::Value;

use crate::harness;
use crate::support::jit;

const SCOPE: &str = "projects/jit-demo-prod";

fn grant_name(run: &Value) -> String {
    run[0]["grant"].as_str().expect("a grant's name").to_string()
}

/// bob's bindings of `role` on jit-demo-prod written by PAM.
fn pam_bindings(emu: &harness::Emulator, role: &str) -> usize {
    emu.stored(SCOPE)
        .bindings
        .iter()
        .filter(|b| b.role == role)
        .filter(|b| b.condition.as_ref().is_some_and(|c| c.title.as_deref() == Some("Created by: PAM")))
        .filter(|b| b.members.iter().any(|m| m == "user:bob@example.com"))
        .count()
}

#[test]
fn bob_requests_alice_approves_the_binding_appears_as_pams_and_ends() {
    let emu = harness::emulator().start();
    // bob sees what he may request; alice what she may approve.
    let bobs = emu.jit_as("bob-token", &["entitlements", SCOPE, "--format", "json"]).run().ok().json();
    assert_eq!(bobs[0]["id"], "prod-debug");
    assert_eq!(bobs[0]["you_may"], serde_json::json!(["request"]));
    let alices = emu.jit(&["entitlements", SCOPE, "--format", "json"]).run().ok().json();
    assert_eq!(alices[0]["you_may"], serde_json::json!(["approve"]));

    // Both roles of the entitlement by role: one grant.
    let asked = emu
        .jit_as(
            "bob-token",
            &[
                "request",
                "roles/logging.viewer",
                "roles/cloudsql.client",
                SCOPE,
                "--for",
                "2h",
                "--reason",
                "INC-42",
                "--format",
                "json",
            ],
        )
        .run()
        .ok()
        .json();
    assert_eq!(asked.as_array().unwrap().len(), 1);
    assert_eq!(asked[0]["state"], "APPROVAL_AWAITED");
    assert_eq!(asked[0]["reason"], "INC-42");
    assert!(asked[0]["next"].as_str().unwrap().contains("user:alice@example.com may approve it"));
    let name = grant_name(&asked);
    let id = asked[0]["id"].as_str().unwrap().to_string();

    // alice sees it awaiting her; bob sees it as his.
    let to_approve = emu.jit(&["requests", "--to-approve", SCOPE, "--format", "json"]).run().ok().json();
    assert_eq!(to_approve[0]["grant"], name.as_str());
    assert_eq!(to_approve[0]["requester"], "bob@example.com");
    let table =
        emu.jit(&["requests", "--to-approve", SCOPE, "--format", "table"]).env("COLUMNS", "200").run().ok();
    assert!(table.stdout.contains("bob@example.com") && table.stdout.contains("INC-42"), "{}", table.stdout);
    let mine = emu.jit_as("bob-token", &["requests", "--mine", SCOPE, "--format", "json"]).run().ok().json();
    assert_eq!(mine[0]["grant"], name.as_str());
    // The project by number is the project by ID, named the same way (issue 19 item 6).
    let by_number = |args: &[&str]| emu.jit(args).run().ok().json();
    assert_eq!(
        by_number(&["requests", "--to-approve", "projects/100000000001", "--format", "json"]),
        to_approve
    );
    assert_eq!(by_number(&["entitlements", "--project", "100000000001", "--format", "json"]), alices);
    let none = emu.jit(&["requests", "--mine", "--project", "100000000001", "--format", "table"]).run().ok();
    assert_eq!(none.stdout, "No grants asked for by you on `projects/jit-demo-prod`.\n");

    // bob cannot approve his own request: PAM refuses, and jit says why.
    let own = emu.jit_as("bob-token", &["approve", &name, "--format", "json"]).run().code(3);
    assert!(own.stderr.contains("you cannot approve your own request"), "{}", own.stderr);

    // alice approves by the short ID on the scope.
    let approved = emu.jit(&["approve", &id, SCOPE, "--reason", "go", "--format", "json"]).run().ok().json();
    assert_ne!(approved[0]["state"], "APPROVAL_AWAITED");

    // bob follows it until it is active and effective.
    let waited =
        emu.jit_as("bob-token", &["requests", "--mine", SCOPE, "--format", "json"]).run().ok().json();
    assert_eq!(waited[0]["grant"], name.as_str());
    for _ in 0..5 {
        // Each request the emulator serves moves a scheduled grant on (SCHEDULED → ACTIVATING →
        // ACTIVE).
        emu.jit_as("bob-token", &["requests", "--mine", SCOPE, "--format", "json"]).run().ok();
    }
    assert_eq!(pam_bindings(&emu, "roles/logging.viewer"), 1);
    assert_eq!(pam_bindings(&emu, "roles/cloudsql.client"), 1);

    // `jit list` shows PAM's binding as PAM's.
    let list = emu
        .jit(&["list", "--member", "bob@example.com", "--project", "jit-demo-prod", "--format", "json"])
        .run()
        .ok()
        .json();
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "roles/logging.viewer" && r["source"] == "pam")
        .unwrap_or_else(|| panic!("{list}"));
    // ... joined to the grant that wrote it: who asked, who approved, and why.
    assert_eq!(row["pam"]["grant"], name.as_str(), "{row}");
    assert_eq!(row["pam"]["requester"], "bob@example.com");
    assert_eq!(row["pam"]["approver"], "alice@example.com");
    assert_eq!(row["grantedBy"], "alice@example.com");
    assert_eq!(row["reason"], "INC-42");
    let table = emu
        .jit(&["list", "--member", "bob@example.com", "--project", "jit-demo-prod", "--format", "table"])
        .env("COLUMNS", "250")
        .run()
        .ok();
    let line = table.stdout.lines().find(|l| l.contains("roles/logging.viewer")).unwrap_or_default();
    assert!(
        line.contains("pam") && line.contains("alice@example.com") && line.contains("INC-42"),
        "{}",
        table.stdout
    );
    // One `entitlements.list` for the scope and one `grants.list` for its one entitlement, however
    // many bindings PAM wrote (two here).
    let before = emu.requests().len();
    emu.jit(&["list", "--project", "jit-demo-prod", "--format", "json"]).run().ok();
    let pam_calls: Vec<String> = emu.requests()[before..]
        .iter()
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .filter(|p| p.contains("/locations/global/"))
        .collect();
    assert_eq!(pam_calls.len(), 2, "{pam_calls:?}");

    // After the end, the binding is gone.
    emu.advance(2 * 3600 + 60);
    emu.jit_as("bob-token", &["requests", "--mine", SCOPE, "--format", "json"]).run().ok();
    assert_eq!(pam_bindings(&emu, "roles/logging.viewer"), 0);
}

#[test]
fn refusals_say_why_ineligible_too_long_and_no_reason() {
    let emu = harness::emulator().start();
    emu.add_token("carol-token", "user:carol@example.com");
    // carol may request nothing: jit says so before anything is sent.
    let carol = emu
        .jit_as("carol-token", &["request", "prod-debug", SCOPE, "--for", "1h", "--reason", "x"])
        .run()
        .code(2);
    assert_eq!(
        carol.error_line(),
        "error: you may not request an entitlement `prod-debug` on `projects/jit-demo-prod`"
    );
    // Named in full, the request goes to PAM, which refuses; jit says why.
    let full = "projects/jit-demo-prod/locations/global/entitlements/prod-debug";
    let carol = emu.jit_as("carol-token", &["request", full, "--for", "1h", "--reason", "x"]).run();
    assert_ne!(carol.code, 0);
    assert!(carol.stderr.contains("not eligible for entitlement `prod-debug`"), "{}", carol.stderr);

    let long = emu
        .jit_as("bob-token", &["request", "prod-debug", SCOPE, "--for", "5h", "--reason", "x"])
        .run()
        .code(2);
    assert_eq!(long.error_line(), "error: 5h is longer than entitlement `prod-debug` allows: at most 4h");
    let none = emu.jit_as("bob-token", &["request", "prod-debug", SCOPE, "--for", "1h"]).run().code(2);
    assert_eq!(none.error_line(), "error: entitlement `prod-debug` requires a reason");
    // One role of an entitlement that holds two: never more access than asked.
    let more =
        emu.jit_as("bob-token", &["request", "roles/logging.viewer", SCOPE, "--reason", "x"]).run().code(2);
    assert!(more.stderr.contains("comes only with other roles"), "{}", more.stderr);
    assert!(
        emu.jit_as("bob-token", &["requests", "--mine", SCOPE, "--format", "json"])
            .run()
            .ok()
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn alice_denies_and_the_requester_learns_why() {
    let emu = harness::emulator().start();
    let asked = emu
        .jit_as(
            "bob-token",
            &["request", "prod-debug", SCOPE, "--for", "1h", "--reason", "INC-7", "--format", "json"],
        )
        .run()
        .ok()
        .json();
    let name = grant_name(&asked);
    let no_reason = jit(&["deny", &name]).run().code(2);
    assert!(no_reason.stderr.contains("--reason"), "{}", no_reason.stderr);
    let denied =
        emu.jit(&["deny", &name, "--reason", "not during the freeze", "--format", "json"]).run().ok().json();
    assert_eq!(denied[0]["state"], "DENIED");
    // --wait on a denied grant stops at once with the reason.
    let mine = emu.jit_as("bob-token", &["requests", "--mine", SCOPE, "--format", "json"]).run().ok().json();
    assert_eq!(mine[0]["state"], "DENIED");
    assert!(mine[0]["next"].as_str().unwrap().contains("not during the freeze"));
}

#[test]
fn request_wait_follows_the_grant_until_effective() {
    let emu = harness::emulator().start();
    // No approval step: an entitlement jit creates from the file, that bob may request.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jit.toml");
    std::fs::write(
        &config,
        r#"
[entitlements.logs]
scope = "projects/jit-demo-prod"
roles = ["roles/logging.viewer"]
requesters = ["user:bob@example.com"]
max_duration = "2h"
"#,
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    emu.jit(&["--config", cfg, "entitlements", "apply", "--format", "json"]).run().ok();
    let waited = emu
        .jit_as("bob-token", &["request", "logs", SCOPE, "--for", "30m", "--wait", "--format", "json"])
        .run()
        .ok();
    assert!(waited.stderr.contains("Effective: roles/logging.viewer"), "{}", waited.stderr);
    assert_eq!(pam_bindings(&emu, "roles/logging.viewer"), 1);
    // bob ends it early himself? Only with grants.revoke: alice, the admin, revokes by short ID.
    let id = waited.json()[0]["id"].as_str().unwrap().to_string();
    let revoked =
        emu.jit(&["revoke", "--grant", &format!("jit-logs/{id}"), "--project", "jit-demo-prod"]).run().ok();
    let state = revoked.json()[0]["state"].as_str().unwrap().to_string();
    assert!(["REVOKING", "REVOKED"].contains(&state.as_str()), "{state}");
    emu.jit(&["requests", SCOPE, "--format", "json"]).run().ok();
    assert_eq!(pam_bindings(&emu, "roles/logging.viewer"), 0);
}

#[test]
fn entitlements_apply_twice_changes_nothing_the_second_time_and_deletes_only_its_own() {
    let emu = harness::emulator().start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jit.toml");
    let text = r#"
[entitlements.prod-debug]
scope = "projects/jit-demo-prod"
roles = ["roles/logging.viewer", "roles/cloudsql.client"]
requesters = ["group:oncall@example.com", "user:bob@example.com"]
approvers = ["group:sre-leads@example.com"]
max_duration = "4h"
require_reason = true
notify = ["security@example.com"]
"#;
    std::fs::write(&config, text).unwrap();
    let cfg = config.to_str().unwrap();
    let dry = emu
        .jit(&["--config", cfg, "entitlements", "apply", "--dry-run", "--format", "json"])
        .run()
        .ok()
        .json();
    assert_eq!(dry[0]["action"], "create");
    let first = emu.jit(&["--config", cfg, "entitlements", "apply", "--format", "json"]).run().ok();
    assert_eq!(first.json()[0]["action"], "create");
    let second = emu.jit(&["--config", cfg, "entitlements", "apply", "--format", "table"]).run().ok();
    assert!(second.stdout.contains("PAM matches the file: nothing to change."), "{}", second.stdout);

    std::fs::write(&config, text.replace("max_duration = \"4h\"", "max_duration = \"2h\"")).unwrap();
    let third = emu.jit(&["--config", cfg, "entitlements", "apply", "--format", "json"]).run().ok().json();
    assert_eq!(third[0]["action"], "update");
    assert_eq!(third[0]["fields"], serde_json::json!(["maxRequestDuration"]));

    // A table renamed: jit's old entitlement is deleted, the seed's own `prod-debug` never.
    std::fs::write(&config, text.replace("[entitlements.prod-debug]", "[entitlements.debug]")).unwrap();
    let fourth = emu.jit(&["--config", cfg, "entitlements", "apply", "--format", "json"]).run().ok().json();
    let actions: Vec<(String, String)> = fourth
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().into(),
                c["entitlement"].as_str().unwrap().rsplit('/').next().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("create".to_string(), "jit-debug".to_string()),
            ("delete".to_string(), "jit-prod-debug".to_string())
        ]
    );
    let left = emu.jit(&["entitlements", SCOPE, "--format", "json"]).run().ok().json();
    assert!(left.as_array().unwrap().iter().any(|e| e["id"] == "prod-debug"), "{left}");
}

#[test]
fn config_check_refuses_what_pam_refuses_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jit.toml");
    std::fs::write(
        &config,
        "[entitlements.x1]\nscope = \"projects/jit-demo-prod\"\nroles = [\"roles/editor\"]\nrequesters = [\"user:bob@example.com\"]\nmax_duration = \"2h\"\n",
    )
    .unwrap();
    let run = jit(&["config", "check", config.to_str().unwrap()]).run().code(2);
    assert!(
        run.error_line()
            .contains("line 3, column 10: PAM does not grant the legacy basic role `roles/editor`"),
        "{}",
        run.stderr
    );
    std::fs::write(
        &config,
        "[entitlements.x1]\nscope = \"projects/jit-demo-prod\"\nroles = [\"roles/logging.viewer\"]\nrequesters = [\"user:bob@example.com\"]\nmax_duration = \"8d\"\n",
    )
    .unwrap();
    let run = jit(&["config", "check", config.to_str().unwrap()]).run().code(2);
    assert!(
        run.error_line().contains("line 5, column 16: `8d` is longer than PAM allows: at most 7 days"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let start =
        jit(&["request", "prod-debug", "--project", "jit-demo-prod", "--start", "10:00", "--reason", "x"])
            .run()
            .code(2);
    assert!(start.error_line().contains("PAM cannot start a grant at `10:00`"), "{}", start.stderr);
    let words = jit(&["request", "Not a thing", "--project", "jit-demo-prod"]).run().code(2);
    assert_eq!(words.error_line(), "error: `Not a thing` is neither a role, an entitlement nor a scope");
    let grant = jit(&["approve", "a b", "--project", "jit-demo-prod"]).run().code(2);
    assert_eq!(grant.error_line(), "error: `a b` is not a grant");
    let both = jit(&["revoke", "roles/x.y", "--grant", "g1", "--project", "jit-demo-prod"]).run().code(2);
    assert!(both.stderr.contains("cannot be used with"), "{}", both.stderr);
    let bucket = jit(&["requests", "buckets/b"]).run().code(2);
    assert!(bucket.error_line().contains("`buckets/b` is not a scope"), "{}", bucket.stderr);
}

#[test]
fn history_shows_pams_request_approval_activation_and_revocation() {
    let emu = harness::emulator().start();
    let asked = emu
        .jit_as(
            "bob-token",
            &["request", "prod-debug", SCOPE, "--for", "1h", "--reason", "INC-9", "--format", "json"],
        )
        .run()
        .ok()
        .json();
    let name = grant_name(&asked);
    emu.jit(&["approve", &name, "--reason", "go", "--format", "json"]).run().ok();
    // Each request the emulator serves moves the approved grant on, until it is active.
    for _ in 0..10 {
        if pam_bindings(&emu, "roles/logging.viewer") > 0 {
            break;
        }
        emu.jit_as("bob-token", &["requests", "--mine", SCOPE, "--format", "json"]).run().ok();
    }
    emu.jit(&["revoke", "--grant", &name, "--format", "json"]).run().ok();
    assert_eq!(pam_bindings(&emu, "roles/logging.viewer"), 0);

    let events = emu
        .jit(&["history", "--project", "jit-demo-prod", "--role", "roles/logging.viewer", "--format", "json"])
        .run()
        .ok()
        .json();
    let got: Vec<(String, String, String, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("-").to_string();
            (s("action"), s("member"), s("by"), s("reason"))
        })
        .collect();
    let agent = "service-100000000001@gcp-sa-pam.iam.gserviceaccount.com";
    let row = |a: &str, by: &str, reason: &str| {
        (a.to_string(), "user:bob@example.com".to_string(), by.to_string(), reason.to_string())
    };
    assert_eq!(
        got,
        [
            row("requested", "bob@example.com", "INC-9"),
            row("approved", "alice@example.com", "go"),
            // The service agent's write of the binding, then PAM's own activation entry.
            row("granted", agent, "-"),
            row("activated", "-", "INC-9"),
            // alice's revocation (one row for the operation's two entries), then the removal.
            row("revoked", "alice@example.com", "-"),
            row("revoked", agent, "-"),
        ],
        "{events}"
    );
    assert!(events.as_array().unwrap().iter().all(|e| e["source"] == "pam"), "{events}");
    assert_eq!(events[0]["grant"], name.as_str());

    // --member narrows PAM's events too; the table reads them.
    let carol = emu
        .jit(&["history", "--project", "jit-demo-prod", "--member", "carol@example.com", "--format", "json"])
        .run()
        .ok()
        .json();
    assert!(carol.as_array().unwrap().iter().all(|e| e["source"] != "pam"), "{carol}");
    let table = emu
        .jit(&[
            "history",
            "--project",
            "jit-demo-prod",
            "--role",
            "roles/cloudsql.client",
            "--format",
            "table",
        ])
        .env("COLUMNS", "400")
        .run()
        .ok();
    for action in ["requested", "approved", "activated", "revoked"] {
        assert!(
            table.stdout.lines().any(|l| l.contains(action) && l.contains("roles/cloudsql.client")),
            "{}",
            table.stdout
        );
    }
}

#[test]
fn approve_and_deny_take_an_entitlement_for_the_one_grant_awaiting_the_caller() {
    let emu = harness::emulator().start();
    let cfg = emu.file(
        "jit.toml",
        r#"
[entitlements.pair]
scope = "projects/jit-demo-prod"
roles = ["roles/logging.viewer"]
requesters = ["user:bob@example.com", "user:dana@example.com"]
approvers = ["user:alice@example.com"]
max_duration = "2h"
"#,
    );
    emu.jit(&["--config", cfg.to_str().unwrap(), "entitlements", "apply", "--format", "json"]).run().ok();
    let ask = |token: &str| {
        let asked = emu
            .jit_as(token, &["request", "pair", SCOPE, "--for", "1h", "--format", "json"])
            .run()
            .ok()
            .json();
        asked[0]["id"].as_str().unwrap().to_string()
    };
    let (bobs, danas) = (ask("bob-token"), ask("dana-token"));
    // Two await alice: she is told which, and nothing is decided.
    let both = emu.jit(&["approve", "pair", SCOPE]).run().code(2);
    assert!(
        both.error_line().starts_with("error: 2 grants of entitlement `pair` await your approval: "),
        "{}",
        both.stderr
    );
    assert!(both.stderr.contains(&bobs) && both.stderr.contains(&danas), "{}", both.stderr);
    emu.jit(&["deny", &danas, SCOPE, "--reason", "one at a time", "--format", "json"]).run().ok();
    // One left: the entitlement names it.
    let approved = emu.jit(&["approve", "pair", SCOPE, "--format", "json"]).run().ok().json();
    assert_eq!(approved[0]["id"], bobs.as_str());
    assert_eq!(approved[0]["approver"], "alice@example.com");
    // None left: the error is the one for an unknown grant.
    let none = emu.jit(&["deny", "pair", SCOPE, "--reason", "x"]).run().code(2);
    assert!(none.error_line().contains("no grant `pair`"), "{}", none.stderr);
}

#[test]
fn list_without_pams_read_permissions_keeps_the_rows_and_says_why() {
    // dana may read jit-demo-prod's policy, and nothing of PAM's.
    let mut seed: Value = serde_json::from_str(jit_emulator::DEMO_SEED).unwrap();
    seed["customRoles"].as_array_mut().unwrap().push(serde_json::json!({
        "name": "projects/jit-demo-prod/roles/policyReader", "title": "Policy reader", "stage": "GA",
        "includedPermissions": ["resourcemanager.projects.getIamPolicy"]}));
    seed["policies"][SCOPE]["bindings"].as_array_mut().unwrap().push(
        serde_json::json!({"role": "projects/jit-demo-prod/roles/policyReader", "members": ["user:dana@example.com"]}),
    );
    let emu = harness::emulator().seed(seed).start();
    let asked = emu
        .jit_as(
            "bob-token",
            &["request", "prod-debug", SCOPE, "--for", "1h", "--reason", "INC-3", "--format", "json"],
        )
        .run()
        .ok()
        .json();
    emu.jit(&["approve", &grant_name(&asked), "--format", "json"]).run().ok();
    for _ in 0..10 {
        if pam_bindings(&emu, "roles/logging.viewer") > 0 {
            break;
        }
        emu.jit_as("bob-token", &["requests", "--mine", SCOPE, "--format", "json"]).run().ok();
    }
    let run =
        emu.jit_as("dana-token", &["list", "--project", "jit-demo-prod", "--format", "json"]).run().ok();
    let rows = run.json();
    let pam: Vec<&Value> = rows.as_array().unwrap().iter().filter(|r| r["source"] == "pam").collect();
    assert_eq!(pam.len(), 2, "{rows}");
    assert!(pam.iter().all(|r| r.get("pam").is_none() && r["grantedBy"].is_null()), "{rows}");
    assert!(
        run.stderr.contains(
            "warning: `projects/jit-demo-prod`: PAM's grants cannot be read, so the requester and approver of PAM's bindings are not shown"
        ) && run.stderr.contains("privilegedaccessmanager.entitlements.list"),
        "{}",
        run.stderr
    );
}
