//! The two ways to run jit against an emulator, as docs/emulator.md describes them: `jit --emulator`
//! (in process, as alice, permissions checked) and a served `jit emulator` (with `--no-auth`, every
//! call allowed), and the options that mean something to each (issue 12 items 3 and 4).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::jit;

/// A served `jit emulator`, stopped on drop, with every line of its banner.
struct Served {
    child: Child,
    url: String,
    banner: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jit"))
        .args(["emulator", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut banner = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let last = line == "Press Ctrl-C to stop.";
        banner.push(line);
        if last {
            break;
        }
    }
    let url = banner[0].strip_prefix("jit emulator listening on ").unwrap().to_string();
    Served { child, url, banner }
}

/// `jit emulator --no-auth` does what its banner says: jit with no token file of its own works
/// through the metadata server, any token stands for the seed's metadata principal, and a grant
/// with no `--member` is therefore to that principal rather than "cannot tell who you are".
#[test]
fn no_auth_serves_jit_with_or_without_a_token() {
    let emu = serve(&["--no-auth"]);
    let host = emu.url.trim_start_matches("http://").to_string();
    // Every override the emulator serves is printed, Logging's included (issue 19 item 14).
    for service in [
        "CLOUDRESOURCEMANAGER",
        "STORAGE",
        "SECRETMANAGER",
        "IAM",
        "CLOUDKMS",
        "RUN",
        "CLOUDASSET",
        "PRIVILEGEDACCESSMANAGER",
        "LOGGING",
    ] {
        let line = format!("  export CLOUDSDK_API_ENDPOINT_OVERRIDES_{service}={}/", emu.url);
        assert!(emu.banner.iter().any(|l| l.starts_with(&line)), "{service}: {:#?}", emu.banner);
    }
    let from = emu.banner.iter().position(|l| l.starts_with("Running with --no-auth")).unwrap();
    assert_eq!(
        emu.banner[from..from + 4],
        [
            "Running with --no-auth: every request is allowed, with or without a token.".to_string(),
            "  A token the emulator does not know stands for serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com".to_string(),
            "  (the metadata server's principal). jit with no token file takes that token with:".to_string(),
            format!("  GCE_METADATA_HOST={host} jit --endpoint {} ...", emu.url),
        ]
    );
    // Without a token file or the emulator's metadata server, the hint says how (a closed port
    // stands for metadata.google.internal, which does not answer off Google Cloud).
    let home = tempfile::tempdir().unwrap();
    let run = jit(&["--endpoint", &emu.url, "list", "--project", "jit-demo-prod"])
        .env("HOME", home.path())
        .env("GCE_METADATA_HOST", "127.0.0.1:9")
        .run()
        .code(1);
    assert_eq!(
        run.stderr.lines().nth(1).unwrap_or_default(),
        format!(
            "  hint: for the emulator at {}, pass --access-token-file with one of its tokens, or set \
             GCE_METADATA_HOST={host} to take its metadata server's; against Google, run `gcloud auth \
             application-default login`, or pass `--access-token-file`, or point \
             GOOGLE_APPLICATION_CREDENTIALS at a key file",
            emu.url
        )
    );
    // Without a token file: the metadata server's token, as the banner says.
    let run = jit(&["--endpoint", &emu.url, "list", "--project", "jit-demo-prod", "--format", "json"])
        .env("GCE_METADATA_HOST", &host)
        .run()
        .ok();
    assert!(run.json().is_array(), "{}", run.stdout);
    assert_eq!(run.stderr, "");
    // With any token at all: it is the metadata principal, who is then the default member.
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "any-token-at-all").unwrap();
    let run = jit(&[
        "--endpoint",
        &emu.url,
        "--access-token-file",
        token.to_str().unwrap(),
        "grant",
        "roles/storage.objectViewer",
        "--for",
        "1h",
        "--project",
        "jit-demo-prod",
        "--format",
        "json",
    ])
    .run()
    .ok();
    let granted = &run.json()["granted"][0];
    assert_eq!(granted["member"], "serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com");
    assert_eq!(granted["grantedBy"], "serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com");
    // A demo token keeps its own principal.
    std::fs::write(&token, "bob-token").unwrap();
    let run = jit(&[
        "--endpoint",
        &emu.url,
        "--access-token-file",
        token.to_str().unwrap(),
        "grant",
        "roles/logging.viewer",
        "--for",
        "1h",
        "--project",
        "jit-demo-prod",
        "--format",
        "json",
    ])
    .run()
    .ok();
    assert_eq!(run.json()["granted"][0]["member"], "user:bob@example.com");
}

/// With credentials required (no `--no-auth`), a token the emulator does not know is refused as
/// Google refuses it, and the banner lists the tokens instead of the no-auth lines.
#[test]
fn with_auth_an_unknown_token_is_refused() {
    let emu = serve(&[]);
    assert!(!emu.banner.iter().any(|l| l.contains("--no-auth")), "{:#?}", emu.banner);
    assert!(
        emu.banner.contains(&"  alice-token      user:alice@example.com".to_string()),
        "{:#?}",
        emu.banner
    );
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "any-token-at-all").unwrap();
    let run = jit(&[
        "--endpoint",
        &emu.url,
        "--access-token-file",
        token.to_str().unwrap(),
        "grant",
        "roles/storage.objectViewer",
        "--for",
        "1h",
        "--project",
        "jit-demo-prod",
    ])
    .run()
    .code(1);
    assert_eq!(
        run.error_line(),
        format!(
            "error: Google does not accept the access token in `{}`: `{}/oauth2/v3/tokeninfo` answered HTTP 400 (invalid_token: Invalid Value)",
            token.display(),
            emu.url
        )
    );
}

/// `--emulator` has its own endpoint and credentials: the flags for them are refused, not ignored
/// (a bob token used to act as alice).
#[test]
fn emulator_refuses_the_credential_flags() {
    for (flag, shown) in [
        ("--access-token-file", "--access-token-file <FILE>"),
        ("--impersonate-service-account", "--impersonate-service-account <EMAIL>"),
        ("--endpoint", "--endpoint <URL>"),
    ] {
        let run = jit(&["--emulator", flag, "x", "list", "--project", "jit-demo-prod"]).run().code(2);
        assert_eq!(
            run.stderr,
            format!(
                "error: the argument '--emulator' cannot be used with '{shown}'\n\n\
                 Usage: jit --emulator <COMMAND>\n\nFor more information, try '--help'.\n"
            )
        );
    }
}

/// `jit emulator` and `jit completions` show only their own options, and refuse a global one
/// before or after their name; an option of their own with a global's name is theirs.
#[test]
fn emulator_and_completions_take_only_their_own_options() {
    let help = jit(&["completions", "--help"]).env("COLUMNS", "100").run().ok();
    assert_eq!(
        help.stdout,
        "Print a shell completion script\n\nUsage: jit completions <SHELL>\n\nArguments:\n  \
         <SHELL>\n          The shell to complete for\n          \n          \
         [possible values: bash, elvish, fish, powershell, zsh]\n\n\
         Options:\n  -h, --help\n          Print help (see a summary with '-h')\n\n\
         Examples:\n  jit completions bash > ~/.local/share/bash-completion/completions/jit\n  \
         jit completions zsh > ~/.zfunc/_jit\n  jit completions fish > ~/.config/fish/completions/jit.fish\n"
    );
    let help = jit(&["emulator", "--help"]).env("COLUMNS", "100").run().ok();
    assert!(help.stdout.contains("\nEmulator options:\n      --port <PORT>"), "{}", help.stdout);
    for global in [
        "Global options",
        "--project",
        "--format",
        "--endpoint",
        "--retry-attempts",
        "--retry-timeout",
        "--quiet",
        "--emulator ",
    ] {
        assert!(!help.stdout.contains(global), "{global} in:\n{}", help.stdout);
    }
    for (args, flag, name) in [
        (&["emulator", "--project", "p"][..], "--project", "emulator"),
        (&["--format", "json", "emulator"][..], "--format", "emulator"),
        (&["emulator", "--retry-attempts", "3"][..], "--retry-attempts", "emulator"),
        (&["completions", "bash", "-q"][..], "--quiet", "completions"),
        (&["--endpoint", "http://127.0.0.1:1", "completions", "bash"][..], "--endpoint", "completions"),
    ] {
        let run = jit(args).run().code(2);
        let usage = if name == "emulator" { "jit emulator [OPTIONS]" } else { "jit completions <SHELL>" };
        assert_eq!(
            run.stderr,
            format!(
                "error: `{flag}` means nothing to `jit {name}`; `jit {name} --help` lists what it takes\n\n\
                 Usage: {usage}\n\nFor more information, try '--help'.\n"
            ),
            "{args:?}"
        );
        assert_eq!(run.stdout, "");
    }
    // The key's account is --key-account (issue 19 item 14): --service-account is the global
    // scope flag, which the emulator refuses as every other.
    let run = jit(&["emulator", "--key-account", "sa@p.iam.gserviceaccount.com", "--print-seed"]).run().ok();
    assert!(run.stdout.starts_with("{\n  \"organizations\""), "{}", run.stdout);
    let run =
        jit(&["emulator", "--service-account", "sa@p.iam.gserviceaccount.com", "--print-seed"]).run().code(2);
    assert!(
        run.stderr.starts_with("error: `--service-account` means nothing to `jit emulator`"),
        "{}",
        run.stderr
    );
}

/// `jit roles` takes only --format and `jit config check` only --config, --format and --quiet: a
/// scope, an endpoint or a credential given to them is refused, not ignored (issue 12 item 4).
#[test]
fn roles_and_config_take_only_the_global_options_they_use() {
    for (args, flag, name) in [
        (&["roles", "show", "roles/viewer", "--project", "p"][..], "--project", "roles show"),
        (&["--organization", "1", "roles", "list"][..], "--organization", "roles list"),
        (&["roles", "list", "-q"][..], "--quiet", "roles list"),
        (&["config", "check", "--endpoint", "http://127.0.0.1:1"][..], "--endpoint", "config check"),
    ] {
        let run = jit(args).run().code(2);
        assert_eq!(
            run.error_line(),
            format!("error: `{flag}` means nothing to `jit {name}`; `jit {name} --help` lists what it takes"),
            "{args:?}"
        );
        assert!(run.stderr.contains(&format!("Usage: jit {name} ")), "{}", run.stderr);
    }
    let listed = jit(&["roles", "list", "roles/storage.admin", "--format", "json"]).run().ok().json();
    assert_eq!(listed[0]["name"], "roles/storage.admin");
    let help = jit(&["roles", "show", "--help"]).env("COLUMNS", "100").run().ok();
    assert!(help.stdout.contains("--format <FORMAT>"), "{}", help.stdout);
    assert!(!help.stdout.contains("--project") && !help.stdout.contains("--endpoint"), "{}", help.stdout);
}
