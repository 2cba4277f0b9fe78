//! Inputs the fuzzers (fuzz/, docs/fuzzing.md) found, fed to the code the way each target feeds
//! them. Each test reads its input from fuzz/regressions/TARGET/, so the kept file and the test
//! cannot drift apart.
//!
//! The `known-*` inputs hit defects of issue 8 (items 4, 5 and 10) that were fixed alongside the
//! fuzzing; their tests state the fixed behaviour.

use crate::support::jit;

fn input(target: &str, name: &str) -> String {
    let path = format!("{}/fuzz/regressions/{target}/{name}", env!("CARGO_MANIFEST_DIR"));
    String::from_utf8(std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read `{path}`: {e}")))
        .unwrap_or_else(|e| panic!("`{path}` is not UTF-8: {e}"))
}

/// The `timespec` target's flags, from its input's lines: `--for`, `--until`, `--start`,
/// `--max-duration`, `--grace` (an empty line leaves the flag out).
struct TimeFlags {
    grant: Vec<String>,
    cleanup: Vec<String>,
}

fn time_flags(text: &str) -> TimeFlags {
    let mut lines = text.split('\n').map(|l| Some(l).filter(|l| !l.is_empty()));
    let mut next = || lines.next().flatten();
    let (dur, until, start, max, grace) = (next(), next(), next(), next(), next());
    let mut grant = Vec::new();
    for (flag, value) in [("--for", dur), ("--until", until), ("--start", start), ("--max-duration", max)] {
        if let Some(v) = value {
            grant.push(format!("{flag}={v}"));
        }
    }
    TimeFlags { grant, cleanup: grace.map(|g| vec![format!("--grace={g}")]).unwrap_or_default() }
}

const POLICY: &str = r#"{"bindings": [{"role": "roles/logging.viewer", "members": ["user:a@example.com"]}], "etag": "BwX=", "version": 1}"#;

/// Runs `jit ARGS --policy-file FILE --in-place` on a copy of [`POLICY`] and checks that it was
/// refused the way every bad input is: exit 2, an `error:` line quoting `quoted`, no panic, and
/// the file untouched.
#[track_caller]
fn refused(args: &[String], quoted: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    std::fs::write(&path, POLICY).unwrap();
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["--policy-file", path.to_str().unwrap(), "--in-place"]);
    let run = jit(&all).run();
    assert!(!run.stderr.contains("panicked"), "jit panicked on {all:?}:\n{}", run.stderr);
    let run = run.code(2);
    let first = run.error_line();
    assert!(
        first.starts_with("error: ") && first.contains(&format!("`{quoted}`")),
        "{all:?}: the error does not name `{quoted}`: {first}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), POLICY, "{all:?} changed the file");
}

/// Issue 8 item 5: `now + 99999999d` is past chrono's last date; `grant` panicked (exit 101) in
/// config.rs.
#[test]

fn grant_for_a_duration_past_the_calendar_is_an_error() {
    let flags = time_flags(&input("timespec", "known-item5-grant-for-99999999d"));
    let mut args =
        vec!["grant".to_string(), "roles/storage.admin".to_string(), "--member=a@example.com".to_string()];
    args.extend(flags.grant);
    refused(&args, "99999999d");
}

/// Issue 8 item 5: `now - 99999999d` is before chrono's first date; `cleanup` panicked (exit 101)
/// in edit.rs.
#[test]

fn cleanup_grace_past_the_calendar_is_an_error() {
    let flags = time_flags(&input("timespec", "known-item5-cleanup-grace-99999999d"));
    let mut args = vec!["cleanup".to_string()];
    args.extend(flags.cleanup);
    refused(&args, "99999999d");
}

/// Issue 8 item 4: a grant ending in year 29405 resolved and would be written as
/// `timestamp("+29405-…")`, which CEL cannot read.
#[test]

fn grant_ending_after_9999_is_refused() {
    let flags = time_flags(&input("timespec", "known-item4-grant-past-9999"));
    let mut args =
        vec!["grant".to_string(), "roles/storage.admin".to_string(), "--member=a@example.com".to_string()];
    args.extend(flags.grant);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    std::fs::write(&path, POLICY).unwrap();
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["--policy-file", path.to_str().unwrap(), "--in-place"]);
    let run = jit(&all).run().code(2);
    assert!(run.error_line().starts_with("error: "), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), POLICY);
}

/// Finding 1 (docs/fuzzing.md): YAML flow collections nested N deep take time quadratic in N to
/// refuse (libyaml, under serde_norway, rescans its stack of possible simple keys for each token):
/// 20,000 `[` (40 kB) took 14 s before the `recursion limit exceeded` error, and a file of a few
/// MB would take hours. A policy is nested at most five deep, so the reader can refuse anything
/// deeper before the YAML parser sees it.
#[test]

fn deeply_nested_yaml_is_refused_quickly() {
    let text = input("policy", "slow-yaml-flow-nesting-20000");
    let run = jit(&["list", "--policy-file", "-"]).stdin(text).run().code(2);
    // Refused by jit's own depth scan, before the YAML parser sees the text (its own error would be
    // `recursion limit exceeded`, after the quadratic rescan): that is what keeps it quick, so the
    // test checks who refused, not a time (issue 20 item 6).
    assert!(
        run.error_line()
            .starts_with("error: stdin is not an IAM policy: its YAML is nested more than 64 levels deep"),
        "{}",
        run.stderr
    );
}

/// Issue 8 item 10: numbers in unknown fields changed on a rewrite. The `policy` target found that
/// a big integer (read as an inexact float) and a float with more digits than an f64 holds
/// (`1111115111111111.111111111`) do not even survive jit's own write and read (serde_json
/// parses such numbers fast but not exactly unless built with `float_roundtrip` or
/// `arbitrary_precision`).
#[test]

fn numbers_in_unknown_fields_survive_a_rewrite() {
    let mut failures = Vec::new();
    for (name, number) in [
        ("known-item10-big-integer.json", format!("{}20", "4".repeat(110))),
        ("known-item10-float.json", "1111115111111111.111111111".to_string()),
    ] {
        let run = jit(&[
            "grant",
            "roles/storage.admin",
            "--member=b@example.com",
            "--for=1h",
            "--policy-file",
            "-",
        ])
        .stdin(input("policy", name))
        .run()
        .ok();
        if !run.stdout.contains(&format!(": {number}")) {
            failures.push(format!("{name}: {number} was rewritten:\n{}", run.stdout));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
