//! What the user types to Privileged Access Manager's commands (issue 21): entitlements, request,
//! requests, approve, deny, exec.

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EntitlementsArgs {
    #[command(subcommand)]
    pub command: Option<EntitlementsCommand>,
    /// The project, folder or organization: `projects/P`, `folders/N`, `organizations/N`
    /// (default: --project, or the default project).
    #[arg(value_name = "SCOPE")]
    pub scope: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum EntitlementsCommand {
    /// Make PAM match the team config's [entitlements.ID] tables: create, update, or leave
    /// alone; delete only the entitlements jit created (their IDs start with `jit-`) that no
    /// table names any more.
    Apply {
        /// Show the plan without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation on a terminal.
        #[arg(long, short)]
        yes: bool,
    },
}

/// How the access is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ExecVia {
    /// PAM when an entitlement is named or one you may request holds the roles, else jit's own
    /// self-grant.
    #[default]
    Auto,
    /// A time-bound binding jit writes (needs setIamPolicy on the scope).
    Grant,
    /// A Privileged Access Manager grant.
    Pam,
}

#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// Roles or entitlements (by ID), and at most one scope `projects/P`, `folders/N` or
    /// `organizations/N` (default: --project, or the default project).
    #[arg(required = true, value_name = "ROLE|ID|SCOPE")]
    pub words: Vec<String>,
    /// The command to run, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
    /// How long at most: the access ends then even if the command runs on. Default: 1h.
    #[arg(long = "for", value_name = "DURATION", allow_hyphen_values = true)]
    pub duration: Option<String>,
    /// Why (recorded in the condition, or PAM's justification).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Through PAM or jit's own grant.
    #[arg(long, value_enum, default_value_t = ExecVia::Auto)]
    pub via: ExecVia,
    /// Give up waiting for an approval and for the access to apply after this long.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub wait_timeout: String,
}

#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    /// What to request: entitlements by ID (`prod-debug`) or full name, or roles (the entitlement
    /// on the scope that holds them is found); and at most one scope, `projects/P`, `folders/N` or
    /// `organizations/N` (default: --project, or the default project).
    #[arg(required = true, value_name = "ID|ROLE|SCOPE")]
    pub words: Vec<String>,
    /// How long: 90m, 2h, PT2H; at most the entitlement's maximum. Default: 1h.
    #[arg(long = "for", value_name = "DURATION", allow_hyphen_values = true)]
    pub duration: Option<String>,
    /// Why (PAM's justification; required when the entitlement says so).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Start later. PAM v1 starts a grant when it is approved: its Grant has no start time, so
    /// this is refused with what to do instead.
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Follow the grant until it is active (or refused), then until the access is effective:
    /// your own testIamPermissions on the resource sees the roles' permissions.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up waiting after this long (the request stays).
    #[arg(long, value_name = "DURATION", default_value = "30m", requires = "wait")]
    pub wait_timeout: String,
}

#[derive(Debug, clap::Args)]
pub struct RequestsArgs {
    /// Only the grants awaiting your approval.
    #[arg(long)]
    pub to_approve: bool,
    /// Only the grants you asked for.
    #[arg(long)]
    pub mine: bool,
    /// Only the grants you approved.
    #[arg(long)]
    pub approved: bool,
    /// The project, folder or organization: `projects/P`, `folders/N`, `organizations/N`
    /// (default: --project, or the default project).
    #[arg(value_name = "SCOPE")]
    pub scope: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The grant: its full name, or its ID (`jit requests` shows it) with the scope; or an
    /// entitlement's ID, for the one grant on it awaiting your approval.
    #[arg(value_name = "GRANT")]
    pub grant: String,
    /// The project, folder or organization of a grant named by its ID.
    #[arg(value_name = "SCOPE")]
    pub scope: Option<String>,
    /// Why (required when the entitlement asks approvers for one).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DenyArgs {
    /// The grant: its full name, or its ID (`jit requests` shows it) with the scope; or an
    /// entitlement's ID, for the one grant on it awaiting your approval.
    #[arg(value_name = "GRANT")]
    pub grant: String,
    /// The project, folder or organization of a grant named by its ID.
    #[arg(value_name = "SCOPE")]
    pub scope: Option<String>,
    /// Why, for the requester.
    #[arg(long, value_name = "TEXT", required = true)]
    pub reason: String,
}
