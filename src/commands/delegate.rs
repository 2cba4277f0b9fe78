//! `jit delegate`, `jit list --delegations` and `jit revoke --delegation`: delegated role granting
//! (src/delegation.rs holds the pure edits), one read-modify-write per place.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Mutex;

use chrono::{DateTime, Local, Utc};
use serde::Serialize;

use crate::cli::{DelegateArgs, Format};
use crate::condition::{DELEGATION_ROLES_MAX, GrantNote};
use crate::config::{Config, Length, Target};
use crate::delegation::{self, Report, Request, Row};
use crate::error::{Error, exit};
use crate::iam::{Principal, ResourceId};
use crate::output::{self, ResourceError};
use crate::target::{self, Place, Policies, Progress};
use crate::team::Team;
use crate::timespec;

/// A resolved `jit delegate`, checked before anything is read or sent.
#[derive(Debug, Clone)]
pub struct Delegate {
    pub principal: Principal,
    pub roles: Vec<String>,
    pub end: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub dry_run: bool,
    pub yes: bool,
    /// Warnings to print before going on (custom roles, split lists).
    pub warnings: Vec<String>,
}

/// The bundle `--bundle NAME` names: its roles are delegated, on its resources when no scope flag
/// is given (`config::team_scopes`).
pub fn bundle<'a>(team: Option<&'a Team>, name: &str) -> Result<&'a crate::team::Bundle, Error> {
    let name = name.trim().trim_start_matches('@');
    match team {
        Some(t) => t.bundle(name),
        None => Err(Error::usage_hint(
            format!("--bundle `{name}` names a bundle, and no team config was found"),
            "pass --config FILE or set JIT_CONFIG, or put a jit.toml in this directory or above",
        )),
    }
}

/// Checks every flag: the principal, the roles (jit's copy of Google's roles; escalating ones
/// only with --allow-escalation), the end, and that every scope accepts a delegation.
pub fn resolve(args: &DelegateArgs, team: Option<&Team>, config: &Config) -> Result<Delegate, Error> {
    let principal = Principal::from_str(&args.principal)?;
    let raw: Vec<String> = match &args.bundle {
        Some(name) => bundle(team, name)?.roles.clone(),
        None => args.roles.iter().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect(),
    };
    if raw.is_empty() {
        return Err(Error::usage("--roles names no role"));
    }
    // The team's `denied_roles` hold for a delegation as for a grant: a delegate could grant them
    // (issue 17 item 6).
    if let Some(t) = team
        && let Some(r) = raw.iter().find(|r| t.denied_roles.iter().any(|d| d == r.as_str()))
    {
        return Err(Error::usage_hint(
            format!("role `{r}` is denied by the team config `{}`", t.path.display()),
            "its `denied_roles` lists it, and a delegate could grant it; leave it out of the delegation",
        ));
    }
    let mut roles = Vec::new();
    let mut warnings = Vec::new();
    for r in &raw {
        let checked = match crate::roles::check(r, None) {
            Err(_) if args.no_role_check && r.parse::<crate::iam::Role>().is_ok() => {
                warnings.push(format!(
                    "role `{r}` is not in jit's copy of Google's roles; its permissions were not checked for escalation"
                ));
                roles.push(r.clone());
                continue;
            }
            other => other?,
        };
        match checked {
            crate::roles::RoleCheck::Custom => warnings.push(format!(
                "jit cannot see the permissions of custom role `{r}`; Google warns against delegating a \
                 custom role the delegate can modify (it could add setIamPolicy to it)"
            )),
            _ => {
                let esc = delegation::escalation(r);
                if !esc.is_empty() && !args.allow_escalation {
                    return Err(Error::usage_hint(
                        format!(
                            "role `{r}` would let `{principal}` give itself more access: it carries `{}`",
                            esc.join("`, `")
                        ),
                        "Google warns against delegating roles with setIamPolicy; leave it out, or pass \
                         --allow-escalation if that is what you mean",
                    ));
                }
            }
        }
        roles.push(r.clone());
    }
    roles.sort();
    roles.dedup();
    if roles.len() > DELEGATION_ROLES_MAX {
        warnings.push(format!(
            "{} roles are more than Google's {DELEGATION_ROLES_MAX} per condition: they are split into {} \
             bindings, and one write by the delegate may only change roles of one of them",
            roles.len(),
            roles.len().div_ceil(DELEGATION_ROLES_MAX)
        ));
    }
    let now = config.now;
    // `--for` and `--until` read as a grant's are (config::Length).
    let end = match (Length::given(args.duration.as_ref(), args.until.as_ref()), args.permanent) {
        (Some((length, _)), _) => Some(length.end(now, now, &Local)?),
        (None, true) => None,
        (None, false) => {
            return Err(Error::usage_hint(
                "a delegation needs an end: --for DURATION or --until TIME, or --permanent",
                "e.g. --for 30d; `jit audit` reports delegations without an end",
            ));
        }
    };
    if let Some(e) = end {
        // No longest delegation: the window's other checks (in the past, past what CEL holds).
        timespec::grant_window(None, e, now, chrono::Duration::MAX, None)?;
    }
    match &config.target {
        Target::Api(_) => {
            for s in &config.scopes {
                granting(s)?;
            }
        }
        Target::File { .. } => {
            if !matches!(config.scopes.as_slice(), [one] if one.is_container()) {
                return Err(Error::usage_hint(
                    "with --policy-file, name the resource the policy belongs to",
                    "add --project ID, --folder NUMBER or --organization NUMBER: the role that is \
                     delegated depends on its kind",
                ));
            }
        }
    }
    if !args.no_role_check {
        // A role that does not apply to the place it would be granted on (the delegation's
        // scope: the delegate grants it there) is refused, as `jit grant` refuses it (issue 18
        // item 3): `roles/resourcemanager.organizationViewer` on a project.
        let kinds: Vec<_> = config.scopes.iter().map(|r| r.kind).collect();
        crate::roles::check_applies(roles.iter().map(String::as_str), &kinds)?;
    }
    Ok(Delegate {
        principal,
        roles,
        end,
        reason: args.reason.as_deref().map(crate::config::reason).transpose()?,
        dry_run: args.dry_run,
        yes: args.yes,
        warnings,
    })
}

/// The granting role of a scope, or why it takes no delegation.
fn granting(r: &ResourceId) -> Result<&'static str, Error> {
    delegation::granting_role(r.kind).ok_or_else(|| {
        Error::usage_hint(
            format!("`{}` cannot hold a delegation: only projects, folders and organizations can", r.name()),
            "Google accepts modifiedGrantsByRole conditions only on those \
             (https://cloud.google.com/iam/docs/setting-limits-on-granting-roles); delegate on the project \
             that holds the resource",
        )
    })
}

/// The granting role of every place, by the name the edit is given.
fn granting_by_place(policies: &Policies, config: &Config) -> Result<HashMap<String, &'static str>, Error> {
    policies
        .places()
        .iter()
        .map(|p| {
            let scope = match p {
                Place::Resource(r) => r,
                Place::File { .. } => {
                    config.scopes.first().ok_or_else(|| Error::usage("no resource named"))?
                }
            };
            Ok((p.name(), granting(scope)?))
        })
        .collect()
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct DelegateOutput {
    delegated: Vec<Row>,
    replaced: Vec<Row>,
    errors: Vec<ResourceError>,
    dry_run: bool,
}

pub fn run(config: &Config, d: &Delegate) -> Result<i32, Error> {
    for w in &d.warnings {
        eprintln!("warning: {}", output::escape(w));
    }
    target::block_on(async {
        let policies = Policies::open(config).await?;
        let granting = granting_by_place(&policies, config)?;
        let caller = match policies.caller().await {
            Ok(c) => c,
            Err(Error::Auth { .. }) => None,
            Err(e) => return Err(e),
        };
        let now = config.now;
        let req = Request {
            principal: d.principal.clone(),
            roles: d.roles.clone(),
            end: d.end,
            note: GrantNote {
                granted_by: caller.map(|c| c.to_string()),
                granted_at: Some(now),
                reason: d.reason.clone(),
            },
        };
        // Where the delegate already holds the granting role without a condition, per place.
        let unlimited: Mutex<BTreeMap<String, String>> = Mutex::default();
        let edit = |name: &str, policy: &crate::policy::Policy| {
            let role = granting
                .get(name)
                .copied()
                .ok_or_else(|| Error::usage(format!("`{name}` is not a scope")))?;
            let mut seen = unlimited.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match delegation::unconditional(policy, role, &req.principal) {
                Some(spelled) => seen.insert(
                    name.to_string(),
                    format!(
                        "`{spelled}` already holds `{role}` on `{name}` without a condition: it can grant any role \
                         there, whatever this delegation says"
                    ),
                ),
                None => seen.remove(name),
            };
            delegation::delegate(name, policy, role, &req, now)
        };
        let warn = || {
            for line in unlimited.lock().unwrap_or_else(std::sync::PoisonError::into_inner).values() {
                eprintln!("warning: {}", output::escape(line));
            }
        };
        if policies.asks(config, d.yes, d.dry_run) {
            let mut plan = DelegateOutput { dry_run: true, ..Default::default() };
            for place in policies.places() {
                let (_, report, _) = edit(&place.name(), &policies.read(place).await?)?;
                plan.delegated.extend(report.delegated);
                plan.replaced.extend(report.replaced);
            }
            render(&plan, Format::Table, now, &mut std::io::stderr())?;
            warn();
            if !super::confirm(config, "Apply this change?")? {
                return Ok(super::cancelled());
            }
        }
        let progress = Progress::new(config, policies.places().len(), "delegating");
        let results =
            policies.edit_each(HashMap::new(), target::CONCURRENCY, &progress, d.dry_run, edit).await;
        progress.finish();
        let total = results.len();
        let (reports, errors) = target::split::<Report>(results);
        if errors.len() == 1 && total == 1 {
            return target::settle(&errors, total);
        }
        let mut out = DelegateOutput {
            dry_run: d.dry_run,
            errors: target::resource_errors(&errors),
            ..Default::default()
        };
        for r in reports {
            out.delegated.extend(r.delegated);
            out.replaced.extend(r.replaced);
        }
        policies.report(config, d.dry_run, None, |w, format| render(&out, format, now, w))?;
        if !config.quiet {
            warn();
        }
        target::settle(&errors, total)
    })
}

fn rows_table(rows: &[Row], now: DateTime<Utc>, w: &mut dyn std::io::Write) -> Result<(), Error> {
    output::plain_table(
        vec!["RESOURCE", "DELEGATE", "HOLDS", "MAY GRANT", "UNTIL"],
        rows.iter()
            .map(|r| {
                vec![
                    r.resource.clone(),
                    r.member.clone(),
                    r.role.clone(),
                    r.roles.join(", "),
                    match r.expires {
                        Some(e) if e <= now => format!("{} (expired)", output::utc(e)),
                        Some(e) => output::utc(e),
                        None => "no end".to_string(),
                    },
                ]
            })
            .collect(),
        w,
    )
}

fn render(
    out: &DelegateOutput,
    format: Format,
    now: DateTime<Utc>,
    w: &mut dyn std::io::Write,
) -> Result<(), Error> {
    if format != Format::Table {
        return output::structured(out, format, w);
    }
    let io = |e: std::io::Error| Error::io(format!("cannot write the output: {e}"));
    if !out.delegated.is_empty() {
        rows_table(&out.delegated, now, w)?;
    }
    if !out.replaced.is_empty() {
        writeln!(
            w,
            "Replaced {} earlier delegation{}:",
            out.replaced.len(),
            if out.replaced.len() == 1 { "" } else { "s" }
        )
        .map_err(io)?;
        rows_table(&out.replaced, now, w)?;
    }
    for e in &out.errors {
        writeln!(w, "error: {}: {}", output::escape(&e.resource), output::escape(&e.message)).map_err(io)?;
    }
    Ok(())
}

/// `jit list --delegations [--member …]`: every delegation on the places (of those members), who
/// may grant what until when.
pub fn list(config: &Config, members: &[String]) -> Result<i32, Error> {
    target::block_on(async {
        let policies = Policies::open(config).await?;
        let now = config.now;
        let total = policies.places().len();
        let progress = Progress::new(config, total, "reading");
        let results = policies
            .read_each(target::CONCURRENCY, &progress, |name, p| delegation::rows(name, p, now))
            .await;
        progress.finish();
        let (found, errors) = target::split(results);
        if errors.len() == total {
            return target::settle(&errors, total);
        }
        let rows: Vec<Row> = found
            .into_iter()
            .flatten()
            .filter(|r| members.is_empty() || members.iter().any(|m| crate::iam::same_member(m, &r.member)))
            .collect();
        let nothing = rows.is_empty().then_some("No delegations.");
        policies.report(config, false, nothing, |w, format| match format {
            Format::Table => rows_table(&rows, now, w),
            _ => output::structured(&rows, format, w),
        })?;
        for e in target::resource_errors(&errors) {
            eprintln!("error: {}: {}", output::escape(&e.resource), output::escape(&e.message));
        }
        target::settle(&errors, total)
    })
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct RevokeOutput {
    removed: Vec<Row>,
    errors: Vec<ResourceError>,
    dry_run: bool,
}

/// `jit revoke --delegation PRINCIPAL`: the principal leaves every delegation binding.
pub fn revoke(config: &Config, principal: &str, dry_run: bool, yes: bool) -> Result<i32, Error> {
    let principal = Principal::from_str(principal)?;
    target::block_on(async {
        let policies = Policies::open(config).await?;
        let now = config.now;
        if policies.asks(config, yes, dry_run) {
            let mut plan = Vec::new();
            for place in policies.places() {
                plan.extend(
                    delegation::revoke(&place.name(), &policies.read(place).await?, &principal, now)?.1,
                );
            }
            if plan.is_empty() {
                eprintln!("Nothing to revoke.");
                return Ok(exit::OK);
            }
            rows_table(&plan, now, &mut std::io::stderr())?;
            if !super::confirm(config, "Apply this change?")? {
                return Ok(super::cancelled());
            }
        }
        let progress = Progress::new(config, policies.places().len(), "revoking");
        let results = policies
            .edit_each(HashMap::new(), target::CONCURRENCY, &progress, dry_run, |name, policy| {
                let (new, removed) = delegation::revoke(name, policy, &principal, now)?;
                let changed = !removed.is_empty();
                Ok((new, removed, changed))
            })
            .await;
        progress.finish();
        let total = results.len();
        let (removed, errors) = target::split(results);
        if errors.len() == 1 && total == 1 {
            return target::settle(&errors, total);
        }
        let out = RevokeOutput {
            removed: removed.into_iter().flatten().collect(),
            errors: target::resource_errors(&errors),
            dry_run,
        };
        let nothing = (out.removed.is_empty() && errors.is_empty()).then_some("Nothing to revoke.");
        policies.report(config, dry_run, nothing, |w, format| match format {
            Format::Table => {
                let io = |e: std::io::Error| Error::io(format!("cannot write the output: {e}"));
                writeln!(
                    w,
                    "Ended {} delegation{}:",
                    out.removed.len(),
                    if out.removed.len() == 1 { "" } else { "s" }
                )
                .map_err(io)?;
                rows_table(&out.removed, now, w)
            }
            _ => output::structured(&out, format, w),
        })?;
        target::settle(&errors, total)
    })
}
