//! What the user types: clap derive structs only. `config` turns these into what jit uses.
//!
//! This file holds the command line itself ([`Cli`], the global options, the subcommands) and how
//! it is parsed; the commands' own options are grouped by what they do ([`bindings`]: grant, list,
//! revoke, cleanup, history, audit, delegate; [`tools`]: config, completions, roles; [`pam`]:
//! Privileged Access Manager's), with what several share in [`shared`] and each command's examples
//! and global options in [`help`].

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

/// The widest help text, whatever the terminal.
pub const HELP_MAX_WIDTH: usize = 120;

mod bindings;
mod help;
mod pam;
mod shared;
mod tools;

pub use bindings::{AuditArgs, CleanupArgs, DelegateArgs, GrantArgs, HistoryArgs, ListArgs, RevokeArgs};
pub use help::{EXAMPLES, OWN_GLOBALS, REFUSED_GLOBALS, examples_of};
pub use pam::{
    ApproveArgs, DenyArgs, EntitlementsArgs, EntitlementsCommand, ExecArgs, ExecVia, RequestArgs,
    RequestsArgs,
};
pub use shared::{EditFileArgs, Format, PolicyFileArgs, Via, role_names};
pub use tools::{CompletionsArgs, ConfigArgs, ConfigCommand, RolesArgs, RolesCommand};

use help::{global_given_to, with_examples};

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
