//! Issue 19 item 14: the same thing is said the same way everywhere. A `--replace` that shortens
//! a grant is reported as shortened; the exit codes the docs give for a bucket without uniform
//! access and for an impersonation Google refuses with a 403 are the binary's.

use crate::harness;
use crate::support::jit;

const PROD: &str = "jit-demo-prod";
const CLEANUP_SA: &str = "jit-cleanup@jit-demo-prod.iam.gserviceaccount.com";

/// The exit code google-api.md's error table gives for the row whose first cell contains `key`.
#[track_caller]
fn documented_exit(key: &str) -> i32 {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/google-api.md")).unwrap();
    let row = text
        .lines()
        .filter(|l| l.starts_with('|'))
        .find(|l| l.split('|').nth(1).is_some_and(|c| c.contains(key)))
        .unwrap_or_else(|| panic!("no row for {key} in google-api.md's error table"));
    let cells: Vec<&str> = row.trim().trim_end_matches('|').split('|').collect();
    cells.last().unwrap().trim().parse().unwrap_or_else(|_| panic!("no exit code in {row}"))
}

#[track_caller]
fn usage_md_says(phrase: &str) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/usage.md")).unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(phrase), "usage.md does not say: {phrase}");
}

#[test]
fn a_replace_that_shortens_is_reported_as_shortened() {
    let emu = harness::emulator().start();
    let grant = |d: &str, extra: &[&str]| {
        let mut args = vec![
            "grant",
            "roles/compute.viewer",
            "--for",
            d,
            "--member",
            "bob@example.com",
            "--project",
            PROD,
        ];
        args.extend_from_slice(extra);
        emu.jit(&args).run().ok()
    };
    let json = |d: &str, extra: &[&str]| {
        let mut extra = extra.to_vec();
        extra.extend_from_slice(&["--format", "json"]);
        grant(d, &extra).json()
    };
    assert_eq!(json("3h", &[])["granted"].as_array().unwrap().len(), 1);
    let len = |v: &serde_json::Value, k: &str| v[k].as_array().map(Vec::len);
    let dry = json("1h", &["--replace", "--dry-run"]);
    assert_eq!((len(&dry, "shortened"), len(&dry, "extended")), (Some(1), Some(0)), "{dry}");
    let table = grant("1h", &["--replace", "--dry-run", "--format", "table"]);
    assert!(table.stdout.contains("would shorten") && !table.stdout.contains("extend"), "{}", table.stdout);
    let table = grant("1h", &["--replace", "--format", "table"]);
    assert!(table.stdout.contains("shortened") && !table.stdout.contains("extended"), "{}", table.stdout);
    // Longer again with --replace: extended.
    let longer = json("2h", &["--replace"]);
    assert_eq!((len(&longer, "shortened"), len(&longer, "extended")), (Some(0), Some(1)), "{longer}");
}

#[test]
fn a_bucket_without_uniform_access_exits_as_documented() {
    let want = documented_exit("without uniform bucket-level access");
    assert_eq!(want, 2);
    usage_md_says("a grant on it ends with Google's refusal and the fix (exit 2)");
    let emu = harness::emulator().start();
    let before = emu.policy("projects/_/buckets/jit-demo-prod-legacy");
    let run = emu
        .jit(&[
            "grant",
            "roles/storage.objectViewer",
            "--for",
            "1h",
            "--member",
            "bob@example.com",
            "--bucket",
            "jit-demo-prod-legacy",
        ])
        .run()
        .code(want);
    assert!(run.stderr.contains("--uniform-bucket-level-access"), "{}", run.stderr);
    assert_eq!(emu.policy("projects/_/buckets/jit-demo-prod-legacy"), before);
}

#[test]
fn an_impersonation_refused_with_403_exits_as_documented() {
    let want = documented_exit("from IAM Credentials' generateAccessToken");
    assert_eq!(want, 1);
    usage_md_says("through the chain `a@…,…``, exit 1)");
    let emu = harness::emulator().start();
    let home = emu.dir().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let bob = emu.token_file("bob-token");
    let run = jit(&[
        "--endpoint",
        emu.url.as_str(),
        "--access-token-file",
        bob.to_str().unwrap(),
        "--impersonate-service-account",
        CLEANUP_SA,
        "grant",
        "roles/compute.viewer",
        "--for",
        "1h",
        "--member",
        "bob@example.com",
        "--project",
        PROD,
    ])
    .env("HOME", &home)
    .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS", format!("{}/", emu.url))
    .run()
    .code(want);
    assert!(run.stderr.contains(&format!("cannot impersonate `{CLEANUP_SA}`")), "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 403"), "{}", run.stderr);
    let sent = emu.requests();
    let minted =
        sent.iter().find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(":generateAccessToken")));
    assert_eq!(minted.map(|r| r["status"].clone()), Some(serde_json::json!(403)), "{sent:#?}");
    assert!(
        !sent.iter().any(
            |r| r["method"] == "POST" && r["path"].as_str().is_some_and(|p| p.ends_with(":setIamPolicy"))
        )
    );
}
