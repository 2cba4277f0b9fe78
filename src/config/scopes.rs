//! The resources a command works on.

use super::Env;
use super::gcloud::default_project;
use super::origin::Origin;
use crate::cli;
use crate::error::Error;
use crate::iam::ResourceId;
use crate::kinds::{Kind, ROWS};

/// True when the command line names a resource of any kind.
pub fn has_scope_flags(g: &cli::Global) -> bool {
    !(g.scopes.is_empty() && g.resource.is_empty())
}

/// The resources a command works on, and where they came from: the scope flags, else `defaults`
/// (a bundle's resources, or the team file's scopes), else the default project (design §2).
/// Offline, no scope is needed (the file is the scope). Every kind's flag is parsed here, at the
/// edge, into a checked [`ResourceId`] (src/kinds/); a bad name is a usage error before
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
    let bare = ROWS
        .iter()
        .filter(|row| row.bare_in_project)
        .flat_map(|row| global.scopes.of(row.kind))
        .map(|s| s.trim())
        .find(|s| !s.contains('/'));
    let mut projects: Vec<&str> = Vec::new();
    for p in global.scopes.of(Kind::Project) {
        // `projects/ID` as the resource name reads, as --folder and --organization take theirs.
        let p = p.trim();
        let p = p.strip_prefix("projects/").unwrap_or(p);
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
    let region = global.region.as_deref().map(str::trim);
    for row in &ROWS {
        let given = global.scopes.of(row.kind);
        if row.takes_region && given.is_empty() && region.is_some() {
            return Err(Error::usage_hint(
                format!("--region names the region of a {}, and no {} is given", row.noun, row.flag),
                format!("add {} NAME, or drop --region", row.flag),
            ));
        }
        // --project P says where bare names are when there are any: it is then not a scope.
        if row.kind == Kind::Project && qualifier.is_some() {
            continue;
        }
        for value in given {
            let value = value.trim();
            let project = if row.bare_in_project && !value.contains('/') {
                default_project().map(|(p, _)| p)
            } else {
                None
            };
            let region = if row.takes_region { region } else { None };
            out.push((row.from_flag)(value, project.as_deref().map(str::trim), region)?);
        }
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
