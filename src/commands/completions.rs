//! `jit completions SHELL`, and the generator behind the committed scripts under completions/.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Error;

/// The completion script for `shell`, as committed under completions/.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "jit", &mut out);
    out
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
