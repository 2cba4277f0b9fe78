//! Identity and settings as gcloud has them (issue 19 items 1, 2 and 4): credentials come before
//! "who are you", gcloud's impersonation, access-token-file and quota-project settings are
//! honoured with gcloud's precedence (flag, environment, active configuration) and `--verbose`
//! says which identity is used and where it came from; delegation chains work or are refused
//! naming the chain; `--no-auth` needs no credentials.

use serde_json::json;

use crate::harness::{self, Emulator};
use crate::support::{Jit, jit};

const PROD: &str = "jit-demo-prod";
const CLEANUP_SA: &str = "jit-cleanup@jit-demo-prod.iam.gserviceaccount.com";
const DEPLOYER_SA: &str = "deployer@jit-demo-prod.iam.gserviceaccount.com";

/// `jit --endpoint URL grant … --format json`, with IAM Credentials at the emulator, a HOME of
/// its own and nothing else: the credentials are whatever the test adds.
fn grant(emu: &Emulator, extra: &[&str]) -> Jit {
    let mut args = vec!["--endpoint", emu.url.as_str()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[
        "grant",
        "roles/compute.viewer",
        "--for",
        "1h",
        "--project",
        PROD,
        "--format",
        "json",
    ]);
    let home = emu.dir().join("home");
    std::fs::create_dir_all(&home).unwrap();
    jit(&args)
        .env("HOME", &home)
        .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS", format!("{}/", emu.url))
}

/// The member of the grant a run reports.
#[track_caller]
fn member(run: &crate::support::Run) -> String {
    let report = run.json();
    let row = ["granted", "extended", "unchanged"]
        .iter()
        .find_map(|k| report[k].as_array().and_then(|a| a.first().cloned()));
    row.unwrap_or_else(|| panic!("no grant in {report}"))["member"].as_str().unwrap().to_string()
}

/// A gcloud configuration directory whose active configuration `work` holds `settings`.
fn gcloud_config(emu: &Emulator, settings: &str) -> std::path::PathBuf {
    let dir = emu.dir().join("gcloud-config");
    std::fs::create_dir_all(dir.join("configurations")).unwrap();
    std::fs::write(dir.join("active_config"), "work\n").unwrap();
    std::fs::write(dir.join("configurations/config_work"), settings).unwrap();
    dir
}

/// Issue 19 item 1: with no credentials at all, a grant with no --member said "cannot tell who
/// you are … pass --member" (exit 2), and the real error came only once --member was added. The
/// credentials error comes first, the same with or without --member.
#[test]
fn no_credentials_is_a_credentials_error_before_who_you_are() {
    let emu = harness::emulator().start();
    for extra in [&[][..], &["--member", "user:carol@example.com"][..]] {
        let mut args = vec!["--endpoint", emu.url.as_str(), "grant", "roles/compute.viewer", "--for", "1h"];
        args.extend_from_slice(&["--project", PROD]);
        args.extend_from_slice(extra);
        let home = tempfile::tempdir().unwrap();
        // A closed port stands for metadata.google.internal, which answers nothing off Google Cloud.
        let run = jit(&args).env("HOME", home.path()).env("GCE_METADATA_HOST", "127.0.0.1:9").run().code(1);
        let mut lines = run.stderr.lines();
        let first = lines.next().unwrap();
        assert!(first.starts_with("error: could not get credentials from the metadata server"), "{first}");
        assert!(lines.next().unwrap().contains("gcloud auth application-default login"), "{}", run.stderr);
        assert!(!run.stderr.contains("who you are"), "{}", run.stderr);
    }
}

/// Issue 19 item 2: `auth/impersonate_service_account` is taken from the flag, else
/// CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT, else gcloud's active configuration; the grant is
/// made as (and to) the service account, and --verbose says so and where the setting came from.
#[test]
fn gclouds_impersonation_setting_is_honoured_in_gclouds_order() {
    let emu = harness::emulator().start();
    let alice = emu.token_file("alice-token");
    let alice = alice.to_str().unwrap();
    let config = gcloud_config(
        &emu,
        &format!("[core]\naccount = alice@example.com\n[auth]\nimpersonate_service_account = {CLEANUP_SA}\n"),
    );

    // The active configuration.
    let run =
        grant(&emu, &["--access-token-file", alice, "--verbose"]).env("CLOUDSDK_CONFIG", &config).run().ok();
    assert_eq!(member(&run), format!("serviceAccount:{CLEANUP_SA}"));
    let file = config.join("configurations/config_work");
    assert!(
        run.stderr.contains(&format!(
            "jit: setting impersonate = {CLEANUP_SA} (from gcloud's configuration `{}`)",
            file.display()
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&format!("impersonating `{CLEANUP_SA}`")), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("jit: acting as serviceAccount:{CLEANUP_SA}")), "{}", run.stderr);

    // The environment beats the configuration: alice (the flag's token, not the variable's bob)
    // acts as the deployer, who may not read the project's policy (exit 3).
    let run = grant(&emu, &["--access-token-file", alice, "--verbose"])
        .env("CLOUDSDK_CONFIG", &config)
        .env("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT", DEPLOYER_SA)
        .env("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", emu.token_file("bob-token"))
        .run()
        .code(3);
    assert!(
        run.stderr.contains(&format!(
            "jit: setting impersonate = {DEPLOYER_SA} (from the environment (CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT))"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "jit: setting access token file = {alice} (from the command line (--access-token-file))"
        )),
        "{}",
        run.stderr
    );
    let minted = emu
        .requests()
        .into_iter()
        .rev()
        .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(":generateAccessToken")))
        .unwrap();
    assert!(minted["path"].as_str().unwrap().contains(DEPLOYER_SA), "{minted}");
    assert_eq!(minted["principal"], "user:alice@example.com", "{minted}");

    // The flag beats both.
    let run = grant(&emu, &["--access-token-file", alice, "--impersonate-service-account", CLEANUP_SA])
        .env("CLOUDSDK_CONFIG", &config)
        .env("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT", DEPLOYER_SA)
        .run()
        .ok();
    assert_eq!(member(&run), format!("serviceAccount:{CLEANUP_SA}"));

    // The written condition says who granted: the service account, not alice.
    let policy = emu.policy(&format!("projects/{PROD}"));
    let text = policy.to_string();
    assert!(text.contains(&format!("Granted by serviceAccount:{CLEANUP_SA}")), "{text}");
}

/// Issue 19 item 2: CLOUDSDK_AUTH_ACCESS_TOKEN_FILE (which the emulator's banner tells you to
/// export) and `[auth] access_token_file` are credentials, under the flag.
#[test]
fn gclouds_access_token_file_setting_is_honoured() {
    let emu = harness::emulator().start();
    let run = grant(&emu, &["--verbose"])
        .env("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", emu.token_file("alice-token"))
        .run()
        .ok();
    assert_eq!(member(&run), "user:alice@example.com");
    assert!(
        run.stderr.contains("(from the environment (CLOUDSDK_AUTH_ACCESS_TOKEN_FILE))"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("jit: acting as user:alice@example.com"), "{}", run.stderr);
    let bob = emu.token_file("bob-token");
    let config = gcloud_config(&emu, &format!("[auth]\naccess_token_file = {}\n", bob.display()));
    // bob has nothing: his token is used, so the read is refused (exit 3).
    grant(&emu, &[]).env("CLOUDSDK_CONFIG", &config).run().code(3);
    // The flag beats the configuration.
    let alice = emu.token_file("alice-token");
    let run = grant(&emu, &["--access-token-file", alice.to_str().unwrap()])
        .env("CLOUDSDK_CONFIG", &config)
        .run()
        .ok();
    assert_eq!(member(&run), "user:alice@example.com");
}

/// Issue 19 item 2: gcloud's delegation chain `a@…,b@…` works (alice → deployer → jit-cleanup,
/// each allowed to mint the next one's tokens) or is refused naming the chain (bob).
#[test]
fn impersonation_chains_work_or_are_refused_naming_the_chain() {
    let emu = harness::emulator().start();
    // The deployer may mint jit-cleanup's tokens.
    let a = emu.request(
        "POST",
        &format!("/v1/projects/-/serviceAccounts/{CLEANUP_SA}:setIamPolicy"),
        Some("alice-token"),
        Some(json!({"policy": {"bindings": [{
            "role": "roles/iam.serviceAccountTokenCreator",
            "members": [format!("serviceAccount:{DEPLOYER_SA}")]
        }]}})),
    );
    assert_eq!(a.status, 200, "{}", a.text);
    let chain = format!("{DEPLOYER_SA},{CLEANUP_SA}");
    let alice = emu.token_file("alice-token");
    let run = grant(&emu, &["--access-token-file", alice.to_str().unwrap()])
        .env("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT", &chain)
        .run()
        .ok();
    assert_eq!(member(&run), format!("serviceAccount:{CLEANUP_SA}"));
    let sent = emu
        .requests()
        .into_iter()
        .rev()
        .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(":generateAccessToken")))
        .unwrap();
    assert!(sent.to_string().contains(&format!("projects/-/serviceAccounts/{DEPLOYER_SA}")), "{sent}");

    // bob may not mint the deployer's tokens: refused, naming the chain.
    let bob = emu.token_file("bob-token");
    let run =
        grant(&emu, &["--access-token-file", bob.to_str().unwrap(), "--impersonate-service-account", &chain])
            .run();
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains(&format!("cannot impersonate `{CLEANUP_SA}` through the chain `{chain}`")),
        "{}",
        run.stderr
    );

    // A chain with something that is not an e-mail is a usage error before anything is sent.
    let run = grant(&emu, &["--access-token-file", bob.to_str().unwrap()])
        .env("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT", format!("{DEPLOYER_SA},,{CLEANUP_SA}"))
        .run()
        .code(2);
    assert_eq!(
        run.error_line(),
        format!(
            "error: `` in the impersonation chain `{DEPLOYER_SA},,{CLEANUP_SA}` (from the environment \
             (CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT)) is not a service account's e-mail"
        )
    );
}

/// Issue 19 item 4: against `jit emulator --no-auth` on this machine, jit needs no token and does
/// not wait for a metadata server: it sends no credentials, and says so under --verbose; gcloud's
/// `auth/disable_credentials` does the same anywhere.
#[test]
fn no_auth_needs_no_credentials_and_no_metadata_server() {
    let emu = harness::emulator().no_auth().start();
    let home = tempfile::tempdir().unwrap();
    let list = |extra: &[(&str, &str)]| {
        let mut j =
            jit(&["--endpoint", &emu.url, "--verbose", "list", "--project", PROD, "--format", "json"])
                .env("HOME", home.path());
        for (k, v) in extra {
            j = j.env(k, v);
        }
        j.run().ok()
    };
    let run = list(&[]);
    assert!(run.json().is_array(), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "jit: using no credentials (none is set, and `{}` is an emulator on this machine, with no metadata \
             server to ask)",
            emu.url
        )),
        "{}",
        run.stderr
    );
    // No metadata server was asked (it would have been a request to the emulator's own, or a DNS wait).
    assert!(
        !emu.requests().iter().any(|r| r["path"].as_str().is_some_and(|p| p.contains("computeMetadata")))
    );

    // gcloud's auth/disable_credentials, even with a metadata server named.
    let run = list(&[("CLOUDSDK_AUTH_DISABLE_CREDENTIALS", "True"), ("GCE_METADATA_HOST", "127.0.0.1:9")]);
    assert!(run.stderr.contains("jit: using no credentials (auth/disable_credentials)"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "jit: setting credentials = none (auth/disable_credentials) (from the environment \
             (CLOUDSDK_AUTH_DISABLE_CREDENTIALS))"
        ),
        "{}",
        run.stderr
    );
    let run = jit(&["--endpoint", &emu.url, "list", "--project", PROD])
        .env("CLOUDSDK_AUTH_DISABLE_CREDENTIALS", "maybe")
        .run()
        .code(2);
    assert_eq!(
        run.error_line(),
        "error: `maybe` in auth/disable_credentials (from the environment (CLOUDSDK_AUTH_DISABLE_CREDENTIALS)) \
         is not true or false"
    );
}
