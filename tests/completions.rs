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
    assert!(run.stdout.contains("--policy-file"));
}
