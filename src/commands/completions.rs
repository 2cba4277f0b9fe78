//! `jit completions SHELL`, the generator behind the committed scripts under completions/, and the
//! completer the scripts call back into.
//!
//! The scripts are clap_complete's dynamic ones: on TAB the shell runs `COMPLETE=SHELL jit -- WORDS`
//! and jit answers from its own command line definition, so role names (2,461 predefined roles)
//! come from the catalog in the binary instead of a script that would have to spell them all out.

use std::ffi::{OsStr, OsString};

use clap::CommandFactory;
use clap_complete::Shell;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{CompleteEnv, EnvCompleter};

use crate::cli::Cli;
use crate::error::Error;

/// The variable the scripts set to ask jit for completions instead of running a command.
const VAR: &str = "COMPLETE";

/// The completion script for `shell`, as committed under completions/ (and as `COMPLETE=SHELL jit`
/// prints it). It calls `jit` from PATH.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
        Shell::Elvish => &clap_complete::env::Elvish,
        Shell::PowerShell => &clap_complete::env::Powershell,
        // A shell clap_complete adds later: its static script, without role names.
        _ => {
            clap_complete::generate(shell, &mut Cli::command(), "jit", &mut out);
            return out;
        }
    };
    completer.write_registration(VAR, "jit", "jit", "jit", &mut out).expect("writing to memory cannot fail");
    out
}

/// Answers a shell's completion request (`COMPLETE=SHELL jit -- WORDS`) if this run is one; true
/// then, and the caller exits. Reads only one variable otherwise.
pub fn complete_from_env(args: &[OsString]) -> Result<bool, Error> {
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty() || v == "0") {
        return Ok(false);
    }
    let current_dir = std::env::current_dir().ok();
    CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .bin("jit")
        .completer("jit")
        .try_complete(args.iter().cloned(), current_dir.as_deref())
        .map_err(|e| Error::io(format!("cannot complete: {e}")))
}

/// Candidates for a role argument: the predefined roles that start with what was typed (with or
/// without `roles/`), each with its title for the shells that show one. Until something is typed
/// past `roles/`'s own letters, the one candidate is `roles/`, not 2,461 names.
pub fn role_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str() else { return Vec::new() };
    if "roles/".starts_with(current) && current != "roles/" {
        return vec![CompletionCandidate::new("roles/")];
    }
    let prefix = if current.starts_with("roles/") || current.contains('/') {
        current.to_string()
    } else {
        format!("roles/{current}")
    };
    crate::roles::with_prefix(&prefix)
        .map(|r| CompletionCandidate::new(r.name()).help(Some(r.title().into())))
        .collect()
}

/// The file name a shell expects its completion script under.
pub fn file_name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "jit.bash",
        Shell::Zsh => "_jit",
        Shell::Fish => "jit.fish",
        Shell::Elvish => "jit.elv",
        Shell::PowerShell => "_jit.ps1",
        _ => "jit.completion",
    }
}

/// The man page (clap_mangen), as committed under docs/.
pub fn man_page() -> Vec<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out).expect("rendering to memory cannot fail");
    out
}

pub fn run(shell: Shell) -> Result<(), Error> {
    use std::io::Write;
    std::io::stdout().write_all(&script(shell)).map_err(|e| Error::io(format!("cannot write to stdout: {e}")))
}
