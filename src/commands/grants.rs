//! What the Privileged Access Manager commands share (`entitlements`, `request`, `requests`,
//! `approve`, `deny`, `revoke --grant`, `exec`): the scopes they work on, the connection and the
//! caller, finding a grant named by its short ID, and the grants' table.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use crate::cli::{Format, Global};
use crate::config::{Config, Env};
use crate::error::Error;
use crate::gcp::Gcp;
use crate::gcp::pam::{AccessType, Entitlement, Grant, Relationship};
use crate::iam::ResourceId;
use crate::output;
use crate::pam::{self, GrantRef, GrantRow};
use crate::target::Policies;
use crate::timespec;

/// The configuration of a PAM command: `scope` (the command's positional `projects/P`,
/// `folders/N` or `organizations/N`) joins the scope flags, and every scope must be one PAM
/// serves.
pub fn resolve(global: &Global, scope: Option<&str>, env: &Env) -> Result<Config, Error> {
    // The scope word is a flag in another form: resolved on a copy, never on the parsed flags.
    let mut global = global.clone();
    if let Some(s) = scope {
        let r = crate::pam::parse_scope(s.trim()).ok_or_else(|| {
            Error::usage_hint(
                format!("`{s}` is not a scope"),
                "name a project, folder or organization: `projects/P`, `folders/N`, `organizations/N`",
            )
        })??;
        global.scopes = global.scopes.with(r.kind, r.id);
    }
    let config = Config::resolve(&global, None, env, None, None)?;
    if let Some(r) = config.scopes.iter().find(|r| !r.is_container()) {
        return Err(Error::usage(format!(
            "Privileged Access Manager works on projects, folders and organizations, not on `{r}`"
        )));
    }
    Ok(config)
}

/// The scope a command on one grant works on: the one given, else the scope of a grant named in
/// full (`projects/P/locations/global/…` is on `projects/P`).
pub fn scope_of_grant(grant: &str, given: Option<&str>) -> Option<String> {
    given.map(str::to_string).or_else(|| {
        let g = grant.trim();
        g.contains("/grants/").then(|| crate::gcp::pam::scope_of(g)).flatten().map(|s| s.name())
    })
}

/// The one scope of a command that works on one.
pub fn one_scope(config: &Config) -> Result<&ResourceId, Error> {
    the_one(&config.scopes)
}

/// The only scope of `scopes`, or the error that asks for one.
fn the_one(scopes: &[ResourceId]) -> Result<&ResourceId, Error> {
    match scopes {
        [one] => Ok(one),
        _ => Err(Error::usage("name one scope: `projects/P`, `folders/N` or `organizations/N`")),
    }
}

/// A connection to Google (or the emulator) and who the caller is.
pub struct Session {
    pub policies: Policies,
    pub caller: Option<String>,
    /// The command's scopes, a project given by number named by its ID (issue 19 item 6).
    pub scopes: Vec<ResourceId>,
}

impl Session {
    pub async fn open(config: &Config) -> Result<Session, Error> {
        let policies = Policies::open(config).await?;
        let caller = policies.caller().await?.map(|p| p.as_str().to_string());
        let scopes = policies
            .places()
            .iter()
            .filter_map(|p| match p {
                crate::target::Place::Resource(r) => Some(r.clone()),
                crate::target::Place::File { .. } => None,
            })
            .collect();
        Ok(Session { policies, caller, scopes })
    }

    /// The one scope of a command that works on one ([`one_scope`], checked before the session
    /// was opened), by ID.
    pub fn one_scope(&self) -> Result<&ResourceId, Error> {
        the_one(&self.scopes)
    }

    pub fn gcp(&self) -> &Gcp {
        self.policies.gcp().expect("PAM commands always talk to the API")
    }
}

/// The grant `r` names: read in full, or found by its ID among the grants the caller is related
/// to on `scopes` (in the order of `relationships`), or, failing that, among every grant the
/// caller may list there (an administrator's view).
pub async fn find_grant(
    gcp: &Gcp,
    scopes: &[ResourceId],
    r: &GrantRef,
    relationships: &[Relationship],
) -> Result<Grant, Error> {
    let (entitlement, id) = match r {
        // An approver may not hold `grants.get`: a grant named in full is then looked for as
        // by its short ID, on its own scope.
        GrantRef::Full(name) => match gcp.get_grant(name).await {
            Ok(g) => return Ok(g),
            Err(e) => {
                let (ent, id) = name.rsplit_once("/grants/").unwrap_or((name, name));
                let short = GrantRef::Short { entitlement: Some(ent.to_string()), id: id.to_string() };
                return Box::pin(find_grant(gcp, scopes, &short, relationships)).await.map_err(|_| e);
            }
        },
        GrantRef::Short { entitlement, id } => (entitlement.as_deref(), id.as_str()),
    };
    let matches_entitlement = |e: &Entitlement| entitlement.is_none_or(|want| crate::pam::names(e, want));
    for scope in scopes {
        for rel in relationships {
            let access = match rel {
                Relationship::Mine => AccessType::Requester,
                _ => AccessType::Approver,
            };
            let ents = gcp.search_entitlements(scope, access).await?;
            for e in ents.iter().filter(|e| matches_entitlement(e)) {
                if let Some(g) = gcp.search_grants(&e.name, *rel).await?.into_iter().find(|g| g.id() == id) {
                    return Ok(g);
                }
            }
        }
        // An administrator who neither asked nor approves (revoke --grant): every grant listed.
        if let Ok(ents) = gcp.list_entitlements(scope).await {
            for e in ents.iter().filter(|e| matches_entitlement(e)) {
                if let Ok(grants) = gcp.list_grants(&e.name).await
                    && let Some(g) = grants.into_iter().find(|g| g.id() == id)
                {
                    return Ok(g);
                }
            }
        }
    }
    let on = scopes.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
    Err(Error::usage_hint(
        format!("no grant `{id}` that you asked for, may approve or may list on {on}"),
        "`jit requests` lists the grants you asked for and those awaiting your approval; a grant may also be named in full",
    ))
}

/// The one grant awaiting the caller's approval on the entitlement `id` names on `scopes`; `None`
/// when no entitlement the caller approves has that ID or none awaits; an error naming them when
/// several do (the caller then names one).
pub async fn awaiting_on(gcp: &Gcp, scopes: &[ResourceId], id: &str) -> Result<Option<Grant>, Error> {
    let mut found: Vec<Grant> = Vec::new();
    for scope in scopes {
        for e in gcp.search_entitlements(scope, AccessType::Approver).await? {
            if crate::pam::names(&e, id) {
                found.extend(gcp.search_grants(&e.name, Relationship::ToApprove).await?);
            }
        }
    }
    if found.len() > 1 {
        let ids: Vec<String> = found.iter().map(|g| format!("`{}` of {}", g.id(), g.requester)).collect();
        return Err(Error::usage_hint(
            format!("{} grants of entitlement `{id}` await your approval: {}", found.len(), ids.join(", ")),
            "name one by its ID",
        ));
    }
    Ok(found.pop())
}

/// The entitlement a grant belongs to, when the caller may read it (its approvers, for
/// messages); `None` otherwise.
pub async fn entitlement_of(gcp: &Gcp, g: &Grant) -> Option<Entitlement> {
    let name = g.entitlement();
    if let Some(scope) = crate::gcp::pam::scope_of(name) {
        for access in [AccessType::Approver, AccessType::Requester] {
            if let Ok(found) = gcp.search_entitlements(&scope, access).await
                && let Some(e) = found.into_iter().find(|e| e.name == name)
            {
                return Some(e);
            }
        }
    }
    gcp.get_entitlement(name).await.ok()
}

/// Grants as a table (or JSON, YAML): ID, requester, roles, duration, reason, state, age, and the
/// caller's relationship to each when several were asked for.
pub fn render_grants(
    rows: &[GrantRow],
    format: Format,
    with_relationship: bool,
    now: DateTime<Utc>,
    w: &mut dyn std::io::Write,
) -> Result<(), Error> {
    if format != Format::Table {
        return output::structured(&rows, format, w);
    }
    let mut header = vec!["GRANT", "REQUESTER", "ROLES", "ON", "FOR", "REASON", "STATE", "ASKED"];
    if with_relationship {
        header.push("YOU");
    }
    let cells = rows
        .iter()
        .map(|r| {
            let mut c = vec![
                format!("{}/{}", r.entitlement, r.id),
                r.requester.clone(),
                r.roles.join("\n"),
                r.resource.clone(),
                r.duration.clone(),
                r.reason.clone(),
                state_cell(r),
                crate::pam::age(&r.created, now),
            ];
            if with_relationship {
                c.push(
                    match r.relationship {
                        Some(Relationship::Mine) => "asked",
                        Some(Relationship::ToApprove) => "may approve",
                        Some(Relationship::Approved) => "approved",
                        None => "",
                    }
                    .to_string(),
                );
            }
            c
        })
        .collect();
    output::plain_table(header, cells, w)
}

fn state_cell(r: &GrantRow) -> String {
    let words = crate::pam::state_words(&r.state);
    match (&r.approver, &r.ends) {
        (Some(a), Some(end)) if r.state == "ACTIVE" => format!("{words} until {end}, approved by {a}"),
        (None, Some(end)) if r.state == "ACTIVE" => format!("{words} until {end}"),
        _ => words.to_string(),
    }
}

/// Writes `line` to stderr unless quiet, escaped.
pub fn note(config: &Config, line: &str) {
    if !config.quiet {
        eprintln!("{}", output::escape(line));
    }
}

/// `--wait`: the grant until it is active (or refused), then the access until Google applies
/// it, within `bound`; a line on stderr each time what is awaited changes.
pub async fn follow(
    config: &Config,
    gcp: &Gcp,
    g: &Grant,
    approvers: &[String],
    bound: StdDuration,
) -> Result<Grant, Error> {
    let started = tokio::time::Instant::now();
    let mut pause = StdDuration::from_millis(200);
    let mut grant = g.clone();
    let mut said = String::new();
    loop {
        if grant.state == "ACTIVE" {
            break;
        }
        if pam::is_final(&grant.state) {
            return Err(Error::Api {
                resource: grant.name.clone(),
                status: None,
                message: format!(
                    "the grant was not activated: it is {}; {}",
                    pam::state_words(&grant.state),
                    pam::next_step(&grant, &[], chrono::Utc::now())
                ),
            });
        }
        let line = match grant.state.as_str() {
            "APPROVAL_AWAITED" if !approvers.is_empty() => {
                format!("waiting for {} to approve grant `{}`…", approvers.join(" or "), grant.id())
            }
            state => format!("waiting: grant `{}` is {}…", grant.id(), pam::state_words(state)),
        };
        progress(config, &mut said, line);
        wait_or_give_up(started, bound, &mut pause, &grant.name).await?;
        grant = gcp.get_grant(&grant.name).await?;
    }
    // Active: now wait until the caller's own access shows it.
    let roles = grant.roles();
    let resource = grant
        .iam_access()
        .and_then(|a| pam::parse_scope(&pam::short_resource(&a.resource)))
        .and_then(Result::ok);
    match (resource, pam::probe_permissions(&roles)) {
        (Some(resource), Some(permissions)) if !permissions.is_empty() => {
            progress(
                config,
                &mut said,
                format!("grant `{}` is active; waiting for Google to apply it on `{resource}`…", grant.id()),
            );
            loop {
                let held = gcp.test_permissions(&resource, &permissions).await?;
                if permissions.iter().all(|p| held.contains(p)) {
                    break;
                }
                wait_or_give_up(started, bound, &mut pause, &grant.name).await?;
            }
            note(config, &format!("Effective: {} on `{resource}`.", roles.join(", ")));
        }
        _ => note(
            config,
            &format!(
                "Grant `{}` is active; jit cannot test custom roles' permissions, so Google may still be applying it.",
                grant.id()
            ),
        ),
    }
    Ok(grant)
}

fn progress(config: &Config, said: &mut String, line: String) {
    if *said != line {
        note(config, &line);
        *said = line;
    }
}

async fn wait_or_give_up(
    started: tokio::time::Instant,
    bound: StdDuration,
    pause: &mut StdDuration,
    name: &str,
) -> Result<(), Error> {
    if started.elapsed() >= bound {
        return Err(Error::Api {
            resource: name.to_string(),
            status: None,
            message: format!(
                "still waiting after {}; the request stays, `jit requests --mine` follows it",
                timespec::words(Duration::from_std(bound).unwrap_or_default())
            ),
        });
    }
    tokio::time::sleep((*pause).min(bound.saturating_sub(started.elapsed()))).await;
    *pause = (*pause * 2).min(StdDuration::from_secs(5));
    Ok(())
}
