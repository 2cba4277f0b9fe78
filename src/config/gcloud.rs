//! What jit reads of gcloud's own configuration.

use std::path::{Path, PathBuf};

use super::Env;
use super::origin::Origin;
use crate::cli;
use crate::error::Error;
use crate::iam::ResourceId;

/// The quota project, as gcloud chooses it: `--billing-project`, else the `billing/quota_project`
/// property from `CLOUDSDK_BILLING_QUOTA_PROJECT`, where `LEGACY` means none and
/// `CURRENT_PROJECT` (gcloud's default) the default project (gcloud 528,
/// `googlecloudsdk/core/credentials/creds.py` `GetQuotaProject`; a service account's credentials
/// are treated alike here), else `[billing] quota_project` of gcloud's active configuration.
/// Unset: none, and the credentials' own quota project (an ADC file's `quota_project_id`)
/// applies.
pub(super) fn quota_project(global: &cli::Global, env: &Env) -> Result<(Option<String>, Origin), Error> {
    const VAR: &str = "CLOUDSDK_BILLING_QUOTA_PROJECT";
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
        return Ok((check(p.trim().to_string(), "")?, Origin::Flag("--billing-project")));
    }
    let Some((v, origin)) = property(None, env, VAR, "billing", "quota_project") else {
        return Ok((None, Origin::Default));
    };
    let from = match &origin {
        Origin::Gcloud(file) => format!(" in billing/quota_project of `{}`", file.display()),
        _ => format!(" in {VAR}"),
    };
    match v.as_str() {
        "LEGACY" => Ok((None, origin)),
        "CURRENT_PROJECT" | "CURRENT_PROJECT_WITH_FALLBACK" => Ok((
            env.get("CLOUDSDK_CORE_PROJECT")
                .or_else(|| gcloud_property(env, "core", "project").map(|(p, _)| p))
                .map(|p| p.trim().to_string()),
            origin,
        )),
        _ => Ok((check(v, &from)?, origin)),
    }
}

/// The default project and where it came from: CLOUDSDK_CORE_PROJECT, else GOOGLE_CLOUD_PROJECT,
/// else the `[core] project` of gcloud's active configuration.
pub(super) fn default_project(env: &Env) -> Option<(String, Origin)> {
    for var in ["CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT"] {
        if let Some(p) = env.get(var) {
            return Some((p, Origin::Env(var)));
        }
    }
    let dir = gcloud_config_dir(env)?;
    let project = gcloud_project(&dir, env.get("CLOUDSDK_ACTIVE_CONFIG_NAME"))?;
    Some((project, Origin::Gcloud(dir)))
}

/// Every project ID gcloud's configuration names, for completing `--project`: CLOUDSDK_CORE_PROJECT,
/// GOOGLE_CLOUD_PROJECT and the `[core] project` of each configuration under `configurations/`
/// (the active one first), sorted after the first, without repeats.
pub fn configured_projects(env: &Env) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |p: String| {
        let p = p.trim().to_string();
        if ResourceId::project_ok(&p) && !out.contains(&p) {
            out.push(p);
        }
    };
    for var in ["CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT"] {
        if let Some(p) = env.get(var) {
            push(p);
        }
    }
    let Some(dir) = gcloud_config_dir(env) else { return out };
    if let Some(p) = gcloud_project(&dir, env.get("CLOUDSDK_ACTIVE_CONFIG_NAME")) {
        push(p);
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.join("configurations"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_prefix("config_").map(str::to_string))
        .collect();
    names.sort();
    for name in names {
        if let Some(p) = gcloud_project(&dir, Some(name)) {
            push(p);
        }
    }
    out
}

/// `$CLOUDSDK_CONFIG`, else `~/.config/gcloud`.
pub(super) fn gcloud_config_dir(env: &Env) -> Option<PathBuf> {
    env.get("CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|h| Path::new(&h).join(".config").join("gcloud")))
}

/// The `[core] project` of gcloud's active configuration: the name comes from
/// CLOUDSDK_ACTIVE_CONFIG_NAME or the file `active_config` (default `default`), the settings from
/// `configurations/config_<name>`.
pub fn gcloud_project(dir: &Path, active: Option<String>) -> Option<String> {
    property_in(dir, active, "core", "project").map(|(v, _)| v)
}

/// One property of gcloud's active configuration, and the file that holds it.
pub(super) fn gcloud_property(env: &Env, section: &str, key: &str) -> Option<(String, PathBuf)> {
    property_in(&gcloud_config_dir(env)?, env.get("CLOUDSDK_ACTIVE_CONFIG_NAME"), section, key)
}

/// `[section] key` of the configuration `active` (else the one `active_config` names, else
/// `default`) under `dir`: gcloud's INI file, `#` and `;` comments, blank values unset.
fn property_in(dir: &Path, active: Option<String>, section: &str, key: &str) -> Option<(String, PathBuf)> {
    let name = active
        .or_else(|| std::fs::read_to_string(dir.join("active_config")).ok().map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_string());
    let file = dir.join("configurations").join(format!("config_{name}"));
    let text = std::fs::read_to_string(&file).ok()?;
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = s.trim().to_string();
        } else if current == section
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
            && !v.trim().is_empty()
        {
            return Some((v.trim().to_string(), file));
        }
    }
    None
}

/// A gcloud property as gcloud resolves it: the flag, else its `CLOUDSDK_SECTION_KEY` variable,
/// else the active configuration (gcloud 528, `googlecloudsdk/core/properties.py`: a property's
/// environment variable outranks the configuration files). Returns the value and its origin.
fn property(
    flag: Option<(&str, &'static str)>,
    env: &Env,
    var: &'static str,
    section: &str,
    key: &str,
) -> Option<(String, Origin)> {
    if let Some((v, name)) = flag {
        return Some((v.trim().to_string(), Origin::Flag(name)));
    }
    if let Some(v) = env.get(var) {
        return Some((v.trim().to_string(), Origin::Env(var)));
    }
    gcloud_property(env, section, key).map(|(v, file)| (v, Origin::Gcloud(file)))
}

/// How jit authenticates, from gcloud's own settings (issue 19 item 2): who to impersonate, the
/// access-token file, and whether to send no credentials at all. Each with its origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthSettings {
    /// The service account to act as, after the chain of delegates that leads to it, as gcloud's
    /// `auth/impersonate_service_account` spells it: `a@…,b@…` (the last is the target).
    pub impersonate: Option<(Vec<String>, Origin)>,
    pub access_token_file: Option<(PathBuf, Origin)>,
    /// gcloud's `auth/disable_credentials`: no credentials are loaded or sent.
    pub disable_credentials: Option<Origin>,
}

/// [`AuthSettings`] by gcloud's precedence: `--impersonate-service-account`, else
/// `CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT`, else `[auth] impersonate_service_account`;
/// `--access-token-file`, else `CLOUDSDK_AUTH_ACCESS_TOKEN_FILE`, else `[auth]
/// access_token_file`; `CLOUDSDK_AUTH_DISABLE_CREDENTIALS`, else `[auth] disable_credentials`.
pub(super) fn auth_settings(global: &cli::Global, env: &Env) -> Result<AuthSettings, Error> {
    let impersonate = match property(
        global.impersonate_service_account.as_deref().map(|v| (v, "--impersonate-service-account")),
        env,
        "CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT",
        "auth",
        "impersonate_service_account",
    ) {
        Some((v, origin)) => Some((impersonation_chain(&v, &origin)?, origin)),
        None => None,
    };
    let token_flag = global.access_token_file.as_ref().map(|p| p.display().to_string());
    let access_token_file = property(
        token_flag.as_deref().map(|v| (v, "--access-token-file")),
        env,
        "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE",
        "auth",
        "access_token_file",
    )
    .map(|(v, origin)| match &origin {
        // A flag's path is kept as given (it need not be Unicode).
        Origin::Flag(_) => (global.access_token_file.clone().unwrap_or_default(), origin),
        _ => (PathBuf::from(v), origin),
    });
    let disable_credentials =
        match property(None, env, "CLOUDSDK_AUTH_DISABLE_CREDENTIALS", "auth", "disable_credentials") {
            Some((v, origin)) => boolean(&v)
                .ok_or_else(|| {
                    Error::usage_hint(
                        format!("`{v}` in auth/disable_credentials (from {origin}) is not true or false"),
                        "set it to true to send no credentials, or unset it",
                    )
                })?
                .then_some(origin),
            None => None,
        };
    Ok(AuthSettings { impersonate, access_token_file, disable_credentials })
}

/// gcloud's booleans (`properties.py` `_BooleanValidator`): true/1/on/yes/y and
/// false/0/off/no/n, in any case.
fn boolean(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" | "yes" | "y" => Some(true),
        "false" | "0" | "off" | "no" | "n" | "" => Some(false),
        _ => None,
    }
}

/// `a@…,b@…,target@…`: gcloud's delegation chain, each a service account's e-mail; the last is the
/// account acted as, each one before it must be able to mint tokens for the next
/// (<https://cloud.google.com/iam/docs/create-short-lived-credentials-delegated>).
fn impersonation_chain(v: &str, origin: &Origin) -> Result<Vec<String>, Error> {
    let chain: Vec<String> = v.split(',').map(|e| e.trim().to_string()).collect();
    let ok = |e: &str| {
        e.len() <= 254
            && e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && e.chars().all(|c| c.is_ascii_alphanumeric() || "@.-_+".contains(c))
    };
    if let Some(bad) = chain.iter().find(|e| !ok(e)) {
        let what = if chain.len() > 1 { "the impersonation chain" } else { "impersonation" };
        return Err(Error::usage_hint(
            format!(
                "`{}` in {what} `{}` (from {origin}) is not a service account's e-mail",
                crate::text::escape(bad),
                crate::text::escape(v)
            ),
            "name the service account, e.g. `ci@my-project.iam.gserviceaccount.com`, or a chain of them \
             separated by commas, the one to act as last",
        ));
    }
    Ok(chain)
}
