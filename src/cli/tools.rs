//! What the user types to the commands that neither read nor write a policy: config,
//! completions, roles.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use clap_complete::engine::ArgValueCompleter;

use super::shared::role_names;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Read the team's config file and report the first mistake with its line and column (exit
    /// 2), or what it holds.
    Check {
        /// The file. Default: --config, JIT_CONFIG, a jit.toml here or above, else
        /// $XDG_CONFIG_HOME/jit/config.toml.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct RolesArgs {
    #[command(subcommand)]
    pub command: RolesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RolesCommand {
    /// A role's title, stage, number of permissions and those that lead to more access.
    Show {
        /// The role, e.g. roles/storage.admin (`roles/` may be left out).
        #[arg(value_name = "ROLE", add = ArgValueCompleter::new(role_names))]
        role: String,
        /// List every permission of the role.
        #[arg(long)]
        all_permissions: bool,
    },
    /// Every predefined role, or those whose names start with PREFIX (`roles/` may be left out).
    List {
        /// Only the roles whose names start with this, e.g. storage. or roles/run.
        #[arg(value_name = "PREFIX", add = ArgValueCompleter::new(role_names))]
        prefix: Option<String>,
    },
}
