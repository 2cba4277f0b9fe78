//! Turns the command line, the environment and gcloud's configuration into what jit uses. Every
//! value here exists only in valid form; anything wrong is a usage error before any network call.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Duration, Local, Utc};

use crate::cli::{self, Format};
use crate::condition::GrantNote;
use crate::edit::{GrantRequest, Members, TimedBinding};
use crate::error::Error;
use crate::iam::{Principal, ResourceId, Role};
use crate::timespec;

/// Where policies come from and go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Google's API (or an emulator at `endpoint`).
    Api(Connection),
    /// A saved policy: `-` is stdin; `in_place` writes the result back into the file.
    File { path: String, in_place: bool },
}

/// How to reach the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub endpoint: Option<String>,
    pub emulator: bool,
    pub impersonate: Option<String>,
    pub access_token_file: Option<PathBuf>,
    pub retry_attempts: u32,
    pub retry_timeout: Duration,
    /// The quota project (`x-goog-user-project`): `--billing-project`, else
    /// `CLOUDSDK_BILLING_QUOTA_PROJECT` as gcloud reads it.
    pub quota_project: Option<String>,
}

/// What every command gets.
#[derive(Debug, Clone)]
pub struct Config {
    pub scopes: Vec<ResourceId>,
    pub target: Target,
    pub format: Format,
    pub quiet: bool,
    pub verbose: bool,
    pub now: DateTime<Utc>,
    /// stdin and stderr are terminals: prompts and progress bars are allowed.
    pub interactive: bool,
}

/// The parts of the process environment config reads, so resolution is testable.
pub struct Env<'a> {
    pub var: &'a dyn Fn(&str) -> Option<String>,
    pub stdout_is_terminal: bool,
    pub interactive: bool,
    pub now: DateTime<Utc>,
}

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.var)(name).filter(|v| !v.trim().is_empty())
    }
}

impl Config {
    /// `file` is the command's --policy-file/--in-place, when it has them.
    pub fn resolve(
        global: &cli::Global,
        file: Option<&cli::EditFileArgs>,
        env: &Env,
    ) -> Result<Config, Error> {
        let policy_file = file.and_then(|f| f.file.policy_file.clone());
        let target = match policy_file {
            Some(path) => {
                let in_place = file.is_some_and(|f| f.in_place);
                if in_place && path == "-" {
                    return Err(Error::usage_hint(
                        "--in-place cannot write back to stdin",
                        "name a file with --policy-file, or drop --in-place to get the policy on stdout",
                    ));
                }
                if global.emulator || global.endpoint.is_some() {
                    return Err(Error::usage("--policy-file works offline; drop --emulator and --endpoint"));
                }
                Target::File { path, in_place }
            }
            None => Target::Api(Connection {
                endpoint: global.endpoint.clone(),
                emulator: global.emulator,
                impersonate: global.impersonate_service_account.clone(),
                access_token_file: global.access_token_file.clone(),
                retry_attempts: global.retry_attempts,
                retry_timeout: timespec::parse_duration(&global.retry_timeout)?,
                quota_project: quota_project(global, env)?,
            }),
        };
        let scopes = scopes(global, env, matches!(target, Target::Api(_)))?;
        let format =
            global.format.unwrap_or(if env.stdout_is_terminal { Format::Table } else { Format::Json });
        Ok(Config {
            scopes,
            target,
            format,
            quiet: global.quiet,
            verbose: global.verbose,
            now: env.now,
            interactive: env.interactive,
        })
    }
}

/// The quota project, as gcloud chooses it: `--billing-project`, else the `billing/quota_project`
/// property from `CLOUDSDK_BILLING_QUOTA_PROJECT`, where `LEGACY` means none and
/// `CURRENT_PROJECT` (gcloud's default) the default project (gcloud 528,
/// `googlecloudsdk/core/credentials/creds.py` `GetQuotaProject`; a service account's credentials
/// are treated alike here). Unset: none, and the credentials' own quota project (an ADC file's
/// `quota_project_id`) applies.
fn quota_project(global: &cli::Global, env: &Env) -> Result<Option<String>, Error> {
    let check = |p: String, from: &str| {
        if ResourceId::project_ok(&p) {
            Ok(Some(p))
        } else {
            Err(Error::usage_hint(
                format!("`{p}`{from} is not a project ID or number"),
                "name the project whose quota to use, e.g. `--billing-project my-project`",
            ))
        }
    };
    if let Some(p) = &global.billing_project {
        return check(p.trim().to_string(), "");
    }
    match env.get("CLOUDSDK_BILLING_QUOTA_PROJECT").map(|v| v.trim().to_string()) {
        None => Ok(None),
        Some(v) if v == "LEGACY" => Ok(None),
        Some(v) if v == "CURRENT_PROJECT" || v == "CURRENT_PROJECT_WITH_FALLBACK" => Ok(env
            .get("CLOUDSDK_CORE_PROJECT")
            .or_else(|| {
                gcloud_config_dir(env)
                    .and_then(|d| gcloud_project(&d, env.get("CLOUDSDK_ACTIVE_CONFIG_NAME")))
            })
            .map(|p| p.trim().to_string())),
        Some(v) => check(v, " in CLOUDSDK_BILLING_QUOTA_PROJECT"),
    }
}

/// The resources named on the command line, or the default project (design §2). Offline, no scope
/// is needed (the file is the scope). Every kind's flag is parsed here, at the edge, into a
/// checked [`ResourceId`] (src/gcp/kinds.rs); a bad name is a usage error before anything is sent.
pub fn scopes(global: &cli::Global, env: &Env, required: bool) -> Result<Vec<ResourceId>, Error> {
    let default_project = || {
        env.get("CLOUDSDK_CORE_PROJECT").or_else(|| env.get("GOOGLE_CLOUD_PROJECT")).or_else(|| {
            gcloud_config_dir(env)
                .and_then(|dir| gcloud_project(&dir, env.get("CLOUDSDK_ACTIVE_CONFIG_NAME")))
        })
    };
    // A bare secret or Cloud Run service name (`--secret S`, `--run-service S --region R`) is in a
    // project: `--project P` when given, as in gcloud (`gcloud secrets add-iam-policy-binding S
    // --project P`, `gcloud run services add-iam-policy-binding S --region R --project P`), else
    // the default project. --project then says where the bare names are, and is not a scope of its
    // own: P's policy is left alone. More than one project would leave the bare names ambiguous.
    let bare = global.secret.iter().chain(&global.run_service).map(|s| s.trim()).find(|s| !s.contains('/'));
    let mut projects: Vec<&str> = Vec::new();
    for p in &global.project {
        let p = p.trim();
        ResourceId::project(p)?;
        if !projects.contains(&p) {
            projects.push(p);
        }
    }
    let qualifier = match (bare, projects.as_slice()) {
        (Some(_), [p]) => Some(p.to_string()),
        (Some(name), [_, _, ..]) => {
            let list = projects.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
            return Err(Error::usage_hint(
                format!(
                    "the bare name `{name}` could be in any of the projects given with --project ({list})"
                ),
                "give one --project for the bare names, or name each in full: `projects/P/secrets/NAME`, \
                 `projects/P/locations/REGION/services/NAME`",
            ));
        }
        _ => None,
    };
    let default_project = || qualifier.clone().or_else(default_project);
    let mut out = Vec::new();
    if qualifier.is_none() {
        for p in &projects {
            out.push(ResourceId::project(p)?);
        }
    }
    for f in &global.folder {
        out.push(ResourceId::folder(f.trim())?);
    }
    for o in &global.organization {
        out.push(ResourceId::organization(o.trim())?);
    }
    for b in &global.bucket {
        out.push(ResourceId::bucket(b.trim())?);
    }
    for s in &global.secret {
        let s = s.trim();
        let project = if s.contains('/') { None } else { default_project() };
        out.push(ResourceId::secret(s, project.as_deref().map(str::trim))?);
    }
    for a in &global.service_account {
        out.push(ResourceId::service_account(a.trim())?);
    }
    for k in &global.kms_keyring {
        out.push(ResourceId::kms_keyring(k.trim())?);
    }
    for k in &global.kms_key {
        out.push(ResourceId::kms_key(k.trim())?);
    }
    if global.region.is_some() && global.run_service.is_empty() {
        return Err(Error::usage_hint(
            "--region names the region of a Cloud Run service, and no --run-service is given",
            "add --run-service NAME, or drop --region",
        ));
    }
    for r in &global.run_service {
        let r = r.trim();
        let region = global.region.as_deref().map(str::trim);
        let project = if r.contains('/') { None } else { default_project() };
        out.push(ResourceId::run_service(r, region, project.as_deref().map(str::trim))?);
    }
    for r in &global.resource {
        out.push(ResourceId::full_name(r.trim())?);
    }
    // The same resource named twice (by flag and by full name) is one scope.
    let mut seen = std::collections::HashSet::new();
    out.retain(|r| seen.insert(r.clone()));
    if !out.is_empty() || !required {
        return Ok(out);
    }
    match default_project() {
        Some(p) => Ok(vec![ResourceId::project(p.trim())?]),
        None => Err(Error::usage_hint(
            "no project, folder, organization or other resource given, and no default project found",
            "pass --project ID (or --folder, --organization, --bucket, --secret, …), or set CLOUDSDK_CORE_PROJECT, \
             GOOGLE_CLOUD_PROJECT, or `gcloud config set project ID`",
        )),
    }
}

/// `$CLOUDSDK_CONFIG`, else `~/.config/gcloud`.
fn gcloud_config_dir(env: &Env) -> Option<PathBuf> {
    env.get("CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|h| Path::new(&h).join(".config").join("gcloud")))
}

/// The `[core] project` of gcloud's active configuration: the name comes from
/// CLOUDSDK_ACTIVE_CONFIG_NAME or the file `active_config` (default `default`), the settings from
/// `configurations/config_<name>`.
pub fn gcloud_project(dir: &Path, active: Option<String>) -> Option<String> {
    let name = active
        .or_else(|| std::fs::read_to_string(dir.join("active_config")).ok().map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_string());
    let text = std::fs::read_to_string(dir.join("configurations").join(format!("config_{name}"))).ok()?;
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.trim().to_string();
        } else if section == "core"
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == "project"
            && !v.trim().is_empty()
        {
            return Some(v.trim().to_string());
        }
    }
    None
}

/// A resolved `jit grant`.
#[derive(Debug, Clone)]
pub struct Grant {
    pub roles: Vec<Role>,
    /// Empty: the caller.
    pub members: Vec<Principal>,
    pub start: Option<DateTime<Utc>>,
    pub end: DateTime<Utc>,
    pub replace: bool,
    pub reason: Option<String>,
    pub dry_run: bool,
    pub yes: bool,
    /// Roles to ask Google about before writing (issue 13): online, the roles jit's copy does not
    /// know and every custom role. Filled in by `commands::grant::resolve_checked`.
    pub ask_google: Vec<String>,
}

impl Grant {
    pub fn resolve(args: &cli::GrantArgs, now: DateTime<Utc>) -> Result<Grant, Error> {
        Grant::resolve_in(args, now, &Local)
    }

    pub fn resolve_in<Tz: chrono::TimeZone>(
        args: &cli::GrantArgs,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Result<Grant, Error> {
        let roles = roles(&args.roles)?;
        let members = principals(&args.member)?;
        let max = match &args.max_duration {
            Some(m) => timespec::parse_duration(m)?,
            None => timespec::DEFAULT_MAX,
        };
        let start = args.start.as_deref().map(|s| timespec::parse_time(s, now, tz)).transpose()?;
        let end = match (&args.duration, &args.until) {
            (Some(d), _) => timespec::after(start.unwrap_or(now), timespec::parse_duration(d)?, d.trim())?,
            (None, Some(u)) => timespec::parse_time(u, now, tz)?,
            (None, None) => timespec::after(start.unwrap_or(now), Duration::hours(1), "1h")?,
        };
        let typed = timespec::Typed {
            duration: args.duration.as_deref().map(str::trim),
            max: args.max_duration.as_deref().map(str::trim),
        };
        let (start, end) = timespec::grant_window(start, end, now, max, Some(typed))?;
        Ok(Grant {
            roles,
            members,
            start,
            end,
            replace: args.replace,
            reason: args.reason.clone(),
            dry_run: args.dry_run,
            yes: args.yes,
            ask_google: Vec::new(),
        })
    }

    pub fn note(&self, granted_by: Option<&Principal>, now: DateTime<Utc>) -> GrantNote {
        GrantNote {
            granted_by: granted_by.map(|p| p.to_string()),
            granted_at: Some(now),
            reason: self.reason.clone(),
        }
    }

    /// The edit this grant asks of every policy, for `members` (the given ones, or the caller),
    /// noted as granted by `caller` at `now`: the same for a file and for the API.
    pub fn request(
        &self,
        members: &[Principal],
        caller: Option<&Principal>,
        now: DateTime<Utc>,
    ) -> GrantRequest {
        GrantRequest {
            roles: self.roles.clone(),
            members: members.to_vec(),
            start: self.start,
            end: self.end,
            replace: self.replace,
            note: self.note(caller, now),
        }
    }
}

/// A resolved `jit revoke`.
#[derive(Debug, Clone)]
pub struct Revoke {
    pub roles: Vec<Role>,
    /// Basic roles asked for (`roles/owner`, …): they never have a time-bound binding, so there is
    /// nothing of theirs to revoke; said in a warning, as "nothing to revoke" is no error.
    pub basic: Vec<String>,
    /// `Only(empty)`: the caller.
    pub members: Members,
    pub dry_run: bool,
    pub yes: bool,
}

impl Revoke {
    pub fn resolve(args: &cli::RevokeArgs) -> Result<Revoke, Error> {
        let (roles, basic) = revoke_roles(&args.roles)?;
        Ok(Revoke {
            roles,
            basic,
            members: if args.all_members { Members::All } else { Members::Only(principals(&args.member)?) },
            dry_run: args.dry_run,
            yes: args.yes,
        })
    }
}

/// A resolved `jit list` filter.
#[derive(Debug, Clone, Default)]
pub struct List {
    pub all: bool,
    pub members: Vec<String>,
    pub roles: Vec<String>,
    pub recursive: bool,
    pub via: cli::Via,
    /// `--at`: the instant whose holders are listed (only bindings active then).
    pub at: Option<DateTime<Utc>>,
}

impl List {
    /// `--all`, `--member` and `--role`: the same for a file and for the API.
    pub fn filter(&self, rows: Vec<TimedBinding>) -> Vec<TimedBinding> {
        rows.into_iter()
            .filter(|r| self.all || r.state != crate::condition::State::Expired)
            // At an instant, only those who hold access then (the state is computed at `at`).
            .filter(|r| self.at.is_none() || r.state == crate::condition::State::Active)
            .filter(|r| {
                self.members.is_empty() || self.members.iter().any(|m| crate::iam::same_member(m, &r.member))
            })
            .filter(|r| self.roles.is_empty() || self.roles.contains(&r.role))
            .collect()
    }

    pub fn resolve(args: &cli::ListArgs, now: DateTime<Utc>) -> Result<List, Error> {
        List::resolve_in(args, now, &chrono::Local)
    }

    pub fn resolve_in<Tz: chrono::TimeZone>(
        args: &cli::ListArgs,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Result<List, Error> {
        // Filters match what is in policies, so members are normalised the way grant writes them
        // (a bare email becomes user: or serviceAccount:), but any well-formed member is allowed.
        let members = args
            .member
            .iter()
            .map(|m| {
                let m = m.trim();
                if crate::iam::Principal::is_well_formed(m) {
                    Ok(m.to_string())
                } else {
                    Principal::from_str(m).map(|p| p.to_string())
                }
            })
            .collect::<Result<_, _>>()?;
        for r in &args.role {
            if !Role::is_well_formed(r.trim()) {
                return Err(Error::usage_hint(format!("`{r}` is not a valid role"), "use roles/NAME"));
            }
        }
        let at = args.at.as_deref().map(|t| timespec::parse_time(t, now, tz)).transpose()?;
        Ok(List {
            all: args.all,
            members,
            roles: args.role.iter().map(|r| r.trim().to_string()).collect(),
            recursive: args.recursive,
            via: args.via,
            at,
        })
    }
}

/// A resolved `jit cleanup`.
#[derive(Debug, Clone)]
pub struct Cleanup {
    pub dry_run: bool,
    pub recursive: bool,
    pub via: cli::Via,
    pub only_jit: bool,
    pub grace: Duration,
    pub concurrency: usize,
}

impl Cleanup {
    pub fn resolve(args: &cli::CleanupArgs) -> Result<Cleanup, Error> {
        Ok(Cleanup {
            dry_run: args.dry_run,
            recursive: args.recursive,
            via: args.via,
            only_jit: args.only_jit,
            grace: args
                .grace
                .as_deref()
                .map(timespec::parse_duration)
                .transpose()?
                .unwrap_or_else(Duration::zero),
            concurrency: args.concurrency.into(),
        })
    }
}

fn roles(raw: &[String]) -> Result<Vec<Role>, Error> {
    raw.iter().map(|r| Role::from_str(r)).collect()
}

/// Revoking accepts any well-formed role. A basic role has no time-bound binding to end (Google
/// refuses conditions on it), so it is set apart: revoking it finds nothing, as any role without
/// a time-bound binding does, rather than failing (issue 12 item 10: it was an error).
fn revoke_roles(raw: &[String]) -> Result<(Vec<Role>, Vec<String>), Error> {
    let mut roles = Vec::new();
    let mut basic = Vec::new();
    for r in raw {
        match Role::from_str(r) {
            Err(_) if crate::iam::BASIC_ROLES.contains(&r.trim()) => basic.push(r.trim().to_string()),
            other => roles.push(other?),
        }
    }
    Ok((roles, basic))
}

fn principals(raw: &[String]) -> Result<Vec<Principal>, Error> {
    raw.iter().map(|m| Principal::from_str(m)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::collections::HashMap;

    fn now() -> DateTime<Utc> {
        crate::condition::parse_timestamp("2026-11-25T12:00:00Z").unwrap()
    }

    fn cli(args: &[&str]) -> cli::Cli {
        cli::Cli::try_parse_from(std::iter::once("jit").chain(args.iter().copied())).unwrap()
    }

    fn resolve(args: &[&str], vars: &[(&str, &str)]) -> Result<Config, Error> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let get = move |k: &str| vars.get(k).cloned();
        let env = Env { var: &get, stdout_is_terminal: false, interactive: false, now: now() };
        let c = cli(args);
        let file = match &c.command {
            cli::Command::Grant(g) => Some(&g.file),
            _ => None,
        };
        Config::resolve(&c.global, file, &env)
    }

    /// The quota project as gcloud picks it: the flag, then CLOUDSDK_BILLING_QUOTA_PROJECT
    /// (`LEGACY`: none; `CURRENT_PROJECT`: the default project), else none.
    #[test]
    fn the_quota_project_follows_gclouds_order() {
        let quota = |args: &[&str], vars: &[(&str, &str)]| match resolve(args, vars).unwrap().target {
            Target::Api(c) => c.quota_project,
            Target::File { .. } => panic!("an API target"),
        };
        let var = "CLOUDSDK_BILLING_QUOTA_PROJECT";
        assert_eq!(quota(&["list", "--project", "p-123456"], &[]), None);
        assert_eq!(
            quota(&["list", "--project", "p-123456"], &[(var, "billing-1")]),
            Some("billing-1".into())
        );
        assert_eq!(
            quota(
                &["--billing-project", "flag-project", "list", "--project", "p-123456"],
                &[(var, "billing-1")]
            ),
            Some("flag-project".into())
        );
        assert_eq!(quota(&["list", "--project", "p-123456"], &[(var, "LEGACY")]), None);
        assert_eq!(
            quota(
                &["list", "--project", "p-123456"],
                &[(var, "CURRENT_PROJECT"), ("CLOUDSDK_CORE_PROJECT", "core-1")]
            ),
            Some("core-1".into())
        );
        let e = resolve(&["list", "--project", "p-123456"], &[(var, "Bad Project")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`Bad Project` in CLOUDSDK_BILLING_QUOTA_PROJECT is not a project ID or number"
        );
    }

    /// Issue 9: every kind's flag, mixed and repeated, parsed at the edge into one scope each,
    /// short names completed with the default project and --region.
    #[test]
    fn every_kinds_flag_is_a_scope() {
        let c = resolve(
            &[
                "list",
                "--folder",
                "456",
                "--bucket",
                "gs://logs-bucket",
                "--bucket",
                "data-bucket",
                "--secret",
                "db-password",
                "--secret",
                "projects/other-1/secrets/api-key",
                "--service-account",
                "ci@explicit-1.iam.gserviceaccount.com",
                "--kms-keyring",
                "projects/explicit-1/locations/global/keyRings/ring",
                "--kms-key",
                "projects/explicit-1/locations/global/keyRings/ring/cryptoKeys/key",
                "--run-service",
                "api",
                "--region",
                "europe-west4",
                "--resource",
                "//storage.googleapis.com/projects/_/buckets/logs-bucket",
                "--resource",
                "//cloudresourcemanager.googleapis.com/folders/123",
            ],
            &[("CLOUDSDK_CORE_PROJECT", "default-1")],
        )
        .unwrap();
        let names: Vec<String> = c.scopes.iter().map(ResourceId::to_full_name).collect();
        assert_eq!(
            names,
            [
                "//cloudresourcemanager.googleapis.com/folders/456",
                "//storage.googleapis.com/projects/_/buckets/logs-bucket",
                "//storage.googleapis.com/projects/_/buckets/data-bucket",
                "//secretmanager.googleapis.com/projects/default-1/secrets/db-password",
                "//secretmanager.googleapis.com/projects/other-1/secrets/api-key",
                "//iam.googleapis.com/projects/-/serviceAccounts/ci@explicit-1.iam.gserviceaccount.com",
                "//cloudkms.googleapis.com/projects/explicit-1/locations/global/keyRings/ring",
                "//cloudkms.googleapis.com/projects/explicit-1/locations/global/keyRings/ring/cryptoKeys/key",
                "//run.googleapis.com/projects/default-1/locations/europe-west4/services/api",
                "//cloudresourcemanager.googleapis.com/folders/123",
            ]
        );
        // Only a bucket: no default project is added.
        let c = resolve(&["list", "--bucket", "b-1-2"], &[("CLOUDSDK_CORE_PROJECT", "default-1")]).unwrap();
        assert_eq!(c.scopes, vec![ResourceId::bucket("b-1-2").unwrap()]);
    }

    /// Issue 9: with a bare secret or Cloud Run service name, --project says which project it is
    /// in (as gcloud's `--project` does) and is not a scope of its own; without one, --project is a
    /// scope. Full names stay as written; two projects for bare names are refused.
    #[test]
    fn project_qualifies_bare_names_instead_of_being_a_scope() {
        let vars = &[("CLOUDSDK_CORE_PROJECT", "default-1")];
        let table: &[(&[&str], &[&str])] = &[
            (
                &["list", "--secret", "db-password", "--project", "explicit-1"],
                &["//secretmanager.googleapis.com/projects/explicit-1/secrets/db-password"],
            ),
            (
                &["list", "--run-service", "api", "--region", "europe-west4", "--project", "explicit-1"],
                &["//run.googleapis.com/projects/explicit-1/locations/europe-west4/services/api"],
            ),
            (
                // The same project twice is one project.
                &[
                    "list",
                    "--project",
                    "explicit-1",
                    "--secret",
                    "db-password",
                    "--secret",
                    "projects/other-1/secrets/api-key",
                    "--bucket",
                    "data-bucket",
                    "--project",
                    "explicit-1",
                ],
                &[
                    "//storage.googleapis.com/projects/_/buckets/data-bucket",
                    "//secretmanager.googleapis.com/projects/explicit-1/secrets/db-password",
                    "//secretmanager.googleapis.com/projects/other-1/secrets/api-key",
                ],
            ),
            (
                // Only full names: --project is a scope, as before.
                &["list", "--secret", "projects/other-1/secrets/api-key", "--project", "explicit-1"],
                &[
                    "//cloudresourcemanager.googleapis.com/projects/explicit-1",
                    "//secretmanager.googleapis.com/projects/other-1/secrets/api-key",
                ],
            ),
            (
                &["list", "--project", "explicit-1", "--project", "explicit-2", "--bucket", "data-bucket"],
                &[
                    "//cloudresourcemanager.googleapis.com/projects/explicit-1",
                    "//cloudresourcemanager.googleapis.com/projects/explicit-2",
                    "//storage.googleapis.com/projects/_/buckets/data-bucket",
                ],
            ),
            (
                // No --project: the default project.
                &["list", "--secret", "db-password"],
                &["//secretmanager.googleapis.com/projects/default-1/secrets/db-password"],
            ),
        ];
        for (args, want) in table {
            let c = resolve(args, vars).unwrap();
            let names: Vec<String> = c.scopes.iter().map(ResourceId::to_full_name).collect();
            assert_eq!(names, *want, "{args:?}");
        }
        let e = resolve(
            &[
                "list",
                "--project",
                "explicit-1",
                "--project",
                "explicit-2",
                "--run-service",
                "api",
                "--region",
                "us-east1",
            ],
            vars,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the bare name `api` could be in any of the projects given with --project (`explicit-1`, `explicit-2`)"
        );
        assert_eq!(
            e.hint().as_deref(),
            Some(
                "give one --project for the bare names, or name each in full: `projects/P/secrets/NAME`, \
                 `projects/P/locations/REGION/services/NAME`"
            )
        );
        assert_eq!(e.exit_code(), 2);
        // A bad --project is refused whatever it qualifies.
        let e = resolve(&["list", "--secret", "s", "--project", "Bad Project"], vars).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("`Bad Project`"), "{e}");
    }

    #[test]
    fn bad_resource_flags_are_usage_errors() {
        let cases: [(&[&str], &str); 5] = [
            (
                &["list", "--region", "europe-west4"],
                "--region names the region of a Cloud Run service, and no --run-service is given",
            ),
            (&["list", "--run-service", "api"], "the Cloud Run service `api` needs a region"),
            (&["list", "--bucket", "Bad Bucket"], "`Bad Bucket` is not a valid bucket name"),
            (&["list", "--secret", "s"], "the secret `s` names no project, and there is no default project"),
            (
                &["list", "--resource", "//sqladmin.googleapis.com/projects/p/instances/i"],
                "`//sqladmin.googleapis.com/projects/p/instances/i` is not a full resource name jit knows",
            ),
        ];
        for (args, want) in cases {
            let e = resolve(args, &[("HOME", "/nonexistent")]).unwrap_err();
            assert_eq!(e.to_string(), want, "{args:?}");
            assert_eq!(e.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn default_project_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("configurations")).unwrap();
        std::fs::write(dir.path().join("active_config"), "work\n").unwrap();
        std::fs::write(
            dir.path().join("configurations/config_work"),
            "[core]\naccount = a@example.com\nproject = from-gcloud\n[compute]\nproject = nope\n",
        )
        .unwrap();
        let cfg = dir.path().to_str().unwrap();
        let table: &[(&[(&str, &str)], &str)] = &[
            (&[("CLOUDSDK_CORE_PROJECT", "core-proj"), ("GOOGLE_CLOUD_PROJECT", "google-proj")], "core-proj"),
            (&[("GOOGLE_CLOUD_PROJECT", "google-proj"), ("CLOUDSDK_CONFIG", cfg)], "google-proj"),
            (&[("CLOUDSDK_CONFIG", cfg)], "from-gcloud"),
        ];
        for (vars, want) in table {
            let c = resolve(&["list"], vars).unwrap();
            assert_eq!(c.scopes, vec![ResourceId::project(want).unwrap()], "{vars:?}");
        }
        let e = resolve(&["list"], &[("CLOUDSDK_CONFIG", "/nonexistent")]).unwrap_err();
        assert!(e.to_string().contains("no default project"));
        assert!(e.hint().unwrap().contains("CLOUDSDK_CORE_PROJECT"));
        let c = resolve(
            &["list", "--project", "explicit-1", "--folder", "123"],
            &[("CLOUDSDK_CORE_PROJECT", "x-proj")],
        )
        .unwrap();
        assert_eq!(c.scopes.len(), 2);
        assert_eq!(gcloud_project(dir.path(), Some("other".into())), None);
    }

    #[test]
    fn targets_and_formats() {
        let c = resolve(&["grant", "roles/a.b", "--policy-file", "p.json", "--in-place"], &[]).unwrap();
        assert_eq!(c.target, Target::File { path: "p.json".into(), in_place: true });
        assert!(c.scopes.is_empty(), "offline needs no scope");
        assert_eq!(c.format, Format::Json, "not a terminal");
        let e = resolve(&["grant", "roles/a.b", "--policy-file", "-", "--in-place"], &[]).unwrap_err();
        assert_eq!(e.to_string(), "--in-place cannot write back to stdin");
        assert_eq!(e.exit_code(), 2);
        let c =
            resolve(&["--emulator", "--project", "jit-demo-prod", "--format", "yaml", "list"], &[]).unwrap();
        assert!(matches!(c.target, Target::Api(Connection { emulator: true, .. })));
        assert_eq!(c.format, Format::Yaml);
    }

    fn grant(args: &[&str]) -> Result<Grant, Error> {
        let c = cli(&[&["grant"], args].concat());
        let cli::Command::Grant(g) = c.command else { unreachable!() };
        Grant::resolve_in(&g, now(), &chrono::FixedOffset::east_opt(3600).unwrap())
    }

    #[test]
    fn grant_windows() {
        let g = grant(&["roles/a.b", "--for", "2h"]).unwrap();
        assert_eq!(g.end, now() + Duration::hours(2));
        assert!(g.members.is_empty());
        let g = grant(&["roles/a.b", "--until", "18:00"]).unwrap();
        assert_eq!(g.end.to_rfc3339(), "2026-11-25T17:00:00+00:00", "local time, one hour east");
        let g = grant(&["roles/a.b", "--start", "2026-11-26T08:00:00Z", "--for", "1h"]).unwrap();
        assert_eq!(
            (g.start.unwrap().to_rfc3339(), g.end.to_rfc3339()),
            ("2026-11-26T08:00:00+00:00".into(), "2026-11-26T09:00:00+00:00".into())
        );
        let g = grant(&["roles/a.b"]).unwrap();
        assert_eq!(g.end, now() + Duration::hours(1), "one hour by default");
        let g = grant(&["roles/a.b", "--for", "13h", "--max-duration", "1d"]).unwrap();
        assert_eq!(g.end, now() + Duration::hours(13));
        // Each refusal is a usage error (exit 2) saying what is wrong.
        let refused: &[(&[&str], &str)] = &[
            (&["roles/a.b", "--for", "13h"], "`13h` is longer than the maximum of 12h"),
            (
                &["roles/a.b", "--until", "2026-11-25T11:00:00Z"],
                "the end `2026-11-25T11:00:00Z` is in the past",
            ),
            (&["roles/owner"], "role `roles/owner` cannot be granted with a condition"),
            (&["roles/a.b", "--member", "allUsers"], "`allUsers` cannot be granted access with a condition"),
        ];
        let mut wrong = Vec::new();
        for (args, want) in refused {
            match grant(args) {
                Err(e) if e.to_string() == *want && e.exit_code() == 2 => {}
                other => wrong.push(format!("{args:?}: {other:?}")),
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}
