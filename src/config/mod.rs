//! Turns the command line, the environment and gcloud's configuration into what jit uses. Every
//! value here exists only in valid form; anything wrong is a usage error before any network call.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};

use crate::cli::{self, Format};
use crate::error::Error;
use crate::iam::ResourceId;
use crate::team::Bundle;
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
    /// The service account to act as, after its delegates: gcloud's `a@…,b@…` (the last is the
    /// account acted as), from [`AuthSettings`].
    pub impersonate: Option<String>,
    pub access_token_file: Option<PathBuf>,
    /// gcloud's `auth/disable_credentials`: send no credentials at all.
    pub anonymous: bool,
    pub retry_attempts: u32,
    pub retry_timeout: Duration,
    /// The quota project (`x-goog-user-project`): `--billing-project`, else
    /// `CLOUDSDK_BILLING_QUOTA_PROJECT` as gcloud reads it.
    pub quota_project: Option<String>,
    /// The rates writes and searches are paced to (`--writes-per-minute`,
    /// `--searches-per-minute`; 0 is not paced).
    pub writes_per_minute: u32,
    pub searches_per_minute: u32,
    /// `--list-timeout`: the longest a `--recursive` listing may take.
    pub list_timeout: Duration,
    /// The environment the API clients read (gcloud's endpoint overrides, credential files, the
    /// emulator's state directory), from [`Env`].
    pub vars: Vars,
}

/// What every command gets.
#[derive(Debug, Clone)]
pub struct Config {
    pub scopes: Vec<ResourceId>,
    pub target: Target,
    pub format: Format,
    /// `--format` was given: a table asked for by name is printed under `--quiet` too.
    pub format_given: bool,
    /// `--quiet`: no prompt (the answer that proceeds, as gcloud's `--quiet`), no plan, no notes
    /// or progress, and no table report unless `--format table` asks for it.
    pub quiet: bool,
    pub verbose: bool,
    pub now: DateTime<Utc>,
    /// stdin and stderr are terminals and `--quiet` is not given: prompts are allowed.
    pub interactive: bool,
    /// stdout is a terminal.
    pub stdout_is_terminal: bool,
    /// stderr is a terminal: progress bars are allowed.
    pub stderr_is_terminal: bool,
    /// Where each setting came from, for `--verbose`.
    pub origins: Origins,
}

/// What the team file offers a command as its scopes when no scope flag is given: a bundle's
/// resources, else the file's own scopes.
pub fn team_scopes<'a>(
    team: Option<&'a TeamFile>,
    bundle: Option<&'a Bundle>,
) -> Option<(&'a [ResourceId], Origin)> {
    let t = &team?.team;
    if let Some(b) = bundle
        && !b.resources.is_empty()
    {
        let key = format!("bundles.{}", b.name);
        return Some((&b.resources, Origin::Team { file: t.path.clone(), key }));
    }
    (!t.scopes.is_empty())
        .then(|| (t.scopes.as_slice(), Origin::Team { file: t.path.clone(), key: "projects".into() }))
}

impl Config {
    /// `file` is the command's --policy-file/--in-place, when it has them; `team` and `bundle`
    /// offer scopes when no scope flag is given ([`team_scopes`]). Nothing here changes `global`
    /// or the team file.
    pub fn resolve(
        global: &cli::Global,
        file: Option<&cli::EditFileArgs>,
        env: &Env,
        team: Option<&TeamFile>,
        bundle: Option<&Bundle>,
    ) -> Result<Config, Error> {
        let mut origins = Origins::default();
        if let Some(t) = team {
            origins.push("team config", t.team.path.display().to_string(), t.origin.clone());
        }
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
            None => {
                let (quota_project, quota_origin) = quota_project(global, env)?;
                if let Some(q) = &quota_project {
                    origins.push("quota project", q.clone(), quota_origin);
                }
                // `--emulator` acts as its own admin: gcloud's identity settings are not used
                // (and its flags for them are refused by clap).
                let auth =
                    if global.emulator { AuthSettings::default() } else { auth_settings(global, env)? };
                if let Some((chain, origin)) = &auth.impersonate {
                    origins.push("impersonate", chain.join(","), origin.clone());
                }
                if let Some((path, origin)) = &auth.access_token_file {
                    origins.push("access token file", path.display().to_string(), origin.clone());
                }
                if let Some(origin) = &auth.disable_credentials {
                    origins.push("credentials", "none (auth/disable_credentials)", origin.clone());
                }
                Target::Api(Connection {
                    endpoint: global.endpoint.clone(),
                    emulator: global.emulator,
                    impersonate: auth.impersonate.map(|(chain, _)| chain.join(",")),
                    access_token_file: auth.access_token_file.map(|(path, _)| path),
                    anonymous: auth.disable_credentials.is_some(),
                    retry_attempts: global.retry_attempts,
                    retry_timeout: timespec::parse_duration(&global.retry_timeout)?,
                    quota_project,
                    writes_per_minute: global.writes_per_minute,
                    searches_per_minute: global.searches_per_minute,
                    list_timeout: timespec::parse_duration(&global.list_timeout)?,
                    vars: env.vars.clone(),
                })
            }
        };
        let online = matches!(target, Target::Api(_));
        // A policy file is its own scope: the team file's scopes are not offered then.
        let defaults = if online { team_scopes(team, bundle) } else { None };
        let (scopes, scopes_origin) = scopes(global, env, online, defaults)?;
        if !scopes.is_empty() {
            let names: Vec<String> = scopes.iter().map(|r| r.name()).collect();
            origins.push("scopes", names.join(", "), scopes_origin);
        }
        let (format, format_origin) = match global.format {
            Some(f) => (f, Origin::Flag("--format")),
            None => (if env.stdout_is_terminal { Format::Table } else { Format::Json }, Origin::Default),
        };
        origins.push("format", format!("{format:?}").to_lowercase(), format_origin);
        Ok(Config {
            scopes,
            target,
            format,
            format_given: global.format.is_some(),
            quiet: global.quiet,
            verbose: global.verbose,
            now: env.now,
            // gcloud's `--quiet`: "disable all interactive prompts", taking the answer that
            // proceeds (issue 19 item 3).
            interactive: env.interactive && !global.quiet,
            stdout_is_terminal: env.stdout_is_terminal,
            stderr_is_terminal: env.stderr_is_terminal,
            origins,
        })
    }

    /// The format of a command that reads no policy (`roles`, `config check`): `--format`, else a
    /// table on a terminal and JSON otherwise.
    pub fn format(global: &cli::Global, env: &Env) -> Format {
        global.format.unwrap_or(if env.stdout_is_terminal { Format::Table } else { Format::Json })
    }
}

mod cleanup;
pub mod env;
mod gcloud;
mod grant;
mod list;
mod origin;
mod revoke;
mod scopes;
pub mod team_file;

pub use cleanup::Cleanup;
pub use env::{Env, Vars};
pub use gcloud::{AuthSettings, configured_projects, gcloud_project};
use gcloud::{auth_settings, quota_project};
pub use grant::{DEFAULT_LENGTH, Grant, GrantFrom, Length, MAX_DURATION_VAR, Picked, reason};
pub use list::List;
pub use origin::{Origin, Origins, Setting};
pub use revoke::Revoke;
pub use scopes::{has_scope_flags, scopes};
pub use team_file::TeamFile;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use clap::Parser;

    pub(crate) fn now() -> DateTime<Utc> {
        crate::condition::parse_timestamp("2026-11-25T12:00:00Z").unwrap()
    }

    pub(crate) fn cli(args: &[&str]) -> cli::Cli {
        cli::Cli::try_parse_from(std::iter::once("jit").chain(args.iter().copied())).unwrap()
    }

    pub(crate) fn env(vars: &[(&str, &str)]) -> Env {
        Env::with_vars(Vars::from_pairs(vars.iter().copied()), now())
    }

    fn resolve(args: &[&str], vars: &[(&str, &str)]) -> Result<Config, Error> {
        let c = cli(args);
        let file = match &c.command {
            cli::Command::Grant(g) => Some(&g.file),
            _ => None,
        };
        Config::resolve(&c.global, file, &env(vars), None, None)
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

    /// Issue 19 item 2: gcloud's `[billing] quota_project` and `[auth]` settings of the active
    /// configuration, under the environment variable and the flag; the connection carries them.
    #[test]
    fn gclouds_configuration_settings_under_the_environment_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("configurations")).unwrap();
        std::fs::write(
            dir.path().join("configurations/config_default"),
            "[core]\nproject = core-1\n[billing]\nquota_project = billing-cfg\n[auth]\n\
             impersonate_service_account = a@p.iam.gserviceaccount.com, b@p.iam.gserviceaccount.com\n\
             access_token_file = /cfg/token\n",
        )
        .unwrap();
        let cfg = dir.path().to_str().unwrap();
        let conn = |args: &[&str], vars: &[(&str, &str)]| match resolve(args, vars).unwrap().target {
            Target::Api(c) => c,
            Target::File { .. } => panic!("an API target"),
        };
        let c = conn(&["list"], &[("CLOUDSDK_CONFIG", cfg)]);
        assert_eq!(c.quota_project.as_deref(), Some("billing-cfg"));
        assert_eq!(c.impersonate.as_deref(), Some("a@p.iam.gserviceaccount.com,b@p.iam.gserviceaccount.com"));
        assert_eq!(c.access_token_file, Some(PathBuf::from("/cfg/token")));
        assert!(!c.anonymous);
        let c = conn(
            &["list"],
            &[
                ("CLOUDSDK_CONFIG", cfg),
                ("CLOUDSDK_BILLING_QUOTA_PROJECT", "billing-env"),
                ("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT", "e@p.iam.gserviceaccount.com"),
                ("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", "/env/token"),
                ("CLOUDSDK_AUTH_DISABLE_CREDENTIALS", "1"),
            ],
        );
        assert_eq!(c.quota_project.as_deref(), Some("billing-env"));
        assert_eq!(c.impersonate.as_deref(), Some("e@p.iam.gserviceaccount.com"));
        assert_eq!(c.access_token_file, Some(PathBuf::from("/env/token")));
        assert!(c.anonymous);
        let c = conn(
            &[
                "--impersonate-service-account",
                "f@p.iam.gserviceaccount.com",
                "--access-token-file",
                "/flag/token",
                "--billing-project",
                "billing-flag",
                "list",
            ],
            &[
                ("CLOUDSDK_CONFIG", cfg),
                ("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT", "e@p.iam.gserviceaccount.com"),
            ],
        );
        assert_eq!(c.quota_project.as_deref(), Some("billing-flag"));
        assert_eq!(c.impersonate.as_deref(), Some("f@p.iam.gserviceaccount.com"));
        assert_eq!(c.access_token_file, Some(PathBuf::from("/flag/token")));
        // --emulator acts as its own admin: gcloud's settings are not used.
        let c = conn(&["--emulator", "list", "--project", "p-123456"], &[("CLOUDSDK_CONFIG", cfg)]);
        assert_eq!((c.impersonate, c.access_token_file), (None, None));
        let o = resolve(&["list"], &[("CLOUDSDK_CONFIG", cfg)]).unwrap().origins;
        assert_eq!(
            o.get("impersonate").unwrap().origin,
            Origin::Gcloud(dir.path().join("configurations/config_default"))
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

    /// Issue 19 item 3: `--quiet` on a terminal asks nothing (so no plan is shown and the change
    /// is made, as gcloud's `--quiet` takes the default that proceeds).
    #[test]
    fn quiet_asks_nothing_even_on_a_terminal() {
        let c = cli(&["--quiet", "grant", "roles/logging.viewer", "--project", "p-123456"]);
        let mut e = env(&[]);
        e.interactive = true;
        let config = Config::resolve(&c.global, None, &e, None, None).unwrap();
        assert!(config.quiet && !config.interactive && !config.format_given);
        let c = cli(&["grant", "roles/logging.viewer", "--project", "p-123456", "--format", "table"]);
        let config = Config::resolve(&c.global, None, &e, None, None).unwrap();
        assert!(config.interactive && config.format_given);
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
}
