//! The real binary on policy files (`--policy-file`, design §2): every flag, and bad input refused
//! with a clear message, exit code 2 and the file untouched.

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::support::{Run, jit};

fn at(offset: Duration) -> String {
    (Utc::now() + offset).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `HH:MM` on the wall clock of `zone` at `offset` from now, and that instant in UTC to the minute
/// as jit reports it. The zone's clock is read from the system's time-zone database (`date`), so
/// a half-hour zone and daylight saving come out right.
fn wall_clock_in(zone: &str, offset: Duration) -> (String, String) {
    let at = Utc::now() + offset;
    let out = std::process::Command::new("date")
        .env("TZ", zone)
        .args([&format!("--date=@{}", at.timestamp()), "+%H:%M"])
        .output()
        .expect("date runs");
    let hh_mm = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let minute = chrono::DateTime::from_timestamp(at.timestamp() / 60 * 60, 0).unwrap();
    (hh_mm, minute.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// A policy as gcloud prints it, with bindings from several tools at times around now.
fn fixture() -> Value {
    json!({
        "auditConfigs": [{"auditLogConfigs": [{"logType": "ADMIN_READ"}], "service": "allServices"}],
        "bindings": [
            {"members": ["user:alice@example.com"], "role": "roles/owner"},
            {"members": ["user:bob@example.com", "group:sre@example.com"], "role": "roles/storage.admin"},
            {
                "condition": {
                    "description": "Granted by user:alice@example.com at 2025-01-01T00:00:00Z via jit. Reason: old",
                    "expression": format!("request.time < timestamp(\"{}\")", at(Duration::hours(-3))),
                    "title": "jit until then"
                },
                "members": ["user:old@example.com"],
                "role": "roles/logging.viewer"
            },
            {
                "condition": {
                    "description": "Granted by user:alice@example.com at 2025-01-01T00:00:00Z via jit. Reason: INC-9",
                    "expression": format!("request.time < timestamp(\"{}\")", at(Duration::hours(2))),
                    "title": "jit until later"
                },
                "members": ["user:carol@example.com", "user:dan@example.com"],
                "role": "roles/storage.objectViewer"
            },
            {
                "condition": {
                    "description": "access created by Gimme",
                    "expression": format!("request.time < timestamp('{}')", at(Duration::hours(-1))),
                    "title": "granted by alice@example.com"
                },
                "members": ["user:gimme@example.com"],
                "role": "roles/logging.viewer"
            },
            {
                "condition": {"expression": "has({}.jitAccessConstraint)", "title": "Eligible for JIT access"},
                "members": ["group:oncall@example.com"],
                "role": "roles/compute.admin"
            },
            {
                "condition": {
                    "expression": format!(
                        "request.time >= timestamp(\"{}\") && request.time < timestamp(\"{}\")",
                        at(Duration::hours(5)),
                        at(Duration::hours(6))
                    ),
                    "title": "JIT access activation",
                    "description": "Self-approved, justification: maintenance"
                },
                "members": ["user:erin@example.com"],
                "role": "roles/compute.admin",
                "someFutureField": {"kept": true}
            }
        ],
        "etag": "BwYmEJ6v3Xo=",
        "version": 3
    })
}

/// A table test's verdict: every failing case at once, not only the first.
#[track_caller]
fn every_case_passed(failures: &[String]) {
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

struct File {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl File {
    fn new(policy: &Value) -> File {
        File::raw(&serde_json::to_string_pretty(policy).unwrap())
    }

    fn raw(text: &str) -> File {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.json");
        std::fs::write(&path, text).unwrap();
        File { _dir: dir, path }
    }

    fn p(&self) -> &str {
        self.path.to_str().unwrap()
    }

    fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes()).unwrap()
    }
}

fn bindings(v: &Value) -> &Vec<Value> {
    v["bindings"].as_array().unwrap()
}

fn members_of(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["role"].as_str().unwrap(), r["member"].as_str().unwrap()))
        .collect()
}

#[test]
fn list_shows_every_time_bound_binding_from_any_tool() {
    let f = File::new(&fixture());
    let run = jit(&["list", "--policy-file", f.p(), "--all", "--format", "json"]).run().ok();
    let rows = run.json();
    let got: Vec<(String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["member"].as_str().unwrap().into(),
                r["state"].as_str().unwrap().into(),
                r["source"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("user:old@example.com", "expired", "jit"),
        ("user:gimme@example.com", "expired", "gimme"),
        ("user:carol@example.com", "active", "jit"),
        ("user:dan@example.com", "active", "jit"),
        ("user:erin@example.com", "scheduled", "jit-access"),
    ];
    let want: Vec<(String, String, String)> =
        want.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(
        got, want,
        "sorted by expiry; the eligibility marker and unconditional bindings are not listed"
    );
    let carol = &rows[2];
    assert_eq!(carol["resource"], f.p());
    assert_eq!(carol["grantedBy"], "user:alice@example.com");
    assert_eq!(carol["reason"], "INC-9");
    assert_eq!(carol["starts"], Value::Null);
    for key in [
        "resource",
        "role",
        "member",
        "starts",
        "expires",
        "state",
        "source",
        "title",
        "description",
        "expression",
    ] {
        assert!(carol.get(key).is_some(), "{key} missing");
    }
    assert!(rows[4]["starts"].is_string());
}

#[test]
fn list_filters_and_formats() {
    let f = File::new(&fixture());
    let rows = jit(&["list", "--policy-file", f.p(), "--format", "json"]).run().ok().json();
    assert_eq!(rows.as_array().unwrap().len(), 3, "expired ones only with --all");
    let rows = jit(&["list", "--policy-file", f.p(), "--member", "carol@example.com", "--format", "json"])
        .run()
        .ok()
        .json();
    assert_eq!(members_of(&rows), ["roles/storage.objectViewer user:carol@example.com"]);
    let rows =
        jit(&["list", "--policy-file", f.p(), "--all", "--role", "roles/logging.viewer", "--format", "json"])
            .run()
            .ok()
            .json();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    let yaml = jit(&["list", "--policy-file", f.p(), "--format", "yaml"]).run().ok().stdout;
    assert!(yaml.contains("member: user:carol@example.com"), "{yaml}");
    let table = jit(&["list", "--policy-file", f.p(), "--format", "table", "--project", "my-project"])
        .run()
        .ok()
        .stdout;
    assert!(table.contains("EXPIRES (UTC)") && table.contains("REMAINING"), "{table}");
    assert!(table.contains("projects/my-project"), "the one scope given names the resource");
    assert!(table.contains("2h left"), "{table}");
    let default = jit(&["list", "--policy-file", f.p()]).run().ok();
    assert!(default.stdout.trim_start().starts_with('['), "JSON when stdout is not a terminal");
}

#[test]
fn list_reads_stdin_as_gcloud_prints_it_json_or_yaml() {
    let policy = serde_json::to_string(&fixture()).unwrap();
    let rows = jit(&["list", "--policy-file", "-", "--all"]).stdin(policy).run().ok().json();
    assert_eq!(rows.as_array().unwrap().len(), 5);
    assert_eq!(rows[0]["resource"], "stdin");
    let yaml = "bindings:\n- condition:\n    expression: request.time < timestamp(\"2099-01-01T00:00:00Z\")\n    title: x\n  members:\n  - user:a@example.com\n  role: roles/viewer\netag: BwX=\nversion: 3\n";
    let rows = jit(&["list", "--policy-file", "-"]).stdin(yaml).run().ok().json();
    assert_eq!(rows[0]["member"], "user:a@example.com");
}

#[test]
fn grant_writes_the_policy_to_stdout_and_reports_on_stderr() {
    let f = File::new(&fixture());
    let before = f.json();
    let run = jit(&[
        "grant",
        "roles/storage.objectViewer",
        "roles/logging.viewer",
        "--for",
        "2h",
        "--member",
        "bob@example.com",
        "--member",
        "ci@p-1.iam.gserviceaccount.com",
        "--reason",
        "INC-42 \"disk\" full",
        "--policy-file",
        f.p(),
    ])
    .run()
    .ok();
    assert_eq!(f.json(), before, "without --in-place the file is untouched");
    let after: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(after["etag"], before["etag"], "the etag read goes back, so gcloud set-iam-policy is guarded");
    assert_eq!(after["auditConfigs"], before["auditConfigs"]);
    assert_eq!(after["version"], 3);
    // Every binding not targeted is exactly as read; the expired jit one is pruned.
    let kept: Vec<&Value> =
        bindings(&before).iter().filter(|b| b["members"] != json!(["user:old@example.com"])).collect();
    for b in &kept {
        assert!(bindings(&after).contains(b), "binding changed or lost: {b}");
    }
    let new: Vec<&Value> = bindings(&after).iter().filter(|b| !kept.contains(b)).collect();
    assert_eq!(new.len(), 2, "one binding per role: {new:?}");
    for b in new {
        assert_eq!(
            b["members"],
            json!(["user:bob@example.com", "serviceAccount:ci@p-1.iam.gserviceaccount.com"])
        );
        let c = &b["condition"];
        assert!(c["title"].as_str().unwrap().starts_with("jit until "));
        assert!(c["description"].as_str().unwrap().ends_with("Reason: INC-42 \"disk\" full"), "{c}");
        assert!(c["expression"].as_str().unwrap().starts_with("request.time < timestamp(\""));
    }
    assert!(run.stderr.contains("granted") && run.stderr.contains("pruned"), "{}", run.stderr);
    assert!(run.stderr.contains("user:bob@example.com"));
}

#[test]
fn grant_in_place_extends_never_shortens_and_replace_sets_exactly() {
    let f = File::new(&fixture());
    let grant = |extra: &[&str]| {
        let mut args = vec![
            "grant",
            "roles/storage.objectViewer",
            "--member",
            "carol@example.com",
            "--policy-file",
            f.p(),
            "--in-place",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        jit(&args).run().ok().json()
    };
    let report = grant(&["--for", "1h"]);
    assert_eq!(report["unchanged"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["granted"], json!([]));
    let report = grant(&["--for", "4h"]);
    assert_eq!(report["extended"].as_array().unwrap().len(), 1, "{report}");
    let expires = report["extended"][0]["expires"].as_str().unwrap().to_string();
    let rows = jit(&["list", "--policy-file", f.p(), "--member", "carol@example.com"]).run().ok().json();
    assert_eq!(rows.as_array().unwrap().len(), 1, "never two live jit bindings for one role and member");
    assert_eq!(rows[0]["expires"], expires.as_str());
    let dan = jit(&["list", "--policy-file", f.p(), "--member", "dan@example.com"]).run().ok().json();
    assert_eq!(dan.as_array().unwrap().len(), 1, "dan keeps his own grant");
    let report = grant(&["--for", "30m", "--replace"]);
    assert_eq!(report["extended"], json!([]), "a replace that ends earlier is not an extension");
    assert_eq!(report["shortened"].as_array().unwrap().len(), 1, "{report}");
    assert!(report["shortened"][0]["expires"].as_str().unwrap() < expires.as_str());
}

#[test]
fn grant_dry_run_changes_nothing() {
    let f = File::new(&fixture());
    let before = f.bytes();
    let report = jit(&[
        "grant",
        "roles/dlp.user",
        "--member",
        "x@example.com",
        "--dry-run",
        "--policy-file",
        f.p(),
        "--in-place",
        "--format",
        "json",
    ])
    .run()
    .ok()
    .json();
    assert_eq!(report["dryRun"], true);
    assert_eq!(report["granted"].as_array().unwrap().len(), 1);
    assert_eq!(f.bytes(), before);
    let table = jit(&[
        "grant",
        "roles/dlp.user",
        "--member",
        "x@example.com",
        "--dry-run",
        "--policy-file",
        f.p(),
        "--format",
        "table",
    ])
    .run()
    .ok();
    assert!(table.stdout.contains("would grant") && table.stdout.contains("Dry run"), "{}", table.stdout);
}

#[test]
fn grant_start_until_and_warnings() {
    let f = File::new(&fixture());
    let start = at(Duration::hours(1));
    let report = jit(&[
        "grant",
        "roles/dlp.user",
        "--member",
        "x@example.com",
        "--start",
        &start,
        "--for",
        "1h",
        "--policy-file",
        f.p(),
        "--in-place",
        "--format",
        "json",
    ])
    .run()
    .ok()
    .json();
    assert_eq!(report["granted"][0]["state"], "scheduled");
    assert_eq!(report["granted"][0]["starts"], start.as_str());
    let until = at(Duration::hours(3));
    let report = jit(&[
        "grant",
        "roles/run.viewer",
        "--member",
        "x@example.com",
        "--until",
        &until,
        "--policy-file",
        f.p(),
        "--in-place",
        "--format",
        "json",
    ])
    .run()
    .ok()
    .json();
    assert_eq!(report["granted"][0]["expires"], until.as_str());
    // A wall-clock `--until HH:MM` two hours from now, in the zone jit runs in: within the 12h
    // maximum whatever the time of day (a fixed `23:59` failed every morning, issue 8 defect 0).
    for zone in ["UTC", "Pacific/Kiritimati", "America/St_Johns"] {
        let (hh_mm, want) = wall_clock_in(zone, Duration::hours(2));
        let report = jit(&[
            "grant",
            "roles/cloudsql.viewer",
            "--member",
            "x@example.com",
            "--until",
            &hh_mm,
            "--policy-file",
            f.p(),
            "--format",
            "json",
            "--dry-run",
        ])
        .env("TZ", zone)
        .run()
        .ok()
        .json();
        assert_eq!(report["granted"][0]["expires"], want.as_str(), "--until {hh_mm} in {zone}");
    }
    let report = jit(&[
        "grant",
        "roles/storage.admin",
        "--member",
        "bob@example.com",
        "--policy-file",
        f.p(),
        "--format",
        "json",
        "--dry-run",
    ])
    .run()
    .ok()
    .json();
    assert!(
        report["warnings"][0]
            .as_str()
            .unwrap()
            .contains("already holds `roles/storage.admin` without a condition")
    );
}

/// Google stores an e-mail member in the account's own case; jit matches e-mail members in any
/// case and `principal://`/`principalSet://` exactly, as Terraform does (issue 8 defect 3).
#[test]
fn email_members_match_in_any_case() {
    let set = "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/attribute.team/SRE";
    let live = |member: &str| {
        json!({
            "condition": {
                "description": "Granted by user:alice@example.com at 2025-01-01T00:00:00Z via jit.",
                "expression": format!("request.time < timestamp(\"{}\")", at(Duration::hours(2))),
                "title": "jit until later"
            },
            "members": [member],
            "role": "roles/dlp.user"
        })
    };
    let f = File::new(
        &json!({"bindings": [live("user:Jane.Doe@example.com"), live(set)], "etag": "BwX=", "version": 3}),
    );
    let rows = jit(&["list", "--policy-file", f.p(), "--member", "jane.doe@EXAMPLE.com"]).run().ok().json();
    assert_eq!(members_of(&rows), ["roles/dlp.user user:Jane.Doe@example.com"], "list --member finds it");

    let report = jit(&[
        "grant",
        "roles/dlp.user",
        "--member",
        "jane.doe@example.com",
        "--for",
        "4h",
        "--policy-file",
        f.p(),
        "--in-place",
        "--format",
        "json",
    ])
    .run()
    .ok()
    .json();
    assert_eq!(
        (members_of(&report["extended"]), report["granted"].clone()),
        (vec!["roles/dlp.user user:Jane.Doe@example.com".to_string()], json!([])),
        "grant extends the existing binding, keeping Google's spelling: {report}"
    );
    let rows = jit(&["list", "--policy-file", f.p(), "--role", "roles/dlp.user"]).run().ok().json();
    assert_eq!(
        members_of(&rows),
        [format!("roles/dlp.user {set}").as_str(), "roles/dlp.user user:Jane.Doe@example.com"],
        "one live binding, not a second one beside it (sorted by expiry: Jane's now ends later)"
    );

    let lower_set = set.replace("/SRE", "/sre");
    let report = jit(&[
        "revoke",
        "roles/dlp.user",
        "--member",
        "JANE.DOE@example.com",
        "--member",
        &lower_set,
        "--policy-file",
        f.p(),
        "--in-place",
        "--format",
        "json",
    ])
    .run()
    .ok()
    .json();
    assert_eq!(
        members_of(&report["removed"]),
        ["roles/dlp.user user:Jane.Doe@example.com"],
        "revoke removes the e-mail member in any case, a principalSet only as written"
    );
    let rows = jit(&["list", "--policy-file", f.p()]).run().ok().json();
    assert_eq!(members_of(&rows), [format!("roles/dlp.user {set}")]);
}

/// The same grant twice: the second is `unchanged` and the file is not rewritten, also with a
/// fractional end (issue 8 defect 12: it reported `extended` and rewrote identical content).
#[test]
fn the_same_grant_twice_is_unchanged() {
    let f = File::new(&fixture());
    let until = (Utc::now() + Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Millis, true);
    let grant = || {
        jit(&[
            "grant",
            "roles/dlp.user",
            "--member",
            "x@example.com",
            "--until",
            &until,
            "--policy-file",
            f.p(),
            "--in-place",
            "--format",
            "json",
        ])
        .run()
        .ok()
        .json()
    };
    let first = grant();
    assert_eq!(first["granted"].as_array().map(Vec::len), Some(1), "{first}");
    let written = f.bytes();
    let modified = std::fs::metadata(&f.path).unwrap().modified().unwrap();
    let second = grant();
    assert_eq!(
        (second["unchanged"].as_array().map(Vec::len), &second["granted"], &second["extended"]),
        (Some(1), &json!([]), &json!([])),
        "{second}"
    );
    assert_eq!(f.bytes(), written);
    assert_eq!(std::fs::metadata(&f.path).unwrap().modified().unwrap(), modified, "not rewritten");
}

#[test]
fn revoke_members_or_all_never_untimed() {
    let f = File::new(&fixture());
    let before = f.json();
    let report = jit(&[
        "revoke",
        "roles/storage.objectViewer",
        "--member",
        "carol@example.com",
        "--policy-file",
        f.p(),
        "--in-place",
        "--format",
        "json",
    ])
    .run()
    .ok()
    .json();
    assert_eq!(members_of(&report["removed"]), ["roles/storage.objectViewer user:carol@example.com"]);
    assert_eq!(report["resources"], 1);
    let rows =
        jit(&["list", "--policy-file", f.p(), "--role", "roles/storage.objectViewer"]).run().ok().json();
    assert_eq!(members_of(&rows), ["roles/storage.objectViewer user:dan@example.com"]);
    let report = jit(&[
        "revoke",
        "roles/compute.admin",
        "--all-members",
        "--policy-file",
        f.p(),
        "--in-place",
        "--format",
        "json",
    ])
    .run()
    .ok()
    .json();
    assert_eq!(members_of(&report["removed"]), ["roles/compute.admin user:erin@example.com"]);
    let after = f.json();
    let eligibility = &bindings(&before)[5];
    assert!(bindings(&after).contains(eligibility), "the JIT Access eligibility marker is never touched");
    let none = jit(&[
        "revoke",
        "roles/storage.admin",
        "--all-members",
        "--policy-file",
        f.p(),
        "--in-place",
        "--format",
        "table",
    ])
    .run()
    .ok();
    // One answer, as against the API (issue 12 item 8): the line, not an empty report.
    assert_eq!(none.stderr, "Nothing to revoke.\n");
    assert_eq!(none.stdout, "", "no `Removed 0 …` line beside it");
    // Without --in-place stdout still carries the policy, unchanged, for the next pipe.
    let printed = jit(&["revoke", "roles/storage.admin", "--all-members", "--policy-file", f.p()]).run().ok();
    assert_eq!(printed.stderr, "Nothing to revoke.\n");
    let out: serde_json::Value = serde_json::from_str(&printed.stdout).unwrap();
    assert_eq!(out["bindings"], f.json()["bindings"], "the policy goes on down the pipe");
    assert!(
        bindings(&f.json()).iter().any(|b| b["role"] == "roles/storage.admin"),
        "an unconditional binding is never revoked"
    );
}

#[test]
fn cleanup_removes_only_what_can_never_grant_again() {
    let f = File::new(&fixture());
    let report = jit(&["cleanup", "--policy-file", f.p(), "--dry-run", "--format", "json"]).run().ok().json();
    assert_eq!(members_of(&report["removed"]).len(), 2);
    assert_eq!(report["dryRun"], true);
    let report = jit(&["cleanup", "--only-jit", "--policy-file", f.p(), "--format", "json", "--dry-run"])
        .run()
        .ok()
        .json();
    assert_eq!(members_of(&report["removed"]), ["roles/logging.viewer user:old@example.com"]);
    let report = jit(&["cleanup", "--grace", "2h", "--policy-file", f.p(), "--format", "json", "--dry-run"])
        .run()
        .ok()
        .json();
    assert_eq!(
        members_of(&report["removed"]),
        ["roles/logging.viewer user:old@example.com"],
        "gimme's ended 1h ago, inside the grace"
    );
    let before = f.json();
    let run = jit(&["cleanup", "--policy-file", f.p(), "--in-place", "--format", "json"]).run().ok();
    assert_eq!(run.json()["removed"].as_array().unwrap().len(), 2);
    let after = f.json();
    assert_eq!(bindings(&after).len(), bindings(&before).len() - 2);
    assert_eq!(after["auditConfigs"], before["auditConfigs"]);
    assert_eq!(bindings(&after)[4]["someFutureField"], json!({"kept": true}), "unknown fields survive");
    // Idempotent, as cron wants.
    let again = jit(&["cleanup", "--policy-file", f.p(), "--in-place", "--format", "json"]).run().ok().json();
    assert_eq!(again["removed"], json!([]));
}

/// Every bad input: exit 2, one clear first line, the file byte-identical.
#[test]
fn bad_input_is_refused_before_anything_is_written() {
    let f = File::new(&fixture());
    let before = f.bytes();
    let p = f.p();
    let cases: &[(&[&str], &str)] = &[
        (
            &["grant", "roles/owner", "--member", "a@example.com"],
            "error: role `roles/owner` cannot be granted with a condition",
        ),
        (
            &["grant", "roles/editor", "--member", "a@example.com"],
            "error: role `roles/editor` cannot be granted with a condition",
        ),
        (
            &["grant", "roles/dlp.user", "--member", "allUsers"],
            "error: `allUsers` cannot be granted access with a condition",
        ),
        (
            &["grant", "roles/dlp.user", "--member", "allAuthenticatedUsers"],
            "error: `allAuthenticatedUsers` cannot be granted access with a condition",
        ),
        (&["grant", "roles/dlp.user", "--member", "alice"], "error: `alice` is not a principal"),
        (
            &["grant", "roles/dlp.user", "--member", "robot:x@example.com"],
            "error: `robot:x@example.com` is not a principal",
        ),
        (
            &["grant", "storage.admin", "--member", "a@example.com"],
            "error: `storage.admin` is not a role name; did you mean `roles/storage.admin` (Storage Admin), \
             `roles/storage.folderAdmin` (Storage Folder Admin) or `roles/storage.objectAdmin` (Storage Object Admin)?",
        ),
        (
            &["grant", "roles/a.b_withcond_0123456789abcdef0123", "--member", "a@example.com"],
            "error: role `roles/a.b_withcond_0123456789abcdef0123` is a version-1 view of a conditional binding, not a real role",
        ),
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--for", "0m"],
            "error: the duration `0m` is zero",
        ),
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--for", "-1h"],
            "error: the duration `-1h` is negative",
        ),
        (&["grant", "roles/a.b", "--member", "a@example.com", "--for", ""], "error: the duration is empty"),
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--for", "2 hours"],
            "error: `2 hours` is not a duration",
        ),
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--for", "13h"],
            "error: `13h` is longer than the maximum of 12h",
        ),
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--until", "2020-01-01T00:00:00Z"],
            "error: the end `2020-01-01T00:00:00Z` is in the past",
        ),
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--until", "tomorrow"],
            "error: `tomorrow` is not a time",
        ),
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--start", "2020-01-01T00:00:00Z"],
            "error: the start `2020-01-01T00:00:00Z` is in the past",
        ),
        (&["grant", "roles/dlp.user"], "error: --member is required with --policy-file"),
        (&["revoke", "roles/dlp.user"], "error: --member or --all-members is required with --policy-file"),
        (
            &["cleanup", "--recursive"],
            "error: --recursive reads resources through the API and cannot work on a policy file",
        ),
        (&["cleanup", "--grace", "soon"], "error: `soon` is not a duration"),
        // Issue 8 defects 4 and 5: past CEL's last timestamp, or past chrono's range (a panic).
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--for", "99999999d"],
            "error: a grant of `99999999d` would end after 9999-12-31T23:59:59Z, the latest time an IAM condition can hold",
        ),
        (
            &[
                "grant",
                "roles/dlp.user",
                "--member",
                "a@example.com",
                "--for",
                "9999999d",
                "--max-duration",
                "99999999d",
            ],
            "error: a grant of `9999999d` would end after 9999-12-31T23:59:59Z, the latest time an IAM condition can hold",
        ),
        (
            &[
                "grant",
                "roles/dlp.user",
                "--member",
                "a@example.com",
                "--start",
                "9999-12-31T23:00:00Z",
                "--for",
                "2h",
            ],
            "error: a grant of `2h` would end after 9999-12-31T23:59:59Z, the latest time an IAM condition can hold",
        ),
        (
            &[
                "grant",
                "roles/dlp.user",
                "--member",
                "a@example.com",
                "--until",
                "9999-12-31T23:59:59-01:00",
                "--max-duration",
                "99999999d",
            ],
            "error: the end `+10000-01-01T00:59:59Z` is after 9999-12-31T23:59:59Z, the latest time an IAM condition can hold",
        ),
        (
            &["cleanup", "--grace", "99999999d"],
            "error: the grace `99999999d` reaches back before 0001-01-01T00:00:00Z, the earliest time an IAM condition can hold",
        ),
        (&["list", "--member", "nobody"], "error: `nobody` is not a principal"),
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--project", "Bad_Project"],
            "error: `Bad_Project` is not a valid project ID",
        ),
        (
            &["grant", "roles/dlp.user", "--member", "a@example.com", "--folder", "abc"],
            "error: `abc` is not a folder number",
        ),
    ];
    let mut failures = Vec::new();
    for (args, want) in cases {
        let mut full = args.to_vec();
        full.extend_from_slice(&["--policy-file", p]);
        if args[0] != "list" {
            full.push("--in-place");
        }
        let run = jit(&full).run();
        if (run.code, run.error_line()) != (2, *want) {
            failures.push(format!(
                "{args:?}: exit {}, stderr {:?}\n  want exit 2, {want:?}",
                run.code, run.stderr
            ));
        }
        if run.stderr.lines().count() > 2 {
            failures.push(format!("{args:?}: more than two lines: {:?}", run.stderr));
        }
        if !run.stdout.is_empty() {
            failures.push(format!("{args:?}: printed {:?}", run.stdout));
        }
        if f.bytes() != before {
            failures.push(format!("{args:?} touched the file"));
            std::fs::write(&f.path, &before).unwrap();
        }
    }
    every_case_passed(&failures);
    // Clap's own usage errors also exit 2.
    let run = jit(&["grant", "roles/dlp.user", "--for", "1h", "--until", "18:00", "--policy-file", p]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = jit(&["grant", "--policy-file", p]).run();
    assert_eq!(run.code, 2);
}

#[test]
fn bad_policies_are_refused() {
    let cases: &[(&str, &str)] = &[
        ("{\"bindings\": [", "is not an IAM policy"),
        ("", "is empty, not a policy"),
        ("<html>404</html>", "is not an IAM policy"),
        (
            "{\"bindings\": [{\"role\": \"roles/a.b_withcond_0123456789abcdef0123\", \"members\": [\"user:a@example.com\"]}]}",
            "the policy is a version-1 view of conditional bindings",
        ),
    ];
    let mut failures = Vec::new();
    for (text, want) in cases {
        let f = File::raw(text);
        for args in [
            vec![
                "grant",
                "roles/dlp.user",
                "--member",
                "a@example.com",
                "--policy-file",
                f.p(),
                "--in-place",
            ],
            vec!["cleanup", "--policy-file", f.p(), "--in-place"],
            vec!["revoke", "roles/dlp.user", "--all-members", "--policy-file", f.p(), "--in-place"],
            // Issue 8 defect 8: list said there was nothing on a version-1 view, exit 0.
            vec!["list", "--policy-file", f.p()],
        ] {
            let run = jit(&args).run();
            if run.code != 2 || !run.error_line().contains(want) || !run.stdout.is_empty() {
                failures.push(format!(
                    "{} on {text:?}: exit {}, stdout {:?}, stderr {:?}\n  want exit 2 and {want:?}",
                    args[0], run.code, run.stdout, run.stderr
                ));
            }
            if std::fs::read_to_string(&f.path).unwrap() != *text {
                failures.push(format!("{} on {text:?} changed the file", args[0]));
            }
        }
    }
    every_case_passed(&failures);
    let run = jit(&["list", "--policy-file", "/nonexistent/policy.json"]).run().code(2);
    assert_eq!(
        run.error_line(),
        "error: cannot read the policy file `/nonexistent/policy.json`: no such file"
    );
    let run: Run =
        jit(&["grant", "roles/dlp.user", "--member", "a@example.com", "--policy-file", "-", "--in-place"])
            .run()
            .code(2);
    assert_eq!(run.error_line(), "error: --in-place cannot write back to stdin");
}

#[test]
fn googles_limits_are_checked_before_writing() {
    let members: Vec<String> = (0..1500).map(|i| format!("user:u{i}@example.com")).collect();
    let full =
        json!({"bindings": [{"role": "roles/viewer", "members": members}], "etag": "BwX=", "version": 1});
    let f = File::new(&full);
    let before = f.bytes();
    let run =
        jit(&["grant", "roles/dlp.user", "--member", "a@example.com", "--policy-file", f.p(), "--in-place"])
            .run()
            .code(2);
    assert_eq!(
        run.error_line(),
        format!("error: the policy of `{}` would hold 1501 principals, over Google's limit of 1500", f.p())
    );
    assert_eq!(f.bytes(), before);

    // Principals exempted from audit logging count towards the limit, as Google counts them
    // (issue 8 defect 9).
    let members: Vec<String> = (0..1499).map(|i| format!("user:u{i}@example.com")).collect();
    let exempting = json!({
        "auditConfigs": [{"service": "allServices", "auditLogConfigs": [
            {"logType": "DATA_READ", "exemptedMembers": ["user:u0@example.com"]}]}],
        "bindings": [{"role": "roles/viewer", "members": members}],
        "etag": "BwX=",
        "version": 1
    });
    let f = File::new(&exempting);
    let before = f.bytes();
    let run =
        jit(&["grant", "roles/dlp.user", "--member", "a@example.com", "--policy-file", f.p(), "--in-place"])
            .run()
            .code(2);
    assert_eq!(
        run.error_line(),
        format!("error: the policy of `{}` would hold 1501 principals, over Google's limit of 1500", f.p())
    );
    assert_eq!(f.bytes(), before);

    let twenty: Vec<Value> = (0..20)
        .map(|i| json!({"role": "roles/dlp.user", "members": ["user:a@example.com"], "condition": {"title": format!("t{i}"), "expression": format!("request.time < timestamp(\"2099-01-01T00:00:00Z\") && {i} == {i}")}}))
        .collect();
    let f = File::new(&json!({"bindings": twenty}));
    let run =
        jit(&["grant", "roles/dlp.user", "--member", "a@example.com", "--policy-file", f.p(), "--in-place"])
            .run()
            .code(2);
    assert_eq!(
        run.error_line(),
        format!(
            "error: `user:a@example.com` would be in 21 bindings of `roles/dlp.user` on `{}`, over Google's limit of 20",
            f.p()
        )
    );
}

/// Numbers in fields jit does not know come back with every digit (issue 8 defect 10: a 23-digit
/// integer became a float).
#[test]
fn unknown_numbers_keep_every_digit() {
    let text = r#"{"bindings": [{"role": "roles/viewer", "members": ["user:a@example.com"], "weight": 0.1000000000000000000000001}],
        "future": {"big": 12345678901234567890123, "neg": -98765432109876543210}, "etag": "BwX=", "version": 3}"#;
    let f = File::raw(text);
    jit(&["grant", "roles/dlp.user", "--member", "x@example.com", "--policy-file", f.p(), "--in-place"])
        .run()
        .ok();
    let after = String::from_utf8(f.bytes()).unwrap();
    for number in ["12345678901234567890123", "-98765432109876543210", "0.1000000000000000000000001"] {
        assert!(after.contains(number), "{number} lost:\n{after}");
    }
}

/// The names in a policy file's directory: what `--in-place` leaves behind.
fn dir_entries(f: &File) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(f.path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `--in-place` on a symlink replaces the file it points to, and keeps the link (issue 8 defect
/// 11: the link was replaced by a regular file and the target left as it was).
#[test]
fn in_place_writes_through_a_symlink() {
    let f = File::new(&fixture());
    let link = f.path.with_file_name("link.json");
    std::os::unix::fs::symlink(&f.path, &link).unwrap();
    let report = jit(&[
        "grant",
        "roles/dlp.user",
        "--member",
        "x@example.com",
        "--policy-file",
        link.to_str().unwrap(),
        "--in-place",
        "--format",
        "json",
    ])
    .run()
    .ok()
    .json();
    assert_eq!(members_of(&report["granted"]), ["roles/dlp.user user:x@example.com"]);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "still a link");
    assert!(
        bindings(&f.json()).iter().any(|b| b["role"] == "roles/dlp.user"),
        "the target has the grant: {}",
        f.json()
    );
    assert_eq!(dir_entries(&f), ["link.json", "policy.json"], "no temporary file left");
}

/// A file nobody may write (mode 0444) is refused, even for root, before anything is written;
/// no temporary file is left (issue 8 defect 11: it was replaced anyway).
#[test]
fn in_place_refuses_a_read_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let f = File::new(&fixture());
    std::fs::set_permissions(&f.path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = f.bytes();
    let run =
        jit(&["grant", "roles/dlp.user", "--member", "x@example.com", "--policy-file", f.p(), "--in-place"])
            .run()
            .code(2);
    assert_eq!(run.error_line(), format!("error: `{}` is read-only; jit will not replace it", f.p()));
    assert_eq!(f.bytes(), before);
    assert_eq!(std::fs::metadata(&f.path).unwrap().permissions().mode() & 0o777, 0o444);
    assert_eq!(dir_entries(&f), ["policy.json"]);
    // Without --in-place the edited policy still goes to stdout.
    jit(&["grant", "roles/dlp.user", "--member", "x@example.com", "--policy-file", f.p()]).run().ok();
}

/// A write killed by SIGTERM while its temporary file exists leaves neither that file nor a
/// half-written policy: the signal waits until the file is renamed or removed (issue 8 defect 11).
#[test]
fn a_killed_in_place_write_leaves_no_temporary_file() {
    let mut policy = fixture();
    // Tens of MB in a field jit keeps, so that the write takes long enough to be caught.
    policy["padding"] = json!("x".repeat(40 * 1024 * 1024));
    let f = File::new(&policy);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jit"))
        .args([
            "grant",
            "roles/dlp.user",
            "--member",
            "x@example.com",
            "--policy-file",
            f.p(),
            "--in-place",
            "--quiet",
        ])
        .env("TZ", "UTC")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut caught = false;
    while child.try_wait().unwrap().is_none() && started.elapsed() < std::time::Duration::from_secs(60) {
        if dir_entries(&f).iter().any(|n| n.ends_with(".tmp")) {
            // SAFETY: sends SIGTERM to the child this test started, by its id.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            caught = true;
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(caught, "the temporary file of a 40 MB write was never seen ({status:?})");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGTERM), "the signal still ends jit, after the write");
    assert_eq!(dir_entries(&f), ["policy.json"], "no temporary file left");
    let after = f.json();
    assert_eq!(after["padding"].as_str().map(str::len), Some(40 * 1024 * 1024), "old or new, never a mix");
}

/// What is read from a policy file is capped: `/dev/zero` ended only when memory did (issue 8
/// defect 7).
#[test]
fn endless_policy_files_are_cut_off() {
    let run = jit(&["list", "--policy-file", "/dev/zero"]).run().code(2);
    assert_eq!(
        run.error_line(),
        "error: cannot read the policy file `/dev/zero`: it is larger than 64 MiB, more than any IAM policy can be"
    );
    let run = jit(&["list", "--policy-file", "-"]).stdin(vec![b' '; 64 * 1024 * 1024 + 1]).run().code(2);
    assert_eq!(
        run.error_line(),
        "error: cannot read the policy from stdin: it is larger than 64 MiB, more than any IAM policy can be"
    );
}

#[test]
fn quiet_prints_only_the_policy() {
    let f = File::new(&fixture());
    let run =
        jit(&["grant", "roles/dlp.user", "--member", "a@example.com", "--policy-file", f.p(), "--quiet"])
            .run()
            .ok();
    assert_eq!(run.stderr, "");
    let policy = run.json();
    let granted: Vec<&Value> = bindings(&policy).iter().filter(|b| b["role"] == "roles/dlp.user").collect();
    assert_eq!(granted.len(), 1, "{policy}");
    assert_eq!(granted[0]["members"], json!(["user:a@example.com"]));
}
