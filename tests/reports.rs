//! What the reports say, exactly (issue 12 items 7 to 10): one rule for where failures go, flat
//! messages, one error per failed resource, time wording, and the smaller texts a new user met.

use crate::harness;
use crate::support::jit;

const DENIED_NOPE: &str = "error: projects/nope-project: permission denied on `projects/nope-project`: \
     Permission 'resourcemanager.projects.getIamPolicy' denied on resource \
     '//cloudresourcemanager.googleapis.com/projects/nope-project' (or it may not exist). Ask for \
     `resourcemanager.projects.getIamPolicy` on `projects/nope-project`; Google also answers 403 when \
     the resource does not exist.\n";

/// grant, list, revoke and cleanup name a failed resource the same way: an `error:` line on
/// stderr, one flat sentence with no brackets inside Google's own, and nothing of it on stdout.
#[test]
fn every_command_names_failures_on_stderr_flat() {
    let emu = harness::emulator().start();
    let two = ["--project", "jit-demo-prod", "--project", "nope-project"];
    for args in [
        &["grant", "roles/logging.viewer", "--for", "2h"][..],
        &["list", "--all"][..],
        &["revoke", "roles/logging.viewer"][..],
        &["cleanup"][..],
    ] {
        for format in ["table", "json"] {
            let mut all = args.to_vec();
            all.extend_from_slice(&two);
            all.extend_from_slice(&["--format", format]);
            let run = emu.jit(&all).run().code(4);
            assert_eq!(run.stderr, DENIED_NOPE, "{all:?}");
            assert!(!run.stdout.contains("nope-project") || format == "json", "{all:?}: {}", run.stdout);
            assert!(!run.stdout.contains("failed:"), "{all:?}: {}", run.stdout);
        }
    }
    // An empty list names the one resource it could read.
    let mut all = vec!["list", "--role", "roles/none.nothing", "--format", "table"];
    all.extend_from_slice(&two);
    let run = emu.jit(&all).run().code(4);
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("", format!("No time-bound bindings on `projects/jit-demo-prod`.\n{DENIED_NOPE}").as_str())
    );
}

/// A root of `cleanup --recursive` that cannot be read nor walked is one resource with one error
/// naming each permission denied, not three errors and three resources (docs/output.md).
#[test]
fn a_root_cleanup_cannot_read_nor_walk_is_one_error() {
    let emu = harness::emulator().start();
    let run = emu
        .jit_as(
            "bob-token",
            &[
                "cleanup",
                "--recursive",
                "--organization",
                "123456789012",
                "--project",
                "jit-demo-prod",
                "--format",
                "json",
            ],
        )
        .run()
        .code(3);
    let report = run.json();
    assert_eq!(report["resources"], 2);
    assert_eq!(report["errors"].as_array().unwrap().len(), 2, "{}", run.stdout);
    assert_eq!(report["errors"][0]["resource"], "organizations/123456789012");
    assert_eq!(
        report["errors"][0]["message"],
        "permission denied on `organizations/123456789012`: permissions \
         `resourcemanager.organizations.getIamPolicy`, `resourcemanager.folders.list` and \
         `resourcemanager.projects.list` denied (or it may not exist). Ask for \
         `resourcemanager.organizations.getIamPolicy`, `resourcemanager.folders.list` and \
         `resourcemanager.projects.list` on `organizations/123456789012`; Google also answers 403 when \
         the resource does not exist."
    );
    // Alone, the root is the command's one error, with its hint. (Through the walk: the search's
    // one-line fallback note before it is tests/asset.rs's.)
    let run = emu
        .jit_as("bob-token", &["cleanup", "--recursive", "--via", "walk", "--organization", "123456789012"])
        .run()
        .code(3);
    assert_eq!(
        run.stderr,
        "error: permission denied on `organizations/123456789012`: permissions \
         `resourcemanager.organizations.getIamPolicy`, `resourcemanager.folders.list` and \
         `resourcemanager.projects.list` denied (or it may not exist)\n  hint: ask for \
         `resourcemanager.organizations.getIamPolicy`, `resourcemanager.folders.list` and \
         `resourcemanager.projects.list` on `organizations/123456789012`; Google also answers 403 when \
         the resource does not exist\n"
    );
}

/// Off Google Cloud with no credentials at all, the error says where jit looked (usage.md quotes
/// it). The metadata server is a closed port here, so the cause is the same on every machine.
#[test]
fn no_credentials_says_where_jit_looked() {
    let home = tempfile::tempdir().unwrap();
    let run = jit(&["list", "--project", "jit-demo-prod"])
        .env("HOME", home.path())
        // A closed port: refused at once (google-cloud-auth still retries for some 5 s).
        .env("GCE_METADATA_HOST", "127.0.0.1:9")
        .run()
        .code(1);
    let (first, hint) = run.stderr.split_once('\n').unwrap();
    assert!(
        first.starts_with(
            "error: could not get credentials from the metadata server (there is no \
             --access-token-file, GOOGLE_APPLICATION_CREDENTIALS or gcloud application-default \
             credentials file): "
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        hint,
        "  hint: run `gcloud auth application-default login`, or pass `--access-token-file`, or point \
         GOOGLE_APPLICATION_CREDENTIALS at a key file\n"
    );
    let usage = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/usage.md")).unwrap();
    assert!(
        usage.contains(&format!("{}…\n{hint}", &first[..first.find("file): ").unwrap() + 7])),
        "usage.md quotes it"
    );
}

/// Time wording (issue 12 item 9): `--for 2h` is `2h left` at once, a scheduled grant counts to
/// its start, and an error echoes the duration as it was typed.
#[test]
fn times_read_as_asked() {
    let emu = harness::emulator().start();
    let run = emu
        .jit(&[
            "grant",
            "roles/logging.viewer",
            "--for",
            "2h",
            "--project",
            "jit-demo-prod",
            "--format",
            "table",
        ])
        .env("COLUMNS", "200")
        .run()
        .ok();
    let row = run.stdout.lines().nth(1).unwrap_or_default();
    assert!(row.starts_with("granted  roles/logging.viewer  user:alice@example.com"), "{}", run.stdout);
    assert!(row.ends_with("  2h left"), "{}", run.stdout);

    let start = (chrono::Utc::now() + chrono::Duration::hours(3)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    emu.jit(&[
        "grant",
        "roles/compute.viewer",
        "--start",
        &start,
        "--for",
        "1h",
        "--project",
        "jit-demo-prod",
    ])
    .run()
    .ok();
    let run = emu
        .jit(&["list", "--role", "roles/compute.viewer", "--project", "jit-demo-prod", "--format", "table"])
        .env("COLUMNS", "250")
        .run()
        .ok();
    let row = run.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        row.contains("  scheduled, starts in 3h  ") && row.contains("  1h once started  "),
        "{}",
        run.stdout
    );

    for (args, want) in [
        (&["--for", "P1D"][..], "error: `P1D` is longer than the maximum of 12h"),
        (
            &["--for", "PT13H", "--max-duration", "PT12H"][..],
            "error: `PT13H` is longer than the maximum of PT12H",
        ),
        (&["--for", "90m", "--max-duration", "1h"][..], "error: `90m` is longer than the maximum of 1h"),
    ] {
        let mut all = vec!["grant", "roles/logging.viewer", "--project", "jit-demo-prod"];
        all.extend_from_slice(args);
        let run = emu.jit(&all).run().code(2);
        assert_eq!(run.error_line(), want, "{args:?}");
    }
}

/// `--member` of list and revoke is not about granting.
#[test]
fn a_bad_member_is_not_a_principal_for_every_command() {
    for command in
        [&["list"][..], &["revoke", "roles/logging.viewer"][..], &["grant", "roles/logging.viewer"][..]]
    {
        let mut all = command.to_vec();
        all.extend_from_slice(&["--member", "carol", "--policy-file", "docs/example-policy.json"]);
        let run = jit(&all).current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).run().code(2);
        assert_eq!(
            run.stderr,
            "error: `carol` is not a principal\n  hint: use user:EMAIL, group:EMAIL, serviceAccount:EMAIL, \
             domain:DOMAIN, principal://… or principalSet://…, or an e-mail address\n",
            "{command:?}"
        );
    }
}

/// Revoking a basic role finds nothing to revoke, as any role without a time-bound binding does
/// (issue 12 item 10: it was an error), with a warning saying why; other roles go ahead.
#[test]
fn revoking_a_basic_role_is_nothing_to_revoke() {
    let emu = harness::emulator().start();
    let warning = "warning: `roles/owner` is a basic role, which Google never binds with a condition: it has \
                   no time-bound access to revoke\n";
    let run =
        emu.jit(&["revoke", "roles/owner", "--project", "jit-demo-prod", "--format", "table"]).run().ok();
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("", format!("{warning}Nothing to revoke.\n").as_str())
    );
    emu.jit(&["grant", "roles/logging.viewer", "--for", "1h", "--project", "jit-demo-prod"]).run().ok();
    let run = emu
        .jit(&[
            "revoke",
            "roles/owner",
            "roles/logging.viewer",
            "--project",
            "jit-demo-prod",
            "--format",
            "json",
        ])
        .run()
        .ok();
    assert_eq!(run.stderr, warning);
    assert_eq!(run.json()["removed"][0]["role"], "roles/logging.viewer");
    // Offline too, and -q keeps the warning to itself.
    let run =
        jit(&["revoke", "roles/editor", "--all-members", "--policy-file", "docs/example-policy.json", "-q"])
            .current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
            .run()
            .ok();
    assert_eq!(run.stderr, "");
}

/// An empty list names what it read, the default project included, and expired bindings left out
/// are counted with the clock they were judged by (issue 12 item 10).
#[test]
fn an_empty_list_names_what_it_read_and_the_clock() {
    let emu = harness::emulator().clock("2020-01-01T00:00:00Z", true).start();
    let run = emu.jit(&["list", "--format", "table"]).env("CLOUDSDK_CORE_PROJECT", "jit-demo-dev").run().ok();
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("", "No time-bound bindings on `projects/jit-demo-dev`.\n")
    );
    // The demo's hand-written grant on jit-demo-prod has expired by this machine's clock, whatever
    // the emulator's says.
    let run = emu.jit(&["list", "--project", "jit-demo-prod", "--format", "table"]).run().ok();
    assert_eq!(run.stdout, "");
    let (head, tail) = run.stderr.split_once("clock, ").unwrap();
    assert_eq!(
        head,
        "No time-bound bindings on `projects/jit-demo-prod`.\n1 expired binding not shown (expired by this machine's "
    );
    assert!(
        tail.len() == "2026-12-01T12:00:00Z); --all shows it.\n".len()
            && tail.ends_with("Z); --all shows it.\n"),
        "{tail}"
    );
    let run = emu
        .jit(&[
            "list",
            "--project",
            "jit-demo-prod",
            "--project",
            "jit-demo-dev",
            "--member",
            "nobody@example.com",
            "--format",
            "table",
        ])
        .run()
        .ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", "No time-bound bindings on 2 resources.\n"));
}

/// On a terminal, after `y` the plan is not shown a second time: one line says it was done; and
/// the progress bar names no resource (issue 12 item 8). Skipped without `script` (util-linux).
#[test]
fn a_confirmed_change_is_not_shown_twice() {
    if !std::path::Path::new("/usr/bin/script").exists() {
        eprintln!("notice: `script` (util-linux) is not installed; skipping the terminal test");
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let on_a_terminal = |command: &str| {
        let line = format!("{} --emulator {command}", env!("CARGO_BIN_EXE_jit"));
        let out = std::process::Command::new("/usr/bin/script")
            .args(["-qec", &line, "/dev/null"])
            .env("TZ", "UTC")
            .env("COLUMNS", "200")
            .env("XDG_STATE_HOME", state.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(b"y")?;
                child.wait_with_output()
            })
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stdout).replace('\r', "")
    };
    let two = "--member bob@example.com --project jit-demo-prod --project jit-demo-dev";
    let screen = on_a_terminal(&format!("grant roles/compute.admin {two}"));
    assert_eq!(screen.matches("EXPIRES (UTC)").count(), 1, "{screen}");
    assert_eq!(screen.matches("would grant  roles/compute.admin").count(), 2, "{screen}");
    assert!(screen.ends_with("Done: 2 granted.\n"), "{screen}");
    for bar in screen.split("\u{1b}[2K").filter(|s| s.contains("granting [")) {
        assert!(!bar.contains("projects/"), "the bar names a resource: {bar:?}");
    }
    let screen = on_a_terminal(&format!("revoke roles/compute.admin {two}"));
    assert_eq!(screen.matches("EXPIRES (UTC)").count(), 1, "{screen}");
    assert!(screen.contains("Would remove 2 time-bound grants on 2 resources.\n"), "{screen}");
    assert!(screen.ends_with("Removed 2 time-bound grants on 2 resources.\n"), "{screen}");
}
