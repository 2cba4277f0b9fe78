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
/// are treated alike here). Unset: none, and the credentials' own quota project (an ADC file's
/// `quota_project_id`) applies.
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
    let from_env = |p| Ok((p, Origin::Env(VAR)));
    match env.get(VAR).map(|v| v.trim().to_string()) {
        None => Ok((None, Origin::Default)),
        Some(v) if v == "LEGACY" => from_env(None),
        Some(v) if v == "CURRENT_PROJECT" || v == "CURRENT_PROJECT_WITH_FALLBACK" => from_env(
            env.get("CLOUDSDK_CORE_PROJECT")
                .or_else(|| {
                    gcloud_config_dir(env)
                        .and_then(|d| gcloud_project(&d, env.get("CLOUDSDK_ACTIVE_CONFIG_NAME")))
                })
                .map(|p| p.trim().to_string()),
        ),
        Some(v) => from_env(check(v, " in CLOUDSDK_BILLING_QUOTA_PROJECT")?),
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
