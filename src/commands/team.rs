//! `jit config check`, and the team config applied to the other commands: default scopes, and
//! `jit grant @BUNDLE` with the file's limits (src/team.rs holds the rules; this file only finds
//! the file and hands it its inputs).

use std::path::Path;

use serde_json::{Value, json};

use crate::cli::{Format, Global, GrantArgs};
use crate::config::{Config, Env, Target, team_file};
use crate::error::{Error, exit};
use crate::team::{self, Bundle, Team};

/// The bundle a `jit grant @BUNDLE` names, if any: its roles are granted on its resources
/// (when no scope flag is given: `config::team_scopes`), within its limits.
pub fn grant_bundle<'a>(team: Option<&'a Team>, args: &GrantArgs) -> Result<Option<&'a Bundle>, Error> {
    let named: Vec<&str> = args.roles.iter().filter_map(|r| team::bundle_name(r)).collect();
    match (named.as_slice(), team) {
        ([], _) => Ok(None),
        ([name], Some(t)) if args.roles.len() == 1 => t.bundle(name).map(Some),
        ([name], None) if args.roles.len() == 1 => Err(Error::usage_hint(
            format!("`@{name}` names a bundle, and no team config was found"),
            "pass --config FILE or set JIT_CONFIG, or put a jit.toml in this directory or above \
             (or $XDG_CONFIG_HOME/jit/config.toml)",
        )),
        _ => Err(Error::usage_hint(
            "a bundle is granted on its own",
            "run `jit grant @NAME` for the bundle, and grant other roles in another command",
        )),
    }
}

/// The checks of the team config on a resolved grant, before anything is read or sent: a
/// bundle's grant stays on the bundle's resources, and `Team::check_grant`.
pub fn after_resolve(
    team: Option<&Team>,
    bundle: Option<&Bundle>,
    config: &Config,
    grant: &crate::config::Grant,
) -> Result<(), Error> {
    let Some(t) = team else { return Ok(()) };
    if let Some(b) = bundle
        && !b.resources.is_empty()
        && matches!(config.target, Target::Api(_))
        && let Some(outside) = config.scopes.iter().find(|s| !b.resources.contains(s))
    {
        return Err(Error::usage_hint(
            format!("`{}` is not one of the resources of bundle `@{}`", outside.name(), b.name),
            format!(
                "the bundle's resources: {}; leave out the scope flags to grant on all of them",
                b.resources.iter().map(|r| format!("`{}`", r.name())).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let roles: Vec<String> = grant.roles.iter().map(|r| r.as_str().to_string()).collect();
    t.check_grant(&roles, grant.reason.as_deref(), grant.start, grant.end, config.now, bundle)
}

/// `jit config check [FILE]`: the file's content as jit reads it, or its first mistake (exit 2).
pub fn check(file: Option<&Path>, global: &Global, env: &Env) -> Result<i32, Error> {
    let path = match file {
        Some(f) => f.to_path_buf(),
        None => team_file::locate(global.config.as_deref(), &env.vars, env.cwd.as_deref(), &mut |w| {
            eprintln!("warning: {w}")
        })?
        .map(|(p, _)| p)
        .ok_or_else(|| {
            Error::usage_hint(
                "no team config found",
                "looked at --config, JIT_CONFIG, jit.toml in this directory and above, and \
                 $XDG_CONFIG_HOME/jit/config.toml",
            )
        })?,
    };
    let t = team_file::read(&path)?;
    // Rules that can never work are mistakes too (issue 17 item 2): the first is the error.
    let impossible = t.impossible();
    if let Some(first) = impossible.first() {
        let more = impossible.len() - 1;
        return Err(Error::usage_hint(
            format!("`{}`: {first}", crate::output::escape(&t.path.display().to_string())),
            if more == 0 {
                "change the rule: jit would refuse every grant it touches".to_string()
            } else {
                format!("change the rule; {more} more can never work either (fix this one to see the next)")
            },
        ));
    }
    let format = Config::format(global, env);
    let out = summary(&t);
    let mut w = std::io::stdout().lock();
    let text = match format {
        Format::Table => {
            let bundles: Vec<String> = t
                .bundles
                .values()
                .map(|b| format!("@{} ({} roles on {} resources)", b.name, b.roles.len(), b.resources.len()))
                .collect();
            format!(
                "{}: valid; {} bundle{}{}, {} role limit{}, {} denied role{}\n",
                crate::text::escape(&t.path.display().to_string()),
                t.bundles.len(),
                if t.bundles.len() == 1 { "" } else { "s" },
                if bundles.is_empty() { String::new() } else { format!(" ({})", bundles.join(", ")) },
                t.roles.len(),
                if t.roles.len() == 1 { "" } else { "s" },
                t.denied_roles.len(),
                if t.denied_roles.len() == 1 { "" } else { "s" },
            )
        }
        _ => {
            let mut buf = Vec::new();
            crate::output::structured(&out, format, &mut buf)?;
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    use std::io::Write;
    if !(global.quiet && format == Format::Table) {
        w.write_all(text.as_bytes()).map_err(|e| Error::io(format!("cannot write to stdout: {e}")))?;
    }
    Ok(exit::OK)
}

/// The config as `jit config check` reports it in JSON and YAML.
pub fn summary(t: &Team) -> Value {
    let d = |d: Option<chrono::Duration>| d.map(crate::timespec::words);
    json!({
        "file": t.path.display().to_string(),
        "maxDuration": d(t.max_duration),
        "defaultDuration": t.default_duration,
        "requireReason": t.require_reason,
        "reasonPattern": t.reason_pattern.as_ref().map(|p| p.as_str()),
        "deniedRoles": t.denied_roles,
        "sensitiveRoles": t.sensitive_roles,
        "scopes": t.scopes.iter().map(|r| r.to_full_name()).collect::<Vec<_>>(),
        "roles": t.roles.iter().map(|(k, v)| (k.clone(), json!({"maxDuration": d(v.max_duration)}))).collect::<serde_json::Map<_, _>>(),
        "bundles": t.bundles.iter().map(|(k, b)| (k.clone(), json!({
            "roles": b.roles,
            "resources": b.resources.iter().map(|r| r.to_full_name()).collect::<Vec<_>>(),
            "maxDuration": d(b.max_duration),
        }))).collect::<serde_json::Map<_, _>>(),
        "auditWaive": t.waivers.iter().map(|w| json!({
            "member": w.member, "role": w.role, "resource": w.resource, "reason": w.reason,
        })).collect::<Vec<_>>(),
    })
}
