//! What the user types: clap derive structs only. `config` turns these into what jit uses.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "jit", version, about = "Temporary, self-expiring IAM role bindings on Google Cloud")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the local emulator of Google's IAM policy API.
    Emulator(crate::emulator::Args),
}
