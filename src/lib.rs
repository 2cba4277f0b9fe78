//! jit: temporary, self-expiring IAM role bindings on Google Cloud, with no server.
//!
//! The pure core (`condition`, `policy`, `edit`, `source`, `iam`, `timespec`) decides every change
//! from (policy, request, now); `gcp` is the only code that talks to Google. The emulator, a local
//! stand-in for Google's API, is its own crate (`jit-emulator`, behind the default `emulator`
//! feature).

pub mod cli;
pub mod commands;
pub mod condition;
pub mod config;
pub mod edit;
pub mod error;
pub mod gcp;
pub mod iam;
pub mod output;
pub mod policy;
pub mod source;
pub mod timespec;

pub use error::{Error, Result};

use clap::{CommandFactory, FromArgMatches};

/// Parses the command line and runs the command; the caller prints the error and exits with its
/// code.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<i32> {
    let mut command = cli::Cli::command();
    // clap reads COLUMNS only when no stream is a terminal; jit's tables read it first
    // (`output::columns`), and help follows the same width.
    if let Some(width) = output::columns() {
        command = command.term_width(width.min(cli::HELP_MAX_WIDTH));
    }
    let matches = command.get_matches_from(args);
    let cli = cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.command {
        cli::Command::Emulator(args) => commands::emulator::run(args).map(|()| error::exit::OK),
        _ => commands::run(cli),
    }
}
