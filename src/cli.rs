//! What the user types: clap derive structs only. `config` turns these into what jit uses.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

use clap_complete::engine::CompletionCandidate;

/// The widest help text, whatever the terminal.
pub const HELP_MAX_WIDTH: usize = 120;

const AFTER_HELP: &str = "\
Examples:
  jit grant roles/storage.admin --for 2h --reason INC-42 --project my-project
  jit list --organization 123456789012 --all
  jit revoke roles/storage.admin --member bob@example.com --project my-project
  jit cleanup --recursive --organization 123456789012 --dry-run
  gcloud projects get-iam-policy P --format=json | jit list --policy-file -
  jit --emulator grant roles/logging.viewer --for 2h --project jit-demo-prod";

#[derive(Debug, Parser)]
#[command(
    name = "jit",
    version,
    about = "Temporary, self-expiring IAM role bindings on Google Cloud, with no server",
    long_about = "Temporary, self-expiring IAM role bindings on Google Cloud, with no server.\n\n\
        jit adds role bindings whose IAM Condition is `request.time < timestamp(...)`. Google evaluates \
        the condition on every request, so access ends on time even if jit and its host are gone.",
    after_help = AFTER_HELP,
    // Help follows the terminal (or COLUMNS, see `run` in lib.rs) up to this width: longer lines
    // are hard to read.
    max_term_width = HELP_MAX_WIDTH
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, shown after each command's own.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or
    /// the active gcloud configuration's project. With a bare --secret or --run-service name, it
    /// says which project that name is in (as in gcloud) and its own policy is left alone.
    #[arg(long, global = true, value_name = "ID")]
    pub project: Vec<String>,
    /// Folder number to work on (repeatable).
    #[arg(long, global = true, value_name = "NUMBER")]
    pub folder: Vec<String>,
    /// Organization number to work on (repeatable).
    #[arg(long, global = true, value_name = "NUMBER")]
    pub organization: Vec<String>,
    /// Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform
    /// bucket-level access.
    #[arg(long, global = true, value_name = "NAME")]
    pub bucket: Vec<String>,
    /// Secret Manager secret, `projects/P/secrets/NAME`, or NAME in --project or the default
    /// project (repeatable).
    #[arg(long, global = true, value_name = "SECRET")]
    pub secret: Vec<String>,
    /// IAM service account, by e-mail (repeatable): who may act as it.
    #[arg(long, global = true, value_name = "EMAIL")]
    pub service_account: Vec<String>,
    /// Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable).
    #[arg(long, global = true, value_name = "NAME")]
    pub kms_keyring: Vec<String>,
    /// Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable).
    #[arg(long, global = true, value_name = "NAME")]
    pub kms_key: Vec<String>,
    /// Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in --project or
    /// the default project (repeatable).
    #[arg(long, global = true, value_name = "SERVICE")]
    pub run_service: Vec<String>,
    /// The region of the Cloud Run services named by their short name.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs
    /// write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable).
    #[arg(long, global = true, value_name = "//SERVICE.googleapis.com/NAME")]
    pub resource: Vec<String>,
    /// The team's config file (bundles, limits, denied roles). Default: JIT_CONFIG, a jit.toml in
    /// this directory or above, else $XDG_CONFIG_HOME/jit/config.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format. Default: table on a terminal, JSON otherwise.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML
    /// output, the edited policy of --policy-file).
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Explain each API call, retry and wait on stderr (never a token).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator
    /// (Storage under URL/storage/v1/). Default: each service's CLOUDSDK_API_ENDPOINT_OVERRIDES_…
    /// variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN),
    /// else Google's.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Work against a local, in-process emulator whose state lives in
    /// $XDG_STATE_HOME/jit/emulator.json (no Google account needed), as its demo admin
    /// alice@example.com. It has its own endpoint and credentials, so the flags for those are refused.
    #[arg(long, global = true, conflicts_with_all = ["endpoint", "access_token_file", "impersonate_service_account"])]
    pub emulator: bool,
    /// Act as this service account, through short-lived tokens from IAM Credentials.
    #[arg(long, global = true, value_name = "EMAIL")]
    pub impersonate_service_account: Option<String>,
    /// The project whose quota and billing API calls use (sent as x-goog-user-project), as gcloud's
    /// --billing-project. Default: CLOUDSDK_BILLING_QUOTA_PROJECT, else the credentials' own
    /// (an ADC file's quota_project_id). Cloud Asset Inventory's search needs one with user
    /// credentials.
    #[arg(long, global = true, value_name = "PROJECT")]
    pub billing_project: Option<String>,
    /// Read the OAuth access token from this file instead of looking for credentials.
    #[arg(long, global = true, value_name = "FILE")]
    pub access_token_file: Option<PathBuf>,
    /// Give up a call after this many tries: a read-modify-write, or a read (conflicts, 429, 5xx,
    /// dropped and timed-out connections are retried).
    #[arg(long, global = true, value_name = "N", default_value_t = crate::gcp::retry::DEFAULT_ATTEMPTS, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub retry_attempts: u32,
    /// Give up a call (a read-modify-write, a read, or one page of a listing) after this long, waits
    /// included; no single call waits longer for an answer.
    #[arg(long, global = true, value_name = "DURATION", default_value = crate::gcp::retry::DEFAULT_TIMEOUT_FLAG)]
    pub retry_timeout: String,
    /// Pace policy writes to this many a minute per service, the quota project's write quota
    /// (Resource Manager's published default: 600); buckets get one write a second each. A 429
    /// slows the pace further. 0 turns pacing off.
    #[arg(long, global = true, value_name = "N", default_value_t = crate::gcp::pace::DEFAULT_WRITES_PER_MINUTE, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub writes_per_minute: u32,
    /// Pace Cloud Asset Inventory searches to this many pages a minute, the quota project's
    /// searchAllIamPolicies quota (published default: 400). 0 turns pacing off.
    #[arg(long, global = true, value_name = "N", default_value_t = crate::gcp::pace::DEFAULT_SEARCHES_PER_MINUTE, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub searches_per_minute: u32,
    /// The longest a --recursive listing (the search of a scope, or the walk below it) may take;
    /// past it the listing stops, what was read is used and the scope is named as failed (exit 4).
    #[arg(long, global = true, value_name = "DURATION", default_value = "1h")]
    pub list_timeout: String,
}

/// How `--recursive` finds the resources below a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Via {
    /// Cloud Asset Inventory's searchAllIamPolicies: every kind, 500 policies a page (needs
    /// cloudasset.assets.searchAllIamPolicies, in roles/cloudasset.viewer, and the API enabled).
    #[default]
    Asset,
    /// List folders and projects and read each policy (projects, folders, organizations only).
    Walk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

/// A saved policy instead of the API (list, grant, revoke, cleanup).
#[derive(Debug, Clone, Args, Default)]
pub struct PolicyFileArgs {
    /// Read the policy from a JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-`
    /// for stdin) instead of the API: no network, no credentials.
    #[arg(long, value_name = "FILE")]
    pub policy_file: Option<String>,
}

/// A saved policy that may be written back.
#[derive(Debug, Args, Default)]
pub struct EditFileArgs {
    #[command(flatten)]
    pub file: PolicyFileArgs,
    /// With --policy-file FILE: write the edited policy back into FILE. Without it the edited
    /// policy goes to stdout and the report to stderr.
    #[arg(long, requires = "policy_file")]
    pub in_place: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Grant roles until a time: adds bindings with a time-bound IAM Condition.
    Grant(GrantArgs),
    /// List time-bound bindings from any tool: who holds what, until when.
    List(ListArgs),
    /// End time-bound access early by removing those bindings or members.
    Revoke(RevokeArgs),
    /// Remove bindings that can never grant access again (for cron).
    Cleanup(CleanupArgs),
    /// Who granted, extended, revoked or cleaned up time-bound access, from Cloud Audit Logs.
    History(HistoryArgs),
    /// Look up Google's predefined roles: title, stage, permissions.
    Roles(RolesArgs),
    /// Serve the local emulator of Google's IAM policy API.
    Emulator(crate::commands::emulator::Args),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Check the team's config file (jit.toml).
    Config(ConfigArgs),
    /// Let a principal grant and revoke only the roles named, enforced by Google (delegated role
    /// granting on a project, folder or organization).
    Delegate(DelegateArgs),
    /// Report what a reviewer should look at (standing sensitive roles, over-long grants, roles
    /// in no bundle, delegations without an end, policies near Google's limits); exit 1 when
    /// anything is found, for CI.
    Audit(AuditArgs),
    /// Privileged Access Manager: the entitlements you may request or approve; `apply` makes PAM
    /// match the team config's [entitlements.ID] tables.
    Entitlements(EntitlementsArgs),
    /// Ask Privileged Access Manager for access (an entitlement, or roles), approved and ended by
    /// Google.
    Request(RequestArgs),
    /// Privileged Access Manager's grants you asked for, may approve, or approved.
    Requests(RequestsArgs),
    /// Approve a Privileged Access Manager grant.
    Approve(ApproveArgs),
    /// Deny a Privileged Access Manager grant.
    Deny(DenyArgs),
    /// Run a command with access that ends when it does: a self-grant, or a Privileged Access
    /// Manager grant waited for.
    Exec(ExecArgs),
}

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

/// The examples each command's help ends with (`--help`, `-h` and its man page), as gcloud's do
/// (issue 19 item 12). One line each, under 80 columns (tests/ux.rs).
pub const EXAMPLES: [(&str, &str); 21] = [
    (
        "grant",
        "  jit grant roles/storage.admin --for 2h --reason INC-42 --project my-project
  jit grant roles/logging.viewer --member bob@example.com --until 18:00
  jit grant roles/storage.objectViewer --for 30m --bucket gs://my-logs
  jit grant @oncall-payments --for 2h --reason INC-42
  jit grant roles/run.invoker --for 1h --policy-file policy.json --in-place",
    ),
    (
        "list",
        "  jit list --project my-project
  jit list --organization 123456789012 --recursive --all
  jit list --member bob@example.com --format json
  jit list --delegations --project my-project",
    ),
    (
        "revoke",
        "  jit revoke roles/storage.admin --project my-project
  jit revoke roles/storage.admin --member bob@example.com --project my-project
  jit revoke roles/logging.viewer --all-members --bucket gs://my-logs
  jit revoke --delegation dana@example.com --project my-project",
    ),
    (
        "cleanup",
        "  jit cleanup --project my-project --dry-run
  jit cleanup --recursive --organization 123456789012
  jit cleanup --recursive --folder 234567890123 --only-jit --grace 24h",
    ),
    (
        "history",
        "  jit history --project my-project
  jit history --since 30d --member bob@example.com --project my-project
  jit history --role roles/storage.admin --format json --project my-project",
    ),
    (
        "roles",
        "  jit roles show roles/storage.admin
  jit roles list storage.",
    ),
    (
        "roles show",
        "  jit roles show roles/storage.admin
  jit roles show iam.serviceAccountUser --all-permissions",
    ),
    (
        "roles list",
        "  jit roles list\n  jit roles list roles/run.\n  jit roles list secretmanager. --format json",
    ),
    (
        "emulator",
        "  jit emulator --port 8080
  jit emulator --port 8080 --state /tmp/emulator.json --no-auth
  jit emulator --print-seed > seed.json",
    ),
    (
        "completions",
        "  jit completions bash > ~/.local/share/bash-completion/completions/jit
  jit completions zsh > ~/.zfunc/_jit
  jit completions fish > ~/.config/fish/completions/jit.fish",
    ),
    ("config", "  jit config check\n  jit config check ./jit.toml --format json"),
    ("config check", "  jit config check\n  jit config check ./jit.toml --format json"),
    (
        "delegate",
        "  jit delegate dana@example.com --roles roles/logging.viewer --for 30d
  jit delegate group:sre@example.com --bundle oncall --for 7d --folder 234567890
  jit delegate group:ops@example.com --roles roles/run.invoker --permanent",
    ),
    (
        "audit",
        "  jit audit --project my-project
  jit audit --recursive --organization 123456789012 --format json",
    ),
    (
        "entitlements",
        "  jit entitlements projects/my-project
  jit entitlements apply --dry-run
  jit entitlements --format json",
    ),
    ("entitlements apply", "  jit entitlements apply --dry-run\n  jit entitlements apply --yes"),
    (
        "request",
        "  jit request prod-debug --for 2h --reason INC-42 projects/my-project
  jit request roles/logging.viewer --for 1h --reason INC-42 --wait",
    ),
    (
        "requests",
        "  jit requests --to-approve projects/my-project
  jit requests --mine --format json",
    ),
    (
        "approve",
        "  jit approve GRANT_ID projects/my-project --reason looks-right
  jit approve projects/my-project/locations/global/entitlements/E/grants/G",
    ),
    ("deny", "  jit deny GRANT_ID projects/my-project --reason \"use the read-only role\""),
    (
        "exec",
        "  jit exec roles/logging.viewer --for 1h -- gcloud logging read --limit 5
  jit exec prod-debug --for 30m --reason INC-42 -- ./debug.sh",
    ),
];

/// The examples of `name` (`roles show` for a nested one), for [`command`] and the man pages.
pub fn examples_of(name: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

/// The subcommands that neither read nor write a policy, with the only global options that mean
/// something to them; every other global option (scopes, endpoint, credentials, retries, …) is
/// kept out of their help, man page and completions, and refused when given (issue 12 item 4).
pub const OWN_GLOBALS: [(&str, &[&str]); 4] = [
    ("emulator", &[]),
    ("completions", &[]),
    ("roles", &["format"]),
    ("config", &["config", "format", "quiet"]),
];

/// Global options a subcommand refuses with a reason of its own (a delegation is held by a project,
/// folder or organization only): kept out of its help, man page and completions, and still parsed
/// so that the subcommand can say why (issue 19 item 12).
pub const REFUSED_GLOBALS: [(&str, &[&str]); 1] = [(
    "delegate",
    &["bucket", "secret", "service_account", "kms_keyring", "kms_key", "run_service", "region", "resource"],
)];

fn refused_globals(name: &str) -> &'static [&'static str] {
    REFUSED_GLOBALS.iter().find(|(n, _)| *n == name).map_or(&[], |(_, r)| *r)
}

/// The global options that mean something to subcommand `name`: `None` for every one of them.
fn own_globals(name: &str) -> Option<&'static [&'static str]> {
    OWN_GLOBALS.iter().find(|(n, _)| *n == name).map(|(_, own)| *own)
}

/// jit's command line: [`Cli`]'s, with the global options kept out of the help, man page and
/// completions of the subcommands of [`OWN_GLOBALS`] that they mean nothing to. clap copies a
/// global option into every subcommand that has no argument of that name, so each of those gets
/// a hidden copy of its own first; [`parse`] refuses one given there.
pub fn command() -> clap::Command {
    let mut command = Cli::command();
    let globals: Vec<clap::Arg> = command.get_arguments().filter(|a| a.is_global_set()).cloned().collect();
    command = with_examples(command, &globals);
    for (name, refused) in REFUSED_GLOBALS {
        command = command.mut_subcommand(name, |mut sub| {
            for arg in globals.iter().filter(|a| refused.contains(&a.get_id().as_str())) {
                sub = sub.arg(arg.clone().global(false).hide(true));
            }
            sub
        });
    }
    for (name, own) in OWN_GLOBALS {
        command = command.mut_subcommand(name, |mut sub| {
            for arg in globals.iter().filter(|a| !own.contains(&a.get_id().as_str())) {
                if sub.get_arguments().all(|a| a.get_id() != arg.get_id()) {
                    sub = sub.arg(arg.clone().global(false).hide(true));
                }
            }
            // Nested subcommands (`roles show`, `config check`) take the same.
            let nested: Vec<String> = sub.get_subcommands().map(|c| c.get_name().to_string()).collect();
            for n in nested {
                sub = sub.mut_subcommand(n, |mut inner| {
                    for arg in globals.iter().filter(|a| !own.contains(&a.get_id().as_str())) {
                        if inner.get_arguments().all(|a| a.get_id() != arg.get_id()) {
                            inner = inner.arg(arg.clone().global(false).hide(true));
                        }
                    }
                    inner
                });
            }
            sub
        });
    }
    command
}

/// Every subcommand's help ends with its examples ([`EXAMPLES`]). `-h` keeps the global options
/// to their names in one paragraph (`--help` and the man pages have them in full): twenty global
/// options in full buried a command's own few (issue 19 item 12).
fn with_examples(mut command: clap::Command, globals: &[clap::Arg]) -> clap::Command {
    for arg in globals {
        command = command.mut_arg(arg.get_id().clone(), |a| a.hide_short_help(true));
    }
    let names: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_string()).collect();
    for name in names {
        command = command.mut_subcommand(&name, |mut sub| {
            let nested: Vec<String> = sub.get_subcommands().map(|c| c.get_name().to_string()).collect();
            for inner in nested {
                let full = format!("{name} {inner}");
                sub = sub.mut_subcommand(&inner, |c| annotate(c, &full, globals));
            }
            annotate(sub, &name, globals)
        });
    }
    command
}

/// One subcommand's EXAMPLES, and in `-h` the names of the global options it takes.
fn annotate(sub: clap::Command, name: &str, globals: &[clap::Arg]) -> clap::Command {
    let Some(examples) = examples_of(name) else { return sub };
    let top = name.split(' ').next().unwrap_or(name);
    let own = own_globals(top);
    let taken: Vec<String> = globals
        .iter()
        .filter(|a| own.is_none_or(|own| own.contains(&a.get_id().as_str())))
        .filter(|a| !refused_globals(top).contains(&a.get_id().as_str()))
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    let long = format!("Examples:\n{examples}");
    let short = if taken.is_empty() {
        long.clone()
    } else {
        format!("{long}\n\nGlobal options: {} (`jit {name} --help` says what each does).", taken.join(", "))
    };
    sub.after_help(short).after_long_help(long)
}

/// A global option given on the command line, before or after the subcommand's name (or a nested
/// one's), to a subcommand it means nothing to ([`OWN_GLOBALS`]): its long name and the command.
fn global_given_to(command: &clap::Command, matches: &clap::ArgMatches) -> Option<(String, String)> {
    let (name, sub) = matches.subcommand()?;
    let own_globals = own_globals(name)?;
    let given = |m: &clap::ArgMatches, id: &str| {
        m.try_contains_id(id).unwrap_or(false)
            && m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
    };
    let subcommand = command.find_subcommand(name)?;
    let (shown, nested) = match sub.subcommand() {
        Some((inner, m)) => (format!("{name} {inner}"), Some((subcommand.find_subcommand(inner), m))),
        None => (name.to_string(), None),
    };
    let own_of = |c: Option<&clap::Command>| -> Vec<String> {
        c.map(|c| c.get_arguments().filter(|a| !a.is_hide_set()).map(|a| a.get_id().to_string()).collect())
            .unwrap_or_default()
    };
    let mut own = own_of(Some(subcommand));
    if let Some((c, _)) = &nested {
        own.extend(own_of(*c));
    }
    command
        .get_arguments()
        .filter(|a| a.is_global_set() && !own_globals.contains(&a.get_id().as_str()))
        // An option of the subcommand's own with a global's name (`jit emulator --service-account`)
        // is its own: clap hands its value up to the global one too.
        .filter(|a| !own.iter().any(|o| o == a.get_id().as_str()))
        .find(|a| {
            let id = a.get_id().as_str();
            given(matches, id) || given(sub, id) || nested.as_ref().is_some_and(|(_, m)| given(m, id))
        })
        .map(|a| (format!("--{}", a.get_long().unwrap_or_default()), shown))
}

/// Parses the command line. With `picker` (stdin and stderr are terminals), `jit grant` may omit
/// its roles: it then asks for one. Otherwise a missing role is clap's usual error. `columns` is
/// the width the user asked for (COLUMNS, read by the caller): clap reads COLUMNS only when no
/// stream is a terminal; jit's tables read it first (`output::columns`), and help follows the
/// same width.
pub fn parse(
    args: impl IntoIterator<Item = std::ffi::OsString>,
    picker: bool,
    columns: Option<usize>,
) -> Cli {
    let mut command = command();
    if let Some(width) = columns {
        command = command.term_width(width.min(HELP_MAX_WIDTH));
    }
    if picker {
        command = command.mut_subcommand("grant", |g| g.mut_arg("roles", |a| a.required(false)));
    }
    let matches = command.try_get_matches_from_mut(args).unwrap_or_else(|e| e.exit());
    if let Some((flag, name)) = global_given_to(&command, &matches) {
        let message =
            format!("`{flag}` means nothing to `jit {name}`; `jit {name} --help` lists what it takes");
        let mut names = name.split(' ');
        let mut sub = command
            .find_subcommand_mut(names.next().unwrap_or_default())
            .expect("the subcommand that was parsed");
        if let Some(inner) = names.next() {
            sub = sub.find_subcommand_mut(inner).expect("the nested subcommand that was parsed");
        }
        sub.error(clap::error::ErrorKind::ArgumentConflict, message).exit();
    }
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut command).exit())
}

/// Candidates for a role argument: the predefined roles that start with what was typed (with or
/// without `roles/`), each with its title for the shells that show one. Until something is typed
/// past `roles/`'s own letters, the one candidate is `roles/`, not 2,461 names.
pub fn role_names(current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str() else { return Vec::new() };
    if "roles/".starts_with(current) && current != "roles/" {
        return vec![CompletionCandidate::new("roles/")];
    }
    let prefix = if current.starts_with("roles/") || current.contains('/') {
        current.to_string()
    } else {
        format!("roles/{current}")
    };
    crate::roles::with_prefix(&prefix)
        .map(|r| CompletionCandidate::new(r.name()).help(Some(r.title().into())))
        .collect()
}

// Privileged Access Manager's commands (issue 21): what the user types, as for every command.

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
