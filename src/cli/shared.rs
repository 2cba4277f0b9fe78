//! What several commands type alike: the policy file, the output format, how `--recursive`
//! finds resources, and the role completer.

use clap::{Args, ValueEnum};
use clap_complete::engine::CompletionCandidate;

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
