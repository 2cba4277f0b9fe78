//! jit: temporary, self-expiring IAM role bindings on Google Cloud, with no server.
//!
//! The pure core (`condition`, `policy`, `edit`, `source`, `iam`, `timespec`) decides every change
//! from (policy, request, now); `gcp` is the only code that talks to Google; `emulator` is a local
//! stand-in for Google's API.

pub mod cli;
pub mod commands;
pub mod condition;
pub mod config;
pub mod edit;
pub mod emulator;
pub mod error;
pub mod gcp;
pub mod iam;
pub mod output;
pub mod policy;
pub mod roles;
pub mod source;
pub mod timespec;

pub use error::{Error, Result};

use clap::Parser;

/// Parses the command line and runs the command; the caller prints the error and exits with its
/// code.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<i32> {
    let cli = cli::Cli::parse_from(args);
    match cli.command {
        cli::Command::Emulator(args) => emulator::run(args).map(|()| error::exit::OK),
        _ => commands::run(cli),
    }
}
