//! `jit audit` (issue 11 item 4) against the emulator and on policy files.

use serde_json::Value;

use crate::harness;
use crate::support::jit;

fn tuples(findings: &Value) -> Vec<(String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (s(&f["resource"]), s(&f["finding"]), s(&f["role"]), s(&f["member"])))
        .collect()
}

fn t(r: &str, f: &str, role: &str, m: &str) -> (String, String, String, String) {
    (r.into(), f.into(), role.into(), m.into())
}

#[test]
fn the_demo_organization_recursively() {
    let emu = harness::emulator().start();
    let run = emu
        .jit(&["audit", "--organization", "123456789012", "--recursive", "--via", "walk", "--format", "json"])
        .run()
        .code(1);
    let org = "organizations/123456789012";
    let sa = "serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com";
    let alice = "user:alice@example.com";
    assert_eq!(
        tuples(&run.json()),
        [
            t(org, "standing-sensitive", "roles/iam.securityAdmin", sa),
            t(org, "standing-sensitive", "roles/iam.securityAdmin", alice),
            t(org, "standing-sensitive", "roles/iam.serviceAccountTokenCreator", alice),
            t(org, "standing-sensitive", "roles/resourcemanager.organizationAdmin", alice),
            t("projects/jit-demo-dev", "standing-sensitive", "roles/editor", "group:developers@example.com"),
            t("projects/jit-demo-dev", "standing-sensitive", "roles/owner", alice),
            t("projects/jit-demo-prod", "standing-sensitive", "roles/owner", alice),
            t("projects/jit-demo-prod", "standing-sensitive", "roles/viewer", "group:sre@example.com"),
            t("projects/jit-demo-prod", "standing-sensitive", "roles/viewer", sa),
        ]
    );
    assert_eq!(run.json()[4]["detail"], "held with no end; a basic role");
    // The walk read the folder too.
    let reads: Vec<String> = emu
        .requests()
        .iter()
        .filter_map(|r| r["path"].as_str().filter(|p| p.ends_with(":getIamPolicy")).map(str::to_string))
        .collect();
    assert!(reads.iter().any(|p| p.contains("folders/234567890123")), "{reads:?}");
    assert_eq!(reads.len(), 4, "{reads:?}");
}

/// `--recursive` goes through Cloud Asset Inventory by default (issue 11's audit over the issue 10
/// seed): one search, no getIamPolicy, and resources the walk cannot reach (the buckets) audited
/// from the search's copy of their policies.
#[test]
fn recursively_through_the_search_every_kind_is_audited_in_one_call() {
    let emu = harness::emulator().start();
    let run = emu
        .jit(&["audit", "--organization", "123456789012", "--recursive", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.stderr, "", "no fallback note: alice may search the demo organization");
    let found = tuples(&run.json());
    // The buckets hold only Google's default roles for convenience members: no finding (issue
    // 19 item 10; they were 4 a bucket).
    assert!(!found.iter().any(|f| f.0.contains("/buckets/")), "{found:?}");
    // The projects, named by ID as the walk names them (the search names them by number, and
    // jit resolves it: issue 19 item 6), hold what the walk found.
    assert!(
        found.contains(&t(
            "projects/jit-demo-dev",
            "standing-sensitive",
            "roles/owner",
            "user:alice@example.com"
        )),
        "{found:?}"
    );
    assert_eq!(found.len(), 9, "{found:?}");
    let paths: Vec<String> =
        emu.requests().iter().filter_map(|r| r["path"].as_str().map(str::to_string)).collect();
    assert_eq!(
        paths.iter().filter(|p| p.ends_with(":searchAllIamPolicies")).count(),
        1,
        "one page: {paths:?}"
    );
    assert!(!paths.iter().any(|p| p.ends_with(":getIamPolicy")), "nothing read one by one: {paths:?}");
}

#[test]
fn the_team_config_and_delegations_add_findings() {
    let emu = harness::emulator().start();
    emu.jit(&[
        "grant",
        "roles/pubsub.viewer",
        "--for",
        "3h",
        "--member",
        "bob@example.com",
        "--project",
        "jit-demo-dev",
    ])
    .run()
    .ok();
    emu.jit(&[
        "delegate",
        "dana@example.com",
        "--roles",
        "roles/pubsub.viewer",
        "--permanent",
        "--project",
        "jit-demo-dev",
    ])
    .run()
    .ok();
    let config =
        emu.file("team.toml", "max_duration = \"2h\"\n[bundles.read]\nroles = [\"roles/logging.viewer\"]\n");
    let run = emu
        .jit(&[
            "--config",
            config.to_str().unwrap(),
            "audit",
            "--project",
            "jit-demo-dev",
            "--format",
            "json",
        ])
        .run()
        .code(1);
    let found: Vec<_> =
        tuples(&run.json()).into_iter().filter(|(_, f, _, _)| f != "standing-sensitive").collect();
    let dev = "projects/jit-demo-dev";
    assert_eq!(
        found,
        [
            t(dev, "too-long", "roles/pubsub.viewer", "user:bob@example.com"),
            t(dev, "no-bundle", "roles/pubsub.viewer", "user:bob@example.com"),
            t(dev, "permanent-delegation", "roles/resourcemanager.projectIamAdmin", "user:dana@example.com"),
        ]
    );
    let all = run.json();
    let details: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["detail"].as_str())
        .filter(|d| d.contains("over the") || d.contains("may grant"))
        .collect();
    // "Too long" is the time left, with its end (issue 17 item 5).
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(
        details[0].starts_with("3h of access left (until ")
            && details[0].ends_with("), over the 2h of `max_duration`"),
        "{details:?}"
    );
    assert_eq!(details[1], "may grant roles/pubsub.viewer with no end");
}

#[test]
fn nothing_found_is_exit_0_and_a_file_works_offline() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(
        &file,
        r#"{"bindings": [{"role": "roles/logging.viewer", "members": ["group:sre@example.com"]}]}"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let run = jit(&["audit", "--policy-file", f, "--format", "table"]).run().ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", "No findings.\n"));
    let run = jit(&["audit", "--policy-file", f, "--format", "json"]).run().ok();
    assert_eq!(run.stdout, "[]\n");
    std::fs::write(&file, r#"{"bindings": [{"role": "roles/owner", "members": ["user:a@example.com"]}]}"#)
        .unwrap();
    let run = jit(&["audit", "--policy-file", f, "--format", "table"]).run().code(1);
    let w = f.len().max("RESOURCE".len());
    assert_eq!(
        run.stdout,
        format!(
            "{:<w$}  FINDING             ROLE         MEMBER              DETAIL\n\
             {f}  standing-sensitive  roles/owner  user:a@example.com  held with no end; a basic role\n",
            "RESOURCE"
        )
    );
    let run = jit(&["audit", "--recursive", "--policy-file", f]).run().code(2);
    assert_eq!(
        run.error_line(),
        "error: --recursive reads resources through the API and cannot work on a policy file"
    );
}

/// The audit's table fits the terminal as every table does (issue 12 item 5): at 80 columns what
/// every row shares goes above it and cells wrap at spaces; at 200 the rows are whole.
#[test]
fn the_table_fits_80_and_200_columns() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.json");
    std::fs::write(
        &file,
        r#"{"bindings": [{"role": "roles/owner", "members": ["user:a-rather-long-name@example.com"]},
                         {"role": "roles/iam.securityAdmin", "members": ["group:platform-security-admins@example.com"]}]}"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let narrow = jit(&["audit", "--policy-file", f, "--format", "table"]).env("COLUMNS", "80").run().code(1);
    // Phrases wrap at spaces; identifiers (members, roles, permissions) are never broken, even where
    // one is wider than the room left (issue 19 item 7).
    assert!(narrow.stdout.lines().count() > 3, "cells wrap: {}", narrow.stdout);
    for whole in [
        "user:a-rather-long-name@example.com",
        "group:platform-security-admins@example.com",
        "`accesscontextmanager.policies.setIamPolicy`,",
        "roles/iam.securityAdmin",
    ] {
        assert!(narrow.stdout.lines().any(|l| l.contains(whole)), "{whole} broken: {}", narrow.stdout);
    }
    let wide = jit(&["audit", "--policy-file", f, "--format", "table"]).env("COLUMNS", "200").run().code(1);
    assert!(wide.stdout.lines().all(|l| l.chars().count() <= 200), "{}", wide.stdout);
    // Wide enough for whole names: only the long DETAIL wraps.
    for member in ["user:a-rather-long-name@example.com", "group:platform-security-admins@example.com"] {
        assert!(wide.stdout.contains(member), "{member} whole: {}", wide.stdout);
    }
    assert!(wide.stdout.lines().count() < narrow.stdout.lines().count(), "{}", wide.stdout);
}

/// Issue 19 item 10: on a real organization every bucket has Google's default roles for the
/// project's convenience members; they are not findings (a bucket alone audits clean, exit 0).
/// A team waives a finding in jit.toml (`[[audit.waive]]`: member, role, resource, reason): the
/// report shows it as waived, and only findings not waived fail the audit.
#[test]
fn google_defaults_are_not_findings_and_a_team_waives_the_rest() {
    let emu = harness::emulator().start();
    let run = emu.jit(&["audit", "--bucket", "jit-demo-prod-data", "--format", "table"]).run().ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", "No findings.\n"));
    let waive = |member: &str, role: &str, resource: Option<&str>, reason: &str| {
        let resource = resource.map(|r| format!("resource = \"{r}\"\n")).unwrap_or_default();
        format!(
            "[[audit.waive]]\nmember = \"{member}\"\nrole = \"{role}\"\n{resource}reason = \"{reason}\"\n"
        )
    };
    let one = waive(
        "alice@example.com",
        "roles/owner",
        Some("projects/jit-demo-prod"),
        "the org admin, reviewed quarterly",
    );
    let config = emu.file("waive.toml", &one);
    let c = config.to_str().unwrap();
    let run =
        emu.jit(&["--config", c, "audit", "--project", "jit-demo-prod", "--format", "json"]).run().code(1);
    let findings = run.json();
    let alice = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["member"] == "user:alice@example.com")
        .unwrap_or_else(|| panic!("{findings}"));
    assert_eq!(alice["waived"], "the org admin, reviewed quarterly");
    assert!(findings.as_array().unwrap().iter().filter(|f| f["waived"].is_null()).count() > 0);
    // Waive the rest: the audit passes, and the table still shows every finding as waived.
    let all = format!(
        "{one}{}{}",
        waive("group:sre@example.com", "roles/viewer", None, "read-only on-call"),
        waive(
            "serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com",
            "roles/viewer",
            Some("//cloudresourcemanager.googleapis.com/projects/jit-demo-prod"),
            "jit cleanup reads policies"
        )
    );
    let config = emu.file("waive-all.toml", &all);
    let run = emu
        .jit(&[
            "--config",
            config.to_str().unwrap(),
            "audit",
            "--project",
            "jit-demo-prod",
            "--format",
            "table",
        ])
        .env("COLUMNS", "200")
        .run()
        .ok();
    assert!(
        run.stdout.contains("waived: the org admin, reviewed quarterly (held with no end; a basic role)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("waived: read-only on-call"), "{}", run.stdout);
    assert!(run.stdout.contains("waived: jit cleanup reads policies"), "{}", run.stdout);
}
