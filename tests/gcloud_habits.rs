//! What a gcloud user types and expects (issue 19 items 3 and 5): `--quiet` asks nothing and
//! proceeds, as gcloud's does; gcloud's spellings get hints.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::harness::{self, Emulator};

const DEV: &str = "jit-demo-dev";

/// `jit ARGS` on a terminal (util-linux `script` gives it a pseudo-terminal for stdin, stdout and
/// stderr), typing `typed`; returns what the terminal showed. `None` when `script` is missing.
fn on_a_terminal(emu: &Emulator, args: &[&str], typed: &str) -> Option<String> {
    let token = emu.token_file("alice-token");
    let mut line = format!(
        "{} --endpoint {} --access-token-file {}",
        env!("CARGO_BIN_EXE_jit"),
        emu.url,
        token.display()
    );
    for a in args {
        line.push(' ');
        line.push_str(a);
    }
    let child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("TZ", "UTC")
        .env("TERM", "dumb")
        .env("CLOUDSDK_CONFIG", "/nonexistent-jit-test-gcloud")
        .env("XDG_CONFIG_HOME", "/nonexistent-jit-test-config")
        .env_remove("JIT_CONFIG")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        harness::skipped("script", "install util-linux (`script`)");
        return None;
    };
    child.stdin.take().unwrap().write_all(typed.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn members(emu: &Emulator, role: &str) -> Vec<String> {
    emu.stored(&format!("projects/{DEV}"))
        .bindings
        .iter()
        .filter(|b| b.role == role)
        .flat_map(|b| b.members.clone())
        .collect()
}

/// Issue 19 item 3: on a terminal a grant shows its plan and asks (typing `n` cancels); with
/// `--quiet` it asks nothing and shows no plan, and the grant is made, as gcloud's `--quiet`
/// takes the answer that proceeds.
#[test]
fn quiet_asks_nothing_and_proceeds_on_a_terminal() {
    let emu = harness::emulator().start();
    let grant =
        ["grant", "roles/logging.viewer", "--for", "1h", "--member", "bob@example.com", "--project", DEV];
    let Some(shown) = on_a_terminal(&emu, &grant, "n\n") else { return };
    assert!(shown.contains("Apply this change?"), "{shown}");
    assert!(shown.contains("Cancelled; nothing was written."), "{shown}");
    assert!(members(&emu, "roles/logging.viewer").is_empty());

    let mut quiet = vec!["--quiet"];
    quiet.extend_from_slice(&grant);
    let shown = on_a_terminal(&emu, &quiet, "n\n").unwrap();
    assert!(!shown.contains("Apply this change?"), "{shown}");
    assert!(!shown.contains("roles/logging.viewer"), "no plan, no table: {shown}");
    assert_eq!(members(&emu, "roles/logging.viewer"), ["user:bob@example.com"]);
}

/// Issue 19 item 3: `--quiet --format table` prints the table asked for by name, and on an
/// empty listing still says on stderr that nothing is there.
#[test]
fn quiet_with_a_table_asked_for_by_name_still_answers() {
    let emu = harness::emulator().start();
    let run = emu.jit(&["--quiet", "--format", "table", "list", "--project", DEV]).run().ok();
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, format!("No time-bound bindings on `projects/{DEV}`.\n"));
    emu.jit(&[
        "grant",
        "roles/logging.viewer",
        "--for",
        "1h",
        "--member",
        "bob@example.com",
        "--project",
        DEV,
    ])
    .run()
    .ok();
    let run =
        emu.jit(&["-q", "--format", "table", "list", "--project", DEV]).env("COLUMNS", "200").run().ok();
    assert!(run.stdout.contains("user:bob@example.com"), "{}", run.stdout);
    assert_eq!(run.stderr, "");
}

/// Issue 19 item 5: gcloud's spellings get hints in gcloud's terms (clap alone suggested
/// `--folder` for `--role`), and gcloud's `--format` values are refused naming jit's; all exit 2
/// before anything is sent.
#[test]
fn gcloud_spellings_get_gcloud_aware_hints() {
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["grant", "--role=roles/logging.viewer", "--for", "1h", "--project", DEV],
            "error: unexpected argument `--role`: that is gcloud's spelling",
            "  hint: the role is the first argument: `jit grant ROLE …` (several: `jit grant ROLE ROLE`)",
        ),
        (
            &["revoke", "--role", "roles/logging.viewer", "--project", DEV],
            "error: unexpected argument `--role`: that is gcloud's spelling",
            "  hint: the role is the first argument: `jit revoke ROLE …` (several: `jit revoke ROLE ROLE`)",
        ),
        (
            &[
                "grant",
                "roles/logging.viewer",
                "--condition=expression=request.time<x,title=t",
                "--project",
                DEV,
            ],
            "error: unexpected argument `--condition`: that is gcloud's spelling",
            "  hint: jit writes the condition itself: give the length with --for DURATION or --until TIME (and --start \
             TIME), and the reason with --reason",
        ),
        (
            &["list", "--filter", "bindings.role:roles/owner", "--project", DEV],
            "error: unexpected argument `--filter`: that is gcloud's spelling",
            "  hint: jit has no --filter: narrow with --member and --role (list, history), or read `--format json` with jq",
        ),
        (
            &["grant", "roles/logging.viewer", "--duration", "1h", "--project", DEV],
            "error: unexpected argument `--duration`: that is gcloud's spelling",
            "  hint: the length is --for DURATION (1h, 90m, 1d), or --until TIME",
        ),
        (
            &["list", "--project", DEV, "--format", "value(bindings.role)"],
            "error: `--format value(bindings.role)` is gcloud's; jit's formats are table, json and yaml",
            "  hint: read fields from `--format json` (its shape is in docs/output.md) with jq, e.g. `jit list --format \
             json | jq -r '.[].member'`; --quiet prints no table",
        ),
        (
            &["list", "--project", DEV, "--format=csv"],
            "error: `--format csv` is gcloud's; jit's formats are table, json and yaml",
            "  hint: read fields from `--format json` (its shape is in docs/output.md) with jq, e.g. `jit list --format \
             json | jq -r '.[].member'`; --quiet prints no table",
        ),
    ];
    for (args, error, hint) in cases {
        let run = crate::support::jit(args).run().code(2);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines, [*error, *hint], "{args:?}");
    }
    // Not a gcloud spelling: clap's own message, which lists jit's formats.
    let run = crate::support::jit(&["list", "--project", DEV, "--format", "xml"]).run().code(2);
    assert!(run.stderr.contains("[possible values: table, json, yaml]"), "{}", run.stderr);
}
