//! The team config (issue 11 item 1): `jit config check`, and `jit grant` with bundles, limits,
//! denied roles and required reasons, against the emulator.

use serde_json::{Value, json};

use crate::harness;
use crate::support::jit;

const PROD: &str = "jit-demo-prod";
const DEV: &str = "jit-demo-dev";

/// The issue's example, on the demo seed's projects.
pub const CONFIG: &str = r#"max_duration = "8h"
require_reason = true
reason_pattern = "^(INC|CHG)-[0-9]+"
denied_roles = ["roles/iam.serviceAccountKeyAdmin"]

[roles."roles/logging.viewer"]
max_duration = "2h"

[bundles.oncall-payments]
roles = ["roles/logging.viewer", "roles/storage.objectViewer"]
projects = ["jit-demo-prod", "jit-demo-dev"]      # also folders, organizations, resources (full names)
max_duration = "4h"
"#;

fn writes(emu: &harness::Emulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .filter(|p| p.ends_with(":setIamPolicy"))
        .collect()
}

/// The members of `role`'s conditional bindings, with their condition titles' reason.
fn bound(emu: &harness::Emulator, resource: &str, role: &str) -> Vec<String> {
    let mut out: Vec<String> = emu
        .stored(resource)
        .bindings
        .iter()
        .filter(|b| b.role == role && b.condition.is_some())
        .flat_map(|b| b.members.clone())
        .collect();
    out.sort();
    out
}

#[test]
fn a_bundle_is_granted_on_its_resources_in_one_write_each() {
    let emu = harness::emulator().start();
    let config = emu.file("team.toml", CONFIG);
    let c = config.to_str().unwrap();
    let report = emu
        .jit(&[
            "--config",
            c,
            "grant",
            "@oncall-payments",
            "--for",
            "2h",
            "--reason",
            "INC-42",
            "--member",
            "bob@example.com",
            "--format",
            "json",
        ])
        .run()
        .ok()
        .json();
    let granted: Vec<(String, String)> = report["granted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["resource"].as_str().unwrap().to_string(), g["role"].as_str().unwrap().to_string()))
        .collect();
    let mut granted = granted;
    granted.sort();
    assert_eq!(
        granted,
        [
            ("projects/jit-demo-dev".to_string(), "roles/logging.viewer".to_string()),
            ("projects/jit-demo-dev".to_string(), "roles/storage.objectViewer".to_string()),
            ("projects/jit-demo-prod".to_string(), "roles/logging.viewer".to_string()),
            ("projects/jit-demo-prod".to_string(), "roles/storage.objectViewer".to_string()),
        ]
    );
    let mut w = writes(&emu);
    w.sort();
    assert_eq!(w, ["/v3/projects/jit-demo-dev:setIamPolicy", "/v3/projects/jit-demo-prod:setIamPolicy"]);
    for p in [PROD, DEV] {
        for role in ["roles/logging.viewer", "roles/storage.objectViewer"] {
            assert_eq!(bound(&emu, &format!("projects/{p}"), role), ["user:bob@example.com"], "{p} {role}");
        }
    }

    // Narrowed to one of the bundle's projects: only there.
    emu.jit(&[
        "--config",
        c,
        "grant",
        "@oncall-payments",
        "--for",
        "1h",
        "--reason",
        "CHG-1",
        "--member",
        "carol@example.com",
        "--project",
        DEV,
    ])
    .run()
    .ok();
    assert_eq!(
        bound(&emu, &format!("projects/{DEV}"), "roles/logging.viewer"),
        ["user:bob@example.com", "user:carol@example.com"]
    );
    assert_eq!(bound(&emu, &format!("projects/{PROD}"), "roles/logging.viewer"), ["user:bob@example.com"]);
}

#[test]
fn the_team_config_refuses_before_anything_is_sent() {
    let emu = harness::emulator().start();
    let config = emu.file("team.toml", CONFIG);
    let c = config.to_str().unwrap();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["grant", "@oncall-payments", "--for", "5h", "--reason", "INC-1"],
            "error: `5h` is longer than the maximum of 2h for `roles/logging.viewer`",
            "`roles.\"roles/logging.viewer\".max_duration`",
        ),
        (
            &["grant", "roles/storage.objectViewer", "--for", "9h", "--reason", "INC-1", "--project", PROD],
            "error: `9h` is longer than the maximum of 8h for `roles/storage.objectViewer`",
            "`max_duration` in the team config",
        ),
        (
            &["grant", "roles/storage.objectViewer", "--for", "1h", "--project", PROD],
            "error: a reason is required by the team config",
            "add --reason TEXT matching `^(INC|CHG)-[0-9]+`",
        ),
        (
            &["grant", "roles/storage.objectViewer", "--reason", "just because", "--project", PROD],
            "error: the reason `just because` does not match `^(INC|CHG)-[0-9]+`",
            "",
        ),
        (
            &["grant", "roles/iam.serviceAccountKeyAdmin", "--reason", "INC-1", "--project", PROD],
            "error: role `roles/iam.serviceAccountKeyAdmin` is denied by the team config",
            "denied_roles",
        ),
        (
            &["grant", "@nope", "--reason", "INC-1"],
            "error: there is no bundle `@nope` in",
            "bundles: `@oncall-payments`",
        ),
        (
            &["grant", "@oncall-payments", "roles/pubsub.viewer", "--reason", "INC-1"],
            "error: a bundle is granted on its own",
            "",
        ),
        (
            &["grant", "@oncall-payments", "--reason", "INC-1", "--project", "other-project-1"],
            "error: `projects/other-project-1` is not one of the resources of bundle `@oncall-payments`",
            "",
        ),
    ];
    for (args, first, hint) in cases {
        let mut full = vec!["--config", c];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--member", "bob@example.com"]);
        let run = emu.jit(&full).run().code(2);
        assert!(run.error_line().starts_with(first), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(hint), "{args:?}: {}", run.stderr);
    }
    assert_eq!(writes(&emu), Vec::<String>::new(), "nothing was written");
    assert!(
        emu.requests().iter().all(|r| !r["path"].as_str().unwrap_or("").contains("getIamPolicy")),
        "nothing was read"
    );
}

#[test]
fn the_file_is_found_the_documented_ways() {
    let emu = harness::emulator().start();
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("service/deploy");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(dir.path().join("jit.toml"), "denied_roles = [\"roles/pubsub.viewer\"]\n").unwrap();
    let grant = ["grant", "roles/pubsub.viewer", "--project", PROD, "--member", "bob@example.com"];
    // The search goes up only inside a repository (issue 17 item 2): mark `dir` as its root.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    // A jit.toml in a parent directory.
    let run = emu.jit(&grant).current_dir(&nested).run().code(2);
    assert!(run.error_line().contains("is denied by the team config"), "{}", run.stderr);
    // JIT_CONFIG names another file, which wins.
    let other = emu.file("other.toml", "max_duration = \"1h\"\n");
    let for_2h = [&grant[..], &["--for", "2h"]].concat();
    let run = emu.jit(&for_2h).current_dir(&nested).env("JIT_CONFIG", &other).run().code(2);
    assert_eq!(run.error_line(), "error: `2h` is longer than the maximum of 1h for `roles/pubsub.viewer`");
    assert!(run.stderr.contains("`max_duration` in the team config"), "{}", run.stderr);
    // $XDG_CONFIG_HOME/jit/config.toml when nothing else is found.
    let xdg = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(xdg.path().join("jit")).unwrap();
    std::fs::write(xdg.path().join("jit/config.toml"), "projects = [\"jit-demo-dev\"]\n").unwrap();
    let listed = emu
        .jit(&["list", "--format", "json"])
        .env("XDG_CONFIG_HOME", xdg.path())
        .current_dir(xdg.path())
        .run()
        .ok();
    assert_eq!(listed.json(), json!([]));
    let reads: Vec<Value> = emu
        .requests()
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap_or("").ends_with(":getIamPolicy"))
        .collect();
    assert_eq!(
        reads.last().unwrap()["path"],
        "/v3/projects/jit-demo-dev:getIamPolicy",
        "the config's default scope"
    );
    // A policy file is its own scope: the config's default scopes do not name it.
    let file =
        emu.file("p.json", r#"{"bindings": [{"role": "roles/owner", "members": ["user:a@example.com"]}]}"#);
    let run = jit(&["audit", "--policy-file", file.to_str().unwrap(), "--format", "json"])
        .env("XDG_CONFIG_HOME", xdg.path())
        .current_dir(xdg.path())
        .run()
        .code(1);
    assert_eq!(run.json()[0]["resource"], file.to_str().unwrap());
    // A broken file stops the command with its line and column.
    std::fs::write(
        xdg.path().join("jit/config.toml"),
        "projects = [\"jit-demo-dev\"]\nmax_duraton = \"1h\"\n",
    )
    .unwrap();
    let run = emu.jit(&["list"]).env("XDG_CONFIG_HOME", xdg.path()).current_dir(xdg.path()).run().code(2);
    assert!(
        run.error_line().ends_with("config.toml`, line 2, column 1: unknown key `max_duraton`, expected one of `max_duration`, `default_duration`, `require_reason`, `reason_pattern`, `denied_roles`, `sensitive_roles`, `projects`, `folders`, `organizations`, `resources`, `roles`, `bundles`, `entitlements`, `notify`, `audit`"),
        "{}",
        run.stderr
    );
}

#[test]
fn config_check_reports_the_file_or_its_first_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("jit.toml");
    std::fs::write(&good, CONFIG).unwrap();
    let run = jit(&["config", "check", good.to_str().unwrap()]).run().ok();
    let out = run.json();
    assert_eq!(out["maxDuration"], "8h");
    assert_eq!(out["reasonPattern"], "^(INC|CHG)-[0-9]+");
    assert!(out.get("max_duration").is_none(), "camelCase keys, as every JSON of jit (issue 19 item 14)");
    assert_eq!(out["roles"], json!({"roles/logging.viewer": {"maxDuration": "2h"}}));
    assert_eq!(
        out["bundles"]["oncall-payments"],
        json!({
            "roles": ["roles/logging.viewer", "roles/storage.objectViewer"],
            "resources": [
                "//cloudresourcemanager.googleapis.com/projects/jit-demo-prod",
                "//cloudresourcemanager.googleapis.com/projects/jit-demo-dev"
            ],
            "maxDuration": "4h"
        })
    );
    // Found in the current directory with no argument; a table says it in one line.
    let run = jit(&["config", "check", "--format", "table"]).current_dir(dir.path()).run().ok();
    assert_eq!(
        run.stdout,
        format!(
            "{}: valid; 1 bundle (@oncall-payments (2 roles on 2 resources)), 1 role limit, 1 denied role\n",
            good.display()
        )
    );
    let bad: &[(&str, &str)] = &[
        ("max_duration = \"8x\"\n", "line 1, column 16: `8x` is not a duration"),
        (
            "[bundles.b]\nroles = [\"roles/logging.veiwer\"]\n",
            "line 2, column 10: `roles/logging.veiwer` is not a predefined role; did you mean `roles/logging.viewer`",
        ),
        (
            "reason_pattern = \"(INC\"\n",
            "line 1, column 18: `(INC` is not a valid regular expression: unclosed group",
        ),
        (
            "[roles.\"roles/logging.viewer\"]\nmax_duration = \"2 hours\"\n",
            "line 2, column 16: `2 hours` is not a duration",
        ),
    ];
    for (text, want) in bad {
        std::fs::write(&good, text).unwrap();
        let run = jit(&["config", "check", good.to_str().unwrap()]).run().code(2);
        assert!(
            run.error_line().starts_with(&format!("error: `{}`, {want}", good.display())),
            "{text}: {}",
            run.stderr
        );
    }
    let empty = tempfile::tempdir().unwrap();
    let run = jit(&["config", "check"]).current_dir(empty.path()).run().code(2);
    assert_eq!(run.error_line(), "error: no team config found");
}

/// docs/usage.md's jit.toml is the issue's example on the demo's projects, and is marked as the
/// file the examples read (`<!-- file: jit.toml -->`): tests/examples.rs writes it, then runs the
/// section's commands as written, with their documented exit codes.
#[test]
fn the_usage_example_file_is_the_documented_one() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/usage.md")).unwrap();
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Team config, bundles, delegation and audit"))
        .expect("the team config section");
    let toml = section
        .split("<!-- file: jit.toml -->\n```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the example file, marked for tests/examples.rs");
    assert_eq!(toml, CONFIG, "the issue's example, on the demo's projects");
}

/// A file's `max_duration` above jit's default of 12h raises it; its `default_duration` is the
/// length of a grant without --for.
#[test]
fn the_file_s_maximum_and_default_length_replace_jit_s() {
    let emu = harness::emulator().start();
    let config = emu.file("long.toml", "max_duration = \"1d\"\ndefault_duration = \"3h\"\n");
    let c = config.to_str().unwrap();
    let grant = |args: &[&str]| {
        let mut full = vec![
            "--config",
            c,
            "grant",
            "roles/pubsub.viewer",
            "--member",
            "bob@example.com",
            "--project",
            DEV,
            "--format",
            "json",
        ];
        full.extend_from_slice(args);
        emu.jit(&full).run()
    };
    let long = grant(&["--for", "13h"]).ok().json();
    let expires = |v: &Value, key: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(v[key][0]["expires"].as_str().unwrap()).unwrap();
        (t.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes()
    };
    assert!((779..=780).contains(&expires(&long, "granted")), "13h: {long}");
    let run = grant(&["--for", "25h"]).code(2);
    assert_eq!(
        run.error_line(),
        "error: `25h` is longer than the maximum of 1d",
        "as typed (issue 12 item 9)"
    );
    let run = emu
        .jit(&[
            "--config",
            c,
            "grant",
            "roles/logging.viewer",
            "--member",
            "bob@example.com",
            "--project",
            DEV,
            "--format",
            "json",
        ])
        .run()
        .ok();
    assert!((179..=180).contains(&expires(&run.json(), "granted")), "3h by default: {}", run.stdout);
}

/// Issue 17 item 2: a team file never acts in silence. A command it changes names it in one line
/// on stderr (with the keys that set something); --verbose says where every setting came from;
/// a command it changes nothing of says nothing, and --quiet silences the line.
#[test]
fn a_team_file_that_changes_a_command_is_named() {
    let emu = harness::emulator().start();
    let config = emu.file("scopes.toml", "projects = [\"jit-demo-dev\"]\nmax_duration = \"1d\"\n");
    let c = config.to_str().unwrap();
    let shown = config.display().to_string();
    // emu.jit's token file.
    let token = emu.dir().join("alice-token.token").display().to_string();
    let run = emu.jit(&["--config", c, "list", "--format", "json"]).run().ok();
    assert_eq!(run.stderr, format!("note: the team config `{shown}` applies; it sets `projects`\n"));
    // The scope flag wins: the file changes nothing of `list`, and nothing is said.
    let run = emu.jit(&["--config", c, "list", "--project", PROD, "--format", "json"]).run().ok();
    assert_eq!(run.stderr, "");
    let run = emu.jit(&["--config", c, "--quiet", "list", "--format", "json"]).run().ok();
    assert_eq!(run.stderr, "");
    // A grant: the maximum (raised by the file) and the scopes came from the file.
    let run = emu
        .jit(&[
            "--config",
            c,
            "-v",
            "grant",
            "roles/pubsub.viewer",
            "--member",
            "bob@example.com",
            "--for",
            "13h",
        ])
        .run()
        .ok();
    let settings: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("jit: setting ")).collect();
    assert_eq!(
        settings,
        [
            format!("jit: setting team config = {shown} (from the command line (--config))").as_str(),
            format!("jit: setting access token file = {token} (from the command line (--access-token-file))")
                .as_str(),
            format!(
                "jit: setting scopes = projects/jit-demo-dev (from the team config `{shown}` (`projects`))"
            )
            .as_str(),
            "jit: setting format = json (from jit's default)",
            "jit: setting roles = roles/pubsub.viewer (from the command line (ROLE))",
            format!("jit: setting maximum = 1d (from the team config `{shown}` (`max_duration`))").as_str(),
            "jit: setting length = 13h (from the command line (--for))",
        ]
    );
    assert!(
        run.stderr.contains(&format!(
            "note: the team config `{shown}` applies; it sets `projects`, `max_duration`\n"
        )),
        "{}",
        run.stderr
    );
    // The environment comes before the file: JIT_MAX_DURATION sets the maximum then.
    let run = emu
        .jit(&[
            "--config",
            c,
            "-v",
            "grant",
            "roles/pubsub.viewer",
            "--member",
            "bob@example.com",
            "--for",
            "1h",
        ])
        .env("JIT_MAX_DURATION", "2h")
        .run()
        .ok();
    assert!(
        run.stderr.contains("jit: setting maximum = 2h (from the environment (JIT_MAX_DURATION))"),
        "{}",
        run.stderr
    );
}
