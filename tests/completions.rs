//! The committed completion scripts and man page are exactly what the generator makes now. Run
//! `JIT_BLESS=1 cargo test --test integration completions` to regenerate them after a CLI change.

use std::path::Path;

use clap_complete::Shell;
use jit::commands::completions::{file_name, man_page, script};

#[track_caller]
fn check(path: &Path, want: &[u8]) {
    if std::env::var_os("JIT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, want).unwrap();
    }
    let have = std::fs::read(path).unwrap_or_default();
    assert!(
        have == want,
        "{} is out of date with the CLI; regenerate with `JIT_BLESS=1 cargo test --test integration completions`",
        path.display()
    );
}

#[test]
fn completion_scripts_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Elvish, Shell::PowerShell] {
        check(&dir.join(file_name(shell)), &script(shell));
    }
}

#[test]
fn man_page_is_up_to_date() {
    check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join("jit.1"), &man_page());
}

#[test]
fn completions_command_prints_the_same_script() {
    let run = crate::support::jit(&["completions", "bash"]).run().ok();
    assert_eq!(run.stdout.as_bytes(), script(Shell::Bash));
    // The script asks jit itself (`COMPLETE=bash jit -- WORDS`), which knows every role.
    assert!(run.stdout.contains("COMPLETE=\"bash\""), "{}", run.stdout);
    let registration = crate::support::jit(&[]).env("COMPLETE", "bash").run().ok();
    assert_eq!(registration.stdout, run.stdout, "`COMPLETE=bash jit` prints the committed script");
}

#[test]
fn the_role_completer_finds_roles_by_prefix() {
    use jit::commands::completions::role_names;
    let values = |current: &str| -> Vec<String> {
        role_names(std::ffi::OsStr::new(current))
            .iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .collect()
    };
    let storage = values("roles/storage.obj");
    assert!(storage.contains(&"roles/storage.objectViewer".to_string()), "{storage:?}");
    assert!(storage.iter().all(|v| v.starts_with("roles/storage.obj")), "{storage:?}");
    assert_eq!(values("storage.objectVi"), ["roles/storage.objectViewer"], "`roles/` may be left out");
    assert_eq!(values(""), ["roles/"], "nothing typed: one step, not 2,461 names");
    assert_eq!(values("rol"), ["roles/"]);
    assert_eq!(values("roles/").len(), 2461);
    assert!(values("roles/zzz").is_empty());
    assert!(values("projects/p/roles/").is_empty(), "custom roles are not in the catalog");
    let candidate = &role_names(std::ffi::OsStr::new("roles/storage.objectViewer"))[0];
    assert_eq!(candidate.get_help().map(|h| h.to_string()), Some("Storage Object Viewer".to_string()));
}

/// What the shell gets from `COMPLETE=SHELL jit -- WORDS`, as the committed scripts call it.
fn complete(shell: &str, words: &[&str]) -> Vec<String> {
    let index = (words.len() - 1).to_string();
    let mut args = vec!["--"];
    args.extend_from_slice(words);
    let run = crate::support::jit(&args)
        .env("COMPLETE", shell)
        .env("_CLAP_COMPLETE_INDEX", index)
        .env("_CLAP_IFS", "\n")
        .run()
        .ok();
    run.stdout.lines().map(str::to_string).collect()
}

#[test]
fn the_binary_completes_role_names_for_every_shell() {
    assert_eq!(complete("bash", &["jit", "grant", "roles/storage.objectV"]), ["roles/storage.objectViewer"]);
    assert_eq!(
        complete("fish", &["jit", "revoke", "roles/storage.objectV"]),
        ["roles/storage.objectViewer\tStorage Object Viewer"]
    );
    assert_eq!(
        complete("zsh", &["jit", "roles", "show", "roles/storage.objectV"]),
        ["roles/storage.objectViewer:Storage Object Viewer"]
    );
    let listed = complete("bash", &["jit", "list", "--role", "roles/storage.obj"]);
    assert!(listed.contains(&"roles/storage.objectViewer".to_string()), "{listed:?}");
    assert!(complete("bash", &["jit", "grant", "--no-role"]).contains(&"--no-role-check".to_string()));
}

/// The committed bash script, sourced in a real bash, completes `jit grant roles/storage.obj<TAB>`
/// by calling the jit on PATH.
#[test]
fn the_committed_bash_script_completes_roles() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_jit")).parent().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions").join(file_name(Shell::Bash));
    let program = format!(
        "source {}; COMP_WORDS=(jit grant roles/storage.objectV); COMP_CWORD=2; COMP_TYPE=9; \
         _clap_complete_jit jit roles/storage.objectV grant; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .output()
        .expect("bash runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "roles/storage.objectViewer\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
