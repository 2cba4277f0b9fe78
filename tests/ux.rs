//! What a new user meets first: help that fits the terminal and says what applies, and a closed
//! stdout that ends jit quietly.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::support::jit;

const SUBCOMMANDS: [&str; 6] = ["grant", "list", "revoke", "cleanup", "emulator", "completions"];

fn help(args: &[&str], columns: &str) -> String {
    let mut all = args.to_vec();
    all.push("--help");
    jit(&all).env("COLUMNS", columns).run().ok().stdout
}

/// The widest line, in characters (help holds `–` and `…`).
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn help_fits_columns_up_to_120() {
    let mut wrong = Vec::new();
    for sub in std::iter::once(None).chain(SUBCOMMANDS.map(Some)) {
        let args: Vec<&str> = sub.into_iter().collect();
        let narrow = help(&args, "80");
        let wide = help(&args, "200");
        if widest(&narrow) > 80 {
            wrong.push(format!("`jit {args:?} --help` at COLUMNS=80 is {} wide:\n{narrow}", widest(&narrow)));
        }
        // Wider terminals get longer lines, up to cli::HELP_MAX_WIDTH.
        if !(81..=120).contains(&widest(&wide)) {
            wrong.push(format!("`jit {args:?} --help` at COLUMNS=200 is {} wide:\n{wide}", widest(&wide)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Not a number: clap's default for a pipe, 100.
    assert!((81..=100).contains(&widest(&help(&["grant"], "wide"))));
}

#[test]
fn every_example_of_jit_help_is_one_line_at_80_columns() {
    let text = help(&[], "80");
    let examples: Vec<&str> = text.lines().skip_while(|l| *l != "Examples:").skip(1).collect();
    assert_eq!(
        examples,
        [
            "  jit grant roles/storage.admin --for 2h --reason INC-42 --project my-project",
            "  jit list --organization 123456789012 --all",
            "  jit revoke roles/storage.admin --member bob@example.com --project my-project",
            "  jit cleanup --recursive --organization 123456789012 --dry-run",
            "  gcloud projects get-iam-policy P --format=json | jit list --policy-file -",
            "  jit --emulator grant roles/logging.viewer --for 2h --project jit-demo-prod",
        ]
    );
}

#[test]
fn command_options_come_before_the_global_ones() {
    let text = help(&["grant"], "200");
    let line_of = |flag: &str| {
        text.lines()
            .position(|l| l.trim_start().starts_with(flag) || l.contains(&format!(", {flag}")))
            .unwrap_or_else(|| panic!("no {flag}:\n{text}"))
    };
    let global = text.lines().position(|l| l == "Global options:").unwrap_or_else(|| panic!("{text}"));
    for own in
        ["--for", "--until", "--member", "--max-duration", "--yes", "--policy-file", "--in-place", "--help"]
    {
        assert!(line_of(own) < global, "{own} is among the global options:\n{text}");
    }
    for global_flag in ["--project", "--format", "--quiet", "--endpoint", "--retry-timeout"] {
        assert!(line_of(global_flag) > global, "{global_flag} is among grant's own options:\n{text}");
    }
}

#[test]
fn help_texts_say_what_jit_does() {
    // The environment variable is named, its value (here, or an empty one) never shown.
    let text =
        jit(&["grant", "--help"]).env("JIT_MAX_DURATION", "7h").env("COLUMNS", "200").run().ok().stdout;
    let line = text.lines().find(|l| l.contains("--max-duration")).unwrap();
    assert!(line.ends_with(" The longest grant allowed. Default: JIT_MAX_DURATION, else 12h"), "{line}");
    assert!(!text.contains("7h"), "{text}");
    assert!(!help(&["grant"], "200").contains("JIT_MAX_DURATION="));
    // list edits nothing.
    let list = help(&["list"], "200");
    assert!(!list.contains("edited policy goes"), "{list}");
    assert!(list.contains("Read the policy from a JSON file"), "{list}");
    // -q keeps what a script reads.
    let words = list.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("-q, --quiet Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)"),
        "{list}"
    );
    // And it does: JSON is printed under -q, a table is not.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(&file, big_policy(1)).unwrap();
    let f = file.to_str().unwrap();
    let json = jit(&["list", "-q", "--policy-file", f, "--format", "json"]).run().ok();
    assert_eq!(json.json().as_array().map(Vec::len), Some(1));
    let table = jit(&["list", "-q", "--policy-file", f, "--format", "table"]).run().ok();
    assert_eq!((table.stdout.as_str(), table.stderr.as_str()), ("", ""));
}

// ---------------------------------------------------------------------------------------------
// A closed stdout.

/// A policy of `n` time-bound bindings that end far in the future.
fn big_policy(n: usize) -> String {
    let bindings: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "condition": {
                    "expression": "request.time < timestamp(\"2999-01-01T00:00:00Z\")",
                    "title": "jit until 2999-01-01T00:00:00Z",
                    "description": format!("Granted by user:alice@example.com at 2026-01-01T00:00:00Z via jit. Reason: INC-{i}")
                },
                "members": [format!("user:member-{i}@example.com")],
                "role": "roles/storage.objectViewer"
            })
        })
        .collect();
    serde_json::json!({"bindings": bindings, "etag": "BwYmEJ6v3Xo=", "version": 3}).to_string()
}

/// Runs jit with stdout a pipe whose read end is closed at once (or after `read` bytes), as
/// `jit … | head -c N` does.
fn closed_stdout(args: &[&str], read: usize) -> (std::process::ExitStatus, String) {
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jit"))
        .args(args)
        .env("TZ", "UTC")
        .env("XDG_STATE_HOME", state.path())
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0; read];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// jit ends as `cat` does on a closed pipe: killed by SIGPIPE (a shell shows 141), with nothing on
/// stderr; never a panic (exit 101) or an `error:` line. A short output may be written whole
/// before the reader closes: then jit exits 0.
#[test]
fn a_closed_stdout_ends_jit_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.json");
    // Far more than a pipe holds (64 KiB on Linux), as JSON and as a table.
    std::fs::write(&file, big_policy(3000)).unwrap();
    let f = file.to_str().unwrap();
    let mut wrong = Vec::new();
    for (args, read, must_be_killed) in [
        (vec!["list", "--policy-file", f, "--format", "json"], 10, true),
        (vec!["list", "--policy-file", f, "--format", "yaml"], 0, true),
        (vec!["list", "--policy-file", f, "--format", "table"], 10, true),
        (vec!["cleanup", "--policy-file", f, "--quiet"], 0, true),
        (vec!["emulator", "--print-seed"], 0, false),
        (vec!["completions", "bash"], 0, false),
        (vec!["--help"], 0, false),
        (vec!["grant", "--help"], 0, false),
    ] {
        let (status, stderr) = closed_stdout(&args, read);
        let killed = status.signal() == Some(libc::SIGPIPE);
        if !stderr.is_empty() || !(killed || (!must_be_killed && status.code() == Some(0))) {
            wrong.push(format!("jit {args:?}: {status:?}, stderr:\n{stderr}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
