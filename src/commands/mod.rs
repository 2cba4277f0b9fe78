//! One file per subcommand: resolve → read-modify-write (a file, or Google's API through `gcp`) →
//! render.

use std::io::{IsTerminal, Write};

use crate::cli::{Cli, Command};
use crate::config::{self, Config, Env};
use crate::error::{Error, exit};

pub mod api;
pub mod cleanup;
pub mod completions;
pub mod grant;
pub mod list;
pub mod offline;
pub mod revoke;

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    let now = chrono::Utc::now();
    let var = |name: &str| std::env::var(name).ok();
    let env = Env {
        var: &var,
        stdout_is_terminal: std::io::stdout().is_terminal(),
        interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        now,
    };
    match &cli.command {
        Command::Grant(args) => {
            let config = Config::resolve(&cli.global, Some(&args.file), &env)?;
            let grant = config::Grant::resolve(args, now)?;
            grant::run(&config, &grant)
        }
        Command::List(args) => {
            let file = crate::cli::EditFileArgs {
                file: crate::cli::PolicyFileArgs { policy_file: args.file.policy_file.clone() },
                in_place: false,
            };
            let config = Config::resolve(&cli.global, Some(&file), &env)?;
            list::run(&config, &config::List::resolve(args)?)
        }
        Command::Revoke(args) => {
            let config = Config::resolve(&cli.global, Some(&args.file), &env)?;
            revoke::run(&config, &config::Revoke::resolve(args)?)
        }
        Command::Cleanup(args) => {
            let config = Config::resolve(&cli.global, Some(&args.file), &env)?;
            cleanup::run(&config, &config::Cleanup::resolve(args)?)
        }
        Command::Emulator(_) => unreachable!("handled before configuration"),
        Command::Completions(args) => completions::run(args.shell).map(|()| exit::OK),
    }
}

/// Writes a human report to stderr unless --quiet (used when stdout carries the policy).
pub(crate) fn to_stderr(
    config: &Config,
    render: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<(), Error> {
    if config.quiet {
        return Ok(());
    }
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    render(&mut err)?;
    err.flush().map_err(|e| Error::io(format!("cannot write to stderr: {e}")))
}

/// Writes the report to stdout unless --quiet (JSON and YAML are always written: they are the
/// output a script asked for).
pub(crate) fn to_stdout(
    config: &Config,
    render: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<(), Error> {
    if config.quiet && config.format == crate::cli::Format::Table {
        return Ok(());
    }
    // Buffered: a line-buffered stdout would make one system call per line of a long listing.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    render(&mut out)?;
    out.flush().map_err(|e| Error::io(format!("cannot write to stdout: {e}")))
}
