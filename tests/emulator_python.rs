//! Google's Python client libraries against the emulator (issue 18 item 6): a second real client
//! beside gcloud. `tests/python/clients.py` holds the checks, in three groups, one Python process
//! each (the imports cost more than the calls): every kind's conditional policy at version 3 and
//! testIamPermissions; the not-found, permission-denied and 400 answers as each client raises them;
//! Cloud Asset's search with paging and Logging's list with gcloud's filter.
//!
//! The libraries come from `.ci/run`, which installs `tests/python/requirements.txt` into a
//! virtual environment under `~/.cache/jit/` and names its interpreter in `JIT_PYTHON_CLIENTS`.
//! Without it a test says "skipped: Google's Python client libraries not installed", and fails
//! under `CI=true`.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::harness;

/// The interpreter of the virtual environment holding the client libraries: `JIT_PYTHON_CLIENTS`,
/// else the one `.ci/run` makes (`~/.cache/jit/python-clients/bin/python`), if it can import them.
fn python() -> Option<PathBuf> {
    static FOUND: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let found = FOUND
        .get_or_init(|| {
            let candidate = match std::env::var_os("JIT_PYTHON_CLIENTS") {
                Some(p) => PathBuf::from(p),
                None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/jit/python-clients/bin/python"),
            };
            let imports = Command::new(&candidate)
                .args([
                    "-c",
                    "import google.cloud.storage, google.cloud.secretmanager_v1, google.cloud.kms_v1, \
                     google.cloud.run_v2, google.cloud.asset_v1, google.cloud.resourcemanager_v3, \
                     google.cloud.logging_v2, googleapiclient.discovery",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            imports.then_some(candidate)
        })
        .clone();
    if found.is_none() {
        harness::skipped(
            "Google's Python client libraries",
            "run .ci/run, which installs tests/python/requirements.txt under ~/.cache/jit, or set \
             JIT_PYTHON_CLIENTS to a Python that has them",
        );
    }
    found
}

/// Runs one group of `clients.py` against a fresh demo emulator; returns the checks it passed.
fn run_group(group: &str) -> Vec<String> {
    let Some(python) = python() else { return vec![] };
    let emu = harness::emulator().start();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/clients.py");
    let out = Command::new(python)
        .arg(&script)
        .args([group, emu.url.as_str()])
        // No credentials, project or proxy of the machine's: the clients get theirs from the script.
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env_remove("GOOGLE_CLOUD_PROJECT")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "clients.py {group} failed:\n{stdout}\n{stderr}");
    assert!(stdout.trim_end().ends_with("passed, 0 failed"), "{stdout}");
    stdout.lines().filter_map(|l| l.strip_prefix("ok: ")).map(str::to_string).collect()
}

#[test]
fn python_clients_get_and_set_conditional_policies_of_every_kind() {
    let passed = run_group("policies");
    if passed.is_empty() {
        return;
    }
    for kind in ["project", "secret", "kms", "run", "bucket", "service account"] {
        assert!(
            passed.iter().any(|c| c.starts_with(&format!("{kind}: a conditional binding"))),
            "{kind}: {passed:?}"
        );
        assert!(passed.iter().any(|c| c.starts_with(&format!("{kind}: testIamPermissions"))), "{kind}");
    }
    assert!(passed.contains(&"bucket: a bucket's etag has Storage's shape".to_string()));
    assert!(passed.contains(&"service account: a policy never written is {etag: ACAB} alone".to_string()));
}

#[test]
fn python_clients_see_googles_not_found_permission_denied_and_bad_requests() {
    let passed = run_group("errors");
    if passed.is_empty() {
        return;
    }
    assert_eq!(passed.len(), 18, "{passed:#?}");
}

#[test]
fn python_clients_page_through_the_asset_search_and_list_the_audit_log_with_gclouds_filter() {
    let passed = run_group("search");
    if passed.is_empty() {
        return;
    }
    assert_eq!(passed.len(), 6, "{passed:#?}");
}
