//! The resources a command works on.

use super::Env;
use super::gcloud::default_project;
use super::origin::Origin;
use crate::cli;
use crate::error::Error;
use crate::iam::ResourceId;

/// True when the command line names a resource of any kind.
pub fn has_scope_flags(g: &cli::Global) -> bool {
    !(g.project.is_empty()
        && g.folder.is_empty()
        && g.organization.is_empty()
        && g.bucket.is_empty()
        && g.secret.is_empty()
        && g.service_account.is_empty()
        && g.kms_keyring.is_empty()
        && g.kms_key.is_empty()
        && g.run_service.is_empty()
        && g.resource.is_empty())
}

/// The resources a command works on, and where they came from: the scope flags, else `defaults`
/// (a bundle's resources, or the team file's scopes), else the default project (design §2).
/// Offline, no scope is needed (the file is the scope). Every kind's flag is parsed here, at the
/// edge, into a checked [`ResourceId`] (src/gcp/kinds.rs); a bad name is a usage error before
/// anything is sent.
pub fn scopes(
    global: &cli::Global,
    env: &Env,
    required: bool,
    defaults: Option<(&[ResourceId], Origin)>,
) -> Result<(Vec<ResourceId>, Origin), Error> {
    if !has_scope_flags(global)
        && let Some((resources, origin)) = defaults.filter(|(r, _)| !r.is_empty())
    {
        let mut seen = std::collections::HashSet::new();
        let out = resources.iter().filter(|r| seen.insert((*r).clone())).cloned().collect();
        return Ok((out, origin));
    }
    let flags = Origin::Flag("the scope flags");
    let default_project = || default_project(env);
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
    let default_project =
        || qualifier.clone().map(|p| (p, Origin::Flag("--project"))).or_else(default_project);
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
        let project = if s.contains('/') { None } else { default_project().map(|(p, _)| p) };
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
        let project = if r.contains('/') { None } else { default_project().map(|(p, _)| p) };
        out.push(ResourceId::run_service(r, region, project.as_deref().map(str::trim))?);
    }
    for r in &global.resource {
        out.push(ResourceId::full_name(r.trim())?);
    }
    // The same resource named twice (by flag and by full name) is one scope.
    let mut seen = std::collections::HashSet::new();
    out.retain(|r| seen.insert(r.clone()));
    if !out.is_empty() || !required {
        let origin = if out.is_empty() { Origin::Default } else { flags };
        return Ok((out, origin));
    }
    match default_project() {
        Some((p, origin)) => Ok((vec![ResourceId::project(p.trim())?], origin)),
        None => Err(Error::usage_hint(
            "no project, folder, organization or other resource given, and no default project found",
            "pass --project ID (or --folder, --organization, --bucket, --secret, …), or set CLOUDSDK_CORE_PROJECT, \
             GOOGLE_CLOUD_PROJECT, or `gcloud config set project ID`",
        )),
    }
}
