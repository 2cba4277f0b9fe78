//! What the user types to the commands of time-bound bindings: grant, list, revoke, cleanup,
//! history, audit, delegate.

use clap::Args;
use clap_complete::engine::ArgValueCompleter;

use super::shared::{EditFileArgs, PolicyFileArgs, Via, role_names};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Also every resource below the projects, folders and organizations named, of every kind.
    #[arg(long)]
    pub recursive: bool,
    /// With --recursive: search Cloud Asset Inventory (default; the walk if it is not available)
    /// or walk the hierarchy.
    #[arg(long, value_enum, default_value_t = Via::Asset, requires = "recursive")]
    pub via: Via,
    /// How many resources to read at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    #[command(flatten)]
    pub file: PolicyFileArgs,
}

#[derive(Debug, Args)]
pub struct DelegateArgs {
    /// Who may grant: user:, group:, serviceAccount:, principal://, principalSet://, or a bare
    /// email.
    #[arg(value_name = "PRINCIPAL")]
    pub principal: String,
    /// The roles the principal may grant and revoke (repeatable, or separated by commas).
    #[arg(long, value_name = "ROLE", value_delimiter = ',', required_unless_present = "bundle",
          conflicts_with = "bundle", add = ArgValueCompleter::new(role_names))]
    pub roles: Vec<String>,
    /// The roles of this bundle of the team config.
    #[arg(long, value_name = "NAME")]
    pub bundle: Option<String>,
    /// How long the delegation lasts: 30d, 12h, PT2H.
    #[arg(long = "for", value_name = "DURATION", conflicts_with_all = ["until", "permanent"],
          allow_hyphen_values = true)]
    pub duration: Option<String>,
    /// Until when: RFC 3339 with an offset, or HH:MM.
    #[arg(long, value_name = "TIME", conflicts_with = "permanent")]
    pub until: Option<String>,
    /// No end (`jit audit` reports such delegations).
    #[arg(long)]
    pub permanent: bool,
    /// Delegate roles that would let the delegate give itself more access (any setIamPolicy,
    /// service-account keys and tokens).
    #[arg(long)]
    pub allow_escalation: bool,
    /// Delegate roles that jit's copy of Google's predefined roles does not know (a newer role);
    /// their permissions cannot be checked for escalation then.
    #[arg(long)]
    pub no_role_check: bool,
    /// Why; recorded in the condition's description.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Show the change without writing it.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation on a terminal.
    #[arg(long, short)]
    pub yes: bool,
    #[command(flatten)]
    pub file: EditFileArgs,
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    /// Roles to grant, e.g. roles/storage.admin, or one `@BUNDLE` of the team config (its roles
    /// on its resources). On a terminal, none opens a picker.
    #[arg(required = true, value_name = "ROLE", add = ArgValueCompleter::new(role_names))]
    pub roles: Vec<String>,
    /// Write roles that jit's copy of Google's predefined roles does not know (a newer role).
    #[arg(long)]
    pub no_role_check: bool,
    /// How long: 90m, 2h, 1h30m, 1d, PT2H. Default: 1h.
    #[arg(long = "for", value_name = "DURATION", conflicts_with = "until", allow_hyphen_values = true)]
    pub duration: Option<String>,
    /// Until when: RFC 3339 with an offset, or HH:MM (the next such local time).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Start later: RFC 3339 with an offset, or HH:MM. --for then counts from the start.
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Who gets the roles (repeatable): user:, group:, serviceAccount:, domain:, principal://,
    /// principalSet://, or a bare email. Default: yourself.
    #[arg(long, value_name = "PRINCIPAL")]
    pub member: Vec<String>,
    /// Why; recorded in the condition's description.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Set the expiry exactly, even if that shortens an existing grant.
    #[arg(long)]
    pub replace: bool,
    /// The longest grant allowed. Default: JIT_MAX_DURATION, else 12h.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub max_duration: Option<String>,
    /// Show the change without writing it.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation on a terminal.
    #[arg(long, short)]
    pub yes: bool,
    #[command(flatten)]
    pub file: EditFileArgs,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How far back: 7d, 24h, 90m, P30D (at most 400d, what audit logs keep).
    #[arg(long, value_name = "DURATION", default_value = crate::history::DEFAULT_SINCE)]
    pub since: String,
    /// Only this member (repeatable).
    #[arg(long, value_name = "PRINCIPAL")]
    pub member: Vec<String>,
    /// Only this role (repeatable).
    #[arg(long, value_name = "ROLE", add = ArgValueCompleter::new(role_names))]
    pub role: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Include expired bindings.
    #[arg(long)]
    pub all: bool,
    /// Only this member (repeatable).
    #[arg(long, value_name = "PRINCIPAL")]
    pub member: Vec<String>,
    /// Only this role (repeatable).
    #[arg(long, value_name = "ROLE", add = ArgValueCompleter::new(role_names))]
    pub role: Vec<String>,
    /// List delegations (`jit delegate`) instead: who may grant which roles, until when.
    #[arg(long, conflicts_with_all = ["all", "role", "recursive", "at"])]
    pub delegations: bool,
    /// Also every resource below the projects, folders and organizations named, of every kind.
    #[arg(long)]
    pub recursive: bool,
    /// With --recursive: search Cloud Asset Inventory (default; the walk if it is not available)
    /// or walk the hierarchy.
    #[arg(long, value_enum, default_value_t = Via::Asset, requires = "recursive")]
    pub via: Via,
    /// Who holds time-bound access at this instant (past or future): RFC 3339 with an offset, or
    /// HH:MM (the next such local time).
    #[arg(long, value_name = "TIME", conflicts_with = "all")]
    pub at: Option<String>,
    #[command(flatten)]
    pub file: PolicyFileArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Roles whose time-bound bindings to end.
    #[arg(required_unless_present_any = ["delegation", "grant"], value_name = "ROLE", add = ArgValueCompleter::new(role_names))]
    pub roles: Vec<String>,
    /// End this principal's delegations (`jit delegate`) instead.
    #[arg(long, value_name = "PRINCIPAL", conflicts_with_all = ["roles", "member", "all_members"])]
    pub delegation: Option<String>,
    /// End this Privileged Access Manager grant early instead: its full name, or its ID with
    /// --project, --folder or --organization.
    #[arg(long, value_name = "GRANT", conflicts_with_all = ["roles", "member", "all_members", "delegation", "dry_run"])]
    pub grant: Option<String>,
    /// Whose access to end (repeatable). Default: yourself.
    #[arg(long, value_name = "PRINCIPAL", conflicts_with = "all_members")]
    pub member: Vec<String>,
    /// End everyone's time-bound access to these roles.
    #[arg(long)]
    pub all_members: bool,
    /// Show the change without writing it.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation on a terminal.
    #[arg(long, short)]
    pub yes: bool,
    #[command(flatten)]
    pub file: EditFileArgs,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Show what would be removed without writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also every resource below the projects, folders and organizations named.
    #[arg(long)]
    pub recursive: bool,
    /// With --recursive: find candidates through Cloud Asset Inventory (default; the walk if it is
    /// not available) or walk the hierarchy. Either way each resource is read afresh before any
    /// write.
    #[arg(long, value_enum, default_value_t = Via::Asset, requires = "recursive")]
    pub via: Via,
    /// Only remove bindings jit wrote.
    #[arg(long)]
    pub only_jit: bool,
    /// Keep bindings that ended less than this long ago, e.g. 24h. Default: 0.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub grace: Option<String>,
    /// How many resources to work on at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    #[command(flatten)]
    pub file: EditFileArgs,
}
