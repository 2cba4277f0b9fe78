//! Presentation that every command shares: where a report goes (stdout or stderr, buffered, held
//! back by `--quiet`) and the one question jit asks before writing. Below `target` and
//! `commands`: it knows the resolved settings and nothing of how a policy is read or written.

use std::io::Write;

use crate::config::Config;
use crate::error::{Error, exit};

/// Writes a human report to stderr unless --quiet (used when stdout carries the policy).
pub(crate) fn to_stderr(
    config: &Config,
    render: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<(), Error> {
    if config.quiet {
        return Ok(());
    }
    buffered(std::io::stderr().lock(), "stderr", render)
}

/// Writes the report to stdout unless --quiet (JSON and YAML are always written: they are the
/// output a script asked for; so is a table asked for by name, `--format table`).
pub(crate) fn to_stdout(
    config: &Config,
    render: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<(), Error> {
    if config.quiet && config.format == crate::cli::Format::Table && !config.format_given {
        return Ok(());
    }
    buffered(std::io::stdout().lock(), "stdout", render)
}

/// Renders through one buffer and writes it at the end: a line-buffered stdout (or an unbuffered
/// stderr) would make a system call per line of a long listing.
fn buffered(
    to: impl Write,
    name: &str,
    render: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut out = std::io::BufWriter::new(to);
    render(&mut out)?;
    out.flush().map_err(|e| Error::io(format!("cannot write to {name}: {e}")))
}

/// Asks on a terminal whether to go ahead (`Policies::asks` decides when to ask); never under
/// `--quiet` (`Config::interactive` is false then), where the answer is yes.
pub(crate) fn confirm(config: &Config, question: &str) -> Result<bool, Error> {
    if !config.interactive {
        return Ok(true);
    }
    dialoguer::Confirm::new()
        .with_prompt(crate::text::escape(question))
        .default(false)
        .interact()
        .map_err(|e| Error::io(format!("cannot ask for confirmation: {e}")))
}

/// A declined confirmation is the user's answer, not a failure (issue 12 item 8): it says so on
/// stderr and jit exits 0.
pub(crate) fn cancelled() -> i32 {
    eprintln!("Cancelled; nothing was written.");
    exit::OK
}
