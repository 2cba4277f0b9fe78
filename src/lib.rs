//! jit: temporary, self-expiring IAM role bindings on Google Cloud, with no server.
//!
//! The pure core (`condition`, `policy`, `edit`, `source`, `iam`, `timespec`) decides every change
//! from (policy, request, now); `gcp` is the only code that talks to Google. The emulator, a local
//! stand-in for Google's API, is its own crate (`jit-emulator`, behind the default `emulator`
//! feature).

pub mod audit;
pub mod cli;
pub mod commands;
pub mod condition;
pub mod config;
pub mod delegation;
pub mod edit;
pub mod entitlements;
pub mod error;
pub mod flow;
pub mod gcp;
pub mod history;
pub mod iam;
pub mod kinds;
pub mod output;
pub mod pam;
pub mod pam_log;
pub mod policy;
pub mod present;
pub mod roles;
pub mod source;
pub mod target;
pub mod team;
pub mod text;
pub mod timespec;

pub use error::{Error, Result};

/// Parses the command line and runs the command; the caller prints the error and exits with its
/// code.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<i32> {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    // The environment, the terminals and the clock, read once (config/env.rs is their only reader).
    let env = config::Env::from_process();
    if commands::completions::complete_from_env(&args, &env)? {
        return Ok(error::exit::OK);
    }
    output::set_table_width(env.table_width);
    let cli = cli::parse(args, env.interactive, env.columns());
    match cli.command {
        cli::Command::Emulator(args) => commands::emulator::run(args).map(|()| error::exit::OK),
        _ => commands::run(cli, &env),
    }
}
