//! Pure decisions of jit's Privileged Access Manager commands (`entitlements`, `request`,
//! `requests`, `approve`, `deny`, `revoke --grant`, `exec`): what the words on the command line
//! name, which entitlements a set of roles is requested through, what a grant's state means for
//! the person reading it, and why PAM refused. No clock, network or environment here: `now` and
//! PAM's answers are arguments.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::edit::{PamGrant, TimedBinding};
use crate::error::Error;
use crate::gcp::pam::{Entitlement, Grant, Relationship};
use crate::iam::{ResourceId, Role, same_member};
use crate::source::Source;

/// What one word of `jit request` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// A role, to be found in an entitlement.
    Role(String),
    /// An entitlement by its ID (`prod-debug`) or its full name.
    Entitlement(String),
}

/// The words of `jit request ID|ROLE... [SCOPE]`: the scope (`projects/P`, `folders/N`,
/// `organizations/N`, at most one) and what is asked for.
pub fn parse_request_words(words: &[String]) -> Result<(Option<ResourceId>, Vec<Wanted>), Error> {
    let mut scope = None;
    let mut wanted = Vec::new();
    for w in words {
        let w = w.trim();
        crate::iam::refuse_terminal_controls("argument", w)?;
        if let Some(s) = parse_scope(w) {
            if scope.replace(s?).is_some() {
                return Err(Error::usage(
                    "name at most one scope (`projects/P`, `folders/N` or `organizations/N`)",
                ));
            }
        } else if w.starts_with("roles/") || w.contains("/roles/") {
            let role: Role = w.parse()?;
            wanted.push(Wanted::Role(role.as_str().to_string()));
        } else if w.contains("/entitlements/") {
            if !is_entitlement_name(w) {
                return Err(Error::usage_hint(
                    format!("`{w}` is not an entitlement's name"),
                    "use `projects/P/locations/global/entitlements/ID`, or the ID alone",
                ));
            }
            wanted.push(Wanted::Entitlement(w.to_string()));
        } else if is_entitlement_id(w) || is_entitlement_id(&format!("{MARK}{w}")) {
            wanted.push(Wanted::Entitlement(w.to_string()));
        } else {
            return Err(Error::usage_hint(
                format!("`{w}` is neither a role, an entitlement nor a scope"),
                "name roles as `roles/NAME`, entitlements by their ID, and the scope as `projects/P`",
            ));
        }
    }
    Ok((scope, wanted))
}

/// `projects/P`, `folders/N` or `organizations/N` (exactly two segments): `Some` when `w` has that
/// shape, with the parse's result.
pub fn parse_scope(w: &str) -> Option<Result<ResourceId, Error>> {
    let (collection, id) = w.split_once('/')?;
    if id.contains('/') {
        return None;
    }
    Some(match collection {
        "projects" => ResourceId::project(id),
        "folders" => ResourceId::folder(id),
        "organizations" => ResourceId::organization(id),
        _ => return None,
    })
}

/// The prefix of the IDs of the entitlements `jit entitlements apply` creates: PAM's
/// `Entitlement` has no labels and no description (discovery document), so the ID is the only
/// place a mark can live. jit updates and deletes only entitlements that carry it.
pub const MARK: &str = "jit-";

/// PAM's rule for an entitlement ID: "4-63 characters … `[a-z]`, `[0-9]`, and `-`. The first
/// character should be from `[a-z]`" (gcloud's generated messages, `entitlementId`).
pub fn is_entitlement_id(id: &str) -> bool {
    let b = id.as_bytes();
    (4..=63).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// `{projects|folders|organizations}/X/locations/L/entitlements/ID`.
pub fn is_entitlement_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    matches!(parts.as_slice(), [c, _, "locations", _, "entitlements", id]
        if ["projects", "folders", "organizations"].contains(c) && is_entitlement_id(id))
}

/// `…/entitlements/E/grants/G`.
pub fn is_grant_name(name: &str) -> bool {
    name.rsplit_once("/grants/")
        .is_some_and(|(e, g)| is_entitlement_name(e) && !g.is_empty() && !g.contains('/'))
}

/// How a grant is named on the command line: in full, or by its short ID (`G`, or `E/G`) to be
/// found on a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRef {
    Full(String),
    Short { entitlement: Option<String>, id: String },
}

pub fn parse_grant_ref(w: &str) -> Result<GrantRef, Error> {
    let w = w.trim();
    crate::iam::refuse_terminal_controls("grant", w)?;
    if w.contains("/grants/") {
        if is_grant_name(w) {
            return Ok(GrantRef::Full(w.to_string()));
        }
        return Err(Error::usage_hint(
            format!("`{w}` is not a grant's name"),
            "use `projects/P/locations/global/entitlements/E/grants/G`, or the grant's ID with a scope",
        ));
    }
    let ok =
        |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    match w.split_once('/') {
        Some((e, g)) if is_entitlement_id(e) && ok(g) => {
            Ok(GrantRef::Short { entitlement: Some(e.to_string()), id: g.to_string() })
        }
        None if ok(w) => Ok(GrantRef::Short { entitlement: None, id: w.to_string() }),
        _ => Err(Error::usage_hint(
            format!("`{w}` is not a grant"),
            "name a grant in full, or by its ID (`jit requests` shows them) with a scope",
        )),
    }
}

/// Whether `e` is the entitlement `wanted` names (its full name, its ID, or the ID without jit's
/// mark).
pub fn names(e: &Entitlement, wanted: &str) -> bool {
    if wanted.contains('/') {
        return e.name == wanted;
    }
    e.id() == wanted || e.id().strip_prefix(MARK) == Some(wanted)
}

/// The entitlements to request and the roles each brings, for what was asked: entitlements
/// named by ID as they are; roles through the entitlements (among `eligible`, those the caller
/// may request on the scope) whose roles are all among those asked for, the fewest grants that
/// cover them (one when one entitlement holds them all). A role that only comes with roles not
/// asked for is refused: a grant of an entitlement gives all of its roles, and jit never gives
/// more access than asked; the message names the entitlement to ask for instead.
pub fn plan_request<'a>(
    eligible: &'a [Entitlement],
    wanted: &[Wanted],
    scope: &str,
) -> Result<Vec<&'a Entitlement>, Error> {
    let mut chosen: Vec<&Entitlement> = Vec::new();
    let mut roles: BTreeSet<&str> = BTreeSet::new();
    for w in wanted {
        match w {
            Wanted::Entitlement(id) => {
                let found: Vec<&Entitlement> = eligible.iter().filter(|e| names(e, id)).collect();
                match found.as_slice() {
                    [one] => {
                        if !chosen.iter().any(|c| c.name == one.name) {
                            chosen.push(one);
                        }
                    }
                    [] => {
                        return Err(Error::usage_hint(
                            format!("you may not request an entitlement `{id}` on `{scope}`"),
                            available(eligible, scope),
                        ));
                    }
                    _ => {
                        return Err(Error::usage(format!(
                            "`{id}` names {} entitlements on `{scope}`: {}; name one in full",
                            found.len(),
                            found.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")
                        )));
                    }
                }
            }
            Wanted::Role(r) => {
                roles.insert(r.as_str());
            }
        }
    }
    // Roles already brought by an entitlement named by ID need nothing more.
    let covered: BTreeSet<&str> = chosen.iter().flat_map(|e| e.roles()).collect();
    let mut left: BTreeSet<&str> = roles.difference(&covered).copied().collect();
    let fits = |e: &&Entitlement| {
        let r = e.roles();
        !r.is_empty() && r.iter().all(|role| roles.contains(role))
    };
    let candidates: Vec<&Entitlement> = eligible.iter().filter(fits).collect();
    while !left.is_empty() {
        let best = candidates
            .iter()
            .filter(|e| !chosen.iter().any(|c| c.name == e.name))
            .map(|e| (e.roles().iter().filter(|r| left.contains(**r)).count(), *e))
            .filter(|(n, _)| *n > 0)
            // The most roles still wanted; then the fewest roles; then the name, so that the
            // choice is the same on every run.
            .max_by(|(n1, e1), (n2, e2)| {
                n1.cmp(n2).then(e2.roles().len().cmp(&e1.roles().len())).then(e2.name.cmp(&e1.name))
            });
        let Some((_, e)) = best else {
            let role = left.iter().next().copied().unwrap_or_default();
            let with_more: Vec<&Entitlement> =
                eligible.iter().filter(|e| e.roles().contains(&role)).collect();
            return Err(match with_more.first() {
                Some(e) => Error::usage_hint(
                    format!(
                        "`{role}` comes only with other roles on `{scope}`: entitlement `{}` grants {}",
                        e.id(),
                        e.roles().join(", ")
                    ),
                    format!(
                        "a grant gives all of an entitlement's roles; to have them all, request it by its ID: `jit request {}`",
                        e.id()
                    ),
                ),
                None => Error::usage_hint(
                    format!("no entitlement you may request on `{scope}` grants `{role}`"),
                    available(eligible, scope),
                ),
            });
        };
        for r in e.roles() {
            left.remove(r);
        }
        chosen.push(e);
    }
    Ok(chosen)
}

fn available(eligible: &[Entitlement], scope: &str) -> String {
    if eligible.is_empty() {
        return format!(
            "you may request no entitlement on `{scope}`; an administrator adds you to one's requesters"
        );
    }
    format!(
        "`jit entitlements {scope}` lists what you may request: {}",
        eligible.iter().map(|e| e.id()).collect::<Vec<_>>().join(", ")
    )
}

/// Checks a request against the entitlement before it is sent, as PAM would check it: the
/// duration within `maxRequestDuration`, a reason when one is required.
pub fn check_request(e: &Entitlement, duration: Duration, reason: Option<&str>) -> Result<(), Error> {
    if let Some(max) = e.max_duration()
        && duration > max
    {
        return Err(too_long(e, duration, max));
    }
    if e.requires_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(reason_required(e));
    }
    Ok(())
}

fn too_long(e: &Entitlement, duration: Duration, max: Duration) -> Error {
    Error::usage_hint(
        format!(
            "{} is longer than entitlement `{}` allows: at most {}",
            crate::timespec::words(duration),
            e.id(),
            crate::timespec::words(max)
        ),
        format!("ask for less, e.g. `--for {}`", crate::timespec::words(max).replace(' ', "")),
    )
}

fn reason_required(e: &Entitlement) -> Error {
    Error::usage_hint(
        format!("entitlement `{}` requires a reason", e.id()),
        "say why with `--reason TEXT` (a ticket, an incident)",
    )
}

/// PAM's refusal of a request, with why, as far as the entitlement and the request tell: the
/// caller is not among its requesters, the duration is too long, a reason is missing. PAM's own
/// words follow.
pub fn explain_request_error(
    err: Error,
    e: &Entitlement,
    duration: Duration,
    reason: Option<&str>,
    caller: Option<&str>,
) -> Error {
    let said = pam_said(&err);
    match &err {
        Error::PermissionDenied { .. } => Error::PermissionDenied {
            resource: e.name.clone(),
            message: format!(
                "{} not eligible for entitlement `{}`: only {} may request it (PAM: {said})",
                caller.map_or("you are".to_string(), |c| format!("`{c}` is")),
                e.id(),
                list_or_nobody(&e.requesters())
            ),
            permission: None,
        },
        Error::Api { status: Some(400), .. } | Error::Api { status: Some(409), .. } => {
            if let Some(max) = e.max_duration()
                && duration > max
            {
                return with_said(too_long(e, duration, max), &said);
            }
            if e.requires_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
                return with_said(reason_required(e), &said);
            }
            err
        }
        _ => err,
    }
}

/// PAM's refusal of an approval or a denial, with why: the caller asked for this grant (PAM
/// forbids approving one's own request), is not among the approvers, or the grant no longer
/// awaits an approval.
pub fn explain_decision_error(
    err: Error,
    grant: &Grant,
    approvers: &[&str],
    caller: Option<&str>,
    verb: &str,
) -> Error {
    let said = pam_said(&err);
    let own = caller.is_some_and(|c| crate::iam::same_member(&member(&grant.requester), &member(c)));
    if own && matches!(err, Error::PermissionDenied { .. } | Error::Api { status: Some(400 | 409), .. }) {
        return Error::PermissionDenied {
            resource: grant.name.clone(),
            message: format!("you cannot {verb} your own request: PAM needs another approver (PAM: {said})"),
            permission: None,
        };
    }
    match &err {
        Error::PermissionDenied { .. } => Error::PermissionDenied {
            resource: grant.name.clone(),
            message: format!(
                "you are not an approver of this grant's entitlement: {} may {verb} it (PAM: {said})",
                list_or_nobody(approvers)
            ),
            permission: None,
        },
        Error::Api { status: Some(400 | 409), .. }
            if grant.state != "APPROVAL_AWAITED" && !grant.state.is_empty() =>
        {
            Error::usage(format!(
                "grant `{}` does not await an approval: it is {} (PAM: {said})",
                grant.id(),
                state_words(&grant.state)
            ))
        }
        _ => err,
    }
}

fn list_or_nobody(ps: &[&str]) -> String {
    if ps.is_empty() { "nobody".to_string() } else { ps.join(", ") }
}

/// `user:x` for a bare e-mail (PAM names requesters and actors by e-mail).
pub fn member(p: &str) -> String {
    if p.contains(':') { p.to_string() } else { crate::iam::member_of_email(p) }
}

/// What PAM said, from jit's error.
fn pam_said(e: &Error) -> String {
    match e {
        Error::PermissionDenied { message, .. }
        | Error::Api { message, .. }
        | Error::Conflict { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn with_said(e: Error, said: &str) -> Error {
    match e {
        Error::Usage { message, hint } => {
            Error::Policy { message: format!("PAM refused: {message} (PAM: {said})"), hint }
        }
        other => other,
    }
}

/// A grant's state in words.
pub fn state_words(state: &str) -> &'static str {
    match state {
        "APPROVAL_AWAITED" => "awaiting approval",
        "DENIED" => "denied",
        "SCHEDULED" => "scheduled",
        "ACTIVATING" => "activating",
        "ACTIVE" => "active",
        "ACTIVATION_FAILED" => "activation failed",
        "EXPIRED" => "expired (never approved)",
        "REVOKING" => "being revoked",
        "REVOKED" => "revoked",
        "ENDED" => "ended",
        _ => "in an unknown state",
    }
}

/// Whether a grant's state will not change any more.
pub fn is_final(state: &str) -> bool {
    matches!(state, "DENIED" | "ACTIVATION_FAILED" | "EXPIRED" | "REVOKED" | "ENDED")
}

/// What happens next to a grant, for its requester.
pub fn next_step(g: &Grant, approvers: &[&str], now: DateTime<Utc>) -> String {
    match g.state.as_str() {
        "APPROVAL_AWAITED" => format!(
            "{} may approve it with `jit approve {}`; `jit request --wait` or `jit requests --mine` follows it",
            list_or_nobody(approvers),
            g.name
        ),
        "SCHEDULED" | "ACTIVATING" => {
            "PAM is adding the binding; the access follows within minutes".to_string()
        }
        "ACTIVE" => match g.ends() {
            Some(end) if end > now => format!(
                "the access is granted until {} ({} left); Google may take a few minutes to apply it",
                crate::output::utc(end),
                crate::timespec::words(end - now)
            ),
            _ => "the access is granted; Google may take a few minutes to apply it".to_string(),
        },
        "DENIED" => match g.denier() {
            Some(d) if !d.reason.is_empty() => format!("denied by {}: {}", d.actor, d.reason),
            Some(d) => format!("denied by {}", d.actor),
            None => "denied".to_string(),
        },
        "ACTIVATION_FAILED" => {
            "PAM could not add the binding; ask the entitlement's administrator".to_string()
        }
        "EXPIRED" => "nobody approved it in time; request again".to_string(),
        "REVOKED" | "REVOKING" | "ENDED" => "the access has ended".to_string(),
        _ => "run `jit requests --mine` to follow it".to_string(),
    }
}

/// One grant as `jit request`, `jit requests`, `approve`, `deny` and `revoke --grant` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantRow {
    pub grant: String,
    pub id: String,
    pub entitlement: String,
    pub requester: String,
    pub roles: Vec<String>,
    pub resource: String,
    pub duration: String,
    pub reason: String,
    pub state: String,
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationship: Option<Relationship>,
    pub next: String,
}

impl GrantRow {
    pub fn of(
        g: &Grant,
        approvers: &[&str],
        relationship: Option<Relationship>,
        now: DateTime<Utc>,
    ) -> GrantRow {
        GrantRow {
            grant: g.name.clone(),
            id: g.id().to_string(),
            entitlement: g.entitlement().rsplit('/').next().unwrap_or_default().to_string(),
            requester: g.requester.clone(),
            roles: g.roles().into_iter().map(str::to_string).collect(),
            resource: g.iam_access().map(|a| short_resource(&a.resource)).unwrap_or_default(),
            duration: g
                .duration()
                .map(crate::timespec::words)
                .unwrap_or_else(|| g.requested_duration.clone()),
            reason: g.reason().to_string(),
            state: g.state.clone(),
            created: g.create_time.clone(),
            approver: g.approver().map(|a| a.actor.clone()),
            ends: g.ends().map(crate::output::utc),
            relationship,
            next: next_step(g, approvers, now),
        }
    }
}

/// `//cloudresourcemanager.googleapis.com/projects/p` as `projects/p`.
pub fn short_resource(full: &str) -> String {
    full.strip_prefix("//").and_then(|r| r.split_once('/')).map_or(full, |(_, r)| r).to_string()
}

/// How long ago `t` (RFC 3339) was, in words.
pub fn age(t: &str, now: DateTime<Utc>) -> String {
    match crate::condition::parse_timestamp(t) {
        Some(t) if t <= now => format!("{} ago", crate::timespec::words(now - t)),
        Some(_) => "just now".to_string(),
        None => "-".to_string(),
    }
}

/// The permissions whose presence in the caller's `testIamPermissions` says a grant is effective:
/// of each role, jit's copy of Google's predefined roles names a few (the first three of each,
/// sorted, that `testIamPermissions` accepts on the resource's kind; those of a project,
/// folder or organization start with their service's name). `None` for a role jit does not know
/// (a custom role): then the grant's ACTIVE state is all jit can go by.
pub fn probe_permissions(roles: &[&str]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for role in roles {
        let r = crate::roles::get(role)?;
        out.extend(r.permissions().take(3).map(str::to_string));
    }
    out.sort();
    out.dedup();
    Some(out)
}

// ---- `jit list`: the grant behind a binding PAM wrote --------------------------------------

/// How far a binding's end may be from its grant's (activation time plus requested duration):
/// PAM's condition names whole seconds, the grant's times carry fractions.
const END_TOLERANCE_SECONDS: i64 = 5;

/// The roles of `jit list`'s PAM-written rows on `scope`, to know which of the scope's
/// entitlements can have written them.
pub fn pam_roles_on(rows: &[TimedBinding], scope: &str) -> BTreeSet<String> {
    rows.iter().filter(|r| r.source == Source::Pam && r.resource == scope).map(|r| r.role.clone()).collect()
}

/// Joins each row of a binding PAM wrote on `scope` to the grant of `grants` (the grants of the
/// scope's entitlements) that wrote it: the same role, the requester as member, and an end
/// within a few seconds of the grant's (the closest wins). A joined row shows the approver as
/// GRANTED BY and the grant's justification as REASON. Returns how many rows were joined.
pub fn join_grants(rows: &mut [TimedBinding], scope: &str, grants: &[Grant]) -> usize {
    let mut joined = 0;
    for row in rows.iter_mut().filter(|r| r.source == Source::Pam && r.resource == scope) {
        let Some(expires) = row.expires else { continue };
        let best = grants
            .iter()
            .filter(|g| g.roles().contains(&row.role.as_str()))
            .filter(|g| same_member(&member(&g.requester), &row.member))
            .filter_map(|g| Some((g, (g.ends()? - expires).num_milliseconds().abs())))
            .filter(|(_, off)| *off <= END_TOLERANCE_SECONDS * 1000)
            .min_by_key(|(_, off)| *off);
        if let Some((g, _)) = best {
            let approver = g.approver().map(|a| a.actor.clone()).filter(|a| !a.is_empty());
            row.granted_by = approver.clone();
            row.reason = Some(g.reason().to_string()).filter(|r| !r.is_empty());
            row.pam = Some(PamGrant { grant: g.name.clone(), requester: g.requester.clone(), approver });
            joined += 1;
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pam_binding_is_joined_to_the_grant_that_wrote_it() {
        let policy: crate::policy::Policy = serde_json::from_value(json!({"version": 3, "bindings": [
            {"role": "roles/logging.viewer", "members": ["user:bob@example.com", "user:eve@example.com"],
             "condition": {"title": "Created by: PAM", "expression": "request.time < timestamp(\"2026-01-05T12:00:00Z\")"}},
            {"role": "roles/logging.viewer", "members": ["user:bob@example.com"],
             "condition": {"title": "jit: x", "expression": "request.time < timestamp(\"2026-01-05T12:00:00Z\")"}}
        ]}))
        .unwrap();
        let now = "2026-01-05T10:00:00Z".parse().unwrap();
        let mut rows = crate::edit::timed_bindings("projects/p", &policy, now).unwrap();
        let grant = |id: &str, activated: &str, approver: Option<&str>| -> Grant {
            let mut events = vec![json!({"requested": {}})];
            if let Some(a) = approver {
                events.push(json!({"approved": {"actor": a, "reason": "ok"}}));
            }
            serde_json::from_value(json!({
                "name": format!("projects/p/locations/global/entitlements/e/grants/{id}"),
                "requester": "bob@example.com", "state": "ACTIVE", "requestedDuration": "7200s",
                "justification": {"unstructuredJustification": "INC-42"},
                "auditTrail": {"accessGrantTime": activated},
                "privilegedAccess": {"gcpIamAccess": {"roleBindings": [{"role": "roles/logging.viewer"}]}},
                "timeline": {"events": events}
            }))
            .unwrap()
        };
        // An older grant of the same role ended an hour earlier: not this binding's.
        let grants = [
            grant("old", "2026-01-05T09:00:00.400Z", None),
            grant("g1", "2026-01-05T10:00:00.400Z", Some("alice@example.com")),
        ];
        assert_eq!(
            pam_roles_on(&rows, "projects/p").into_iter().collect::<Vec<_>>(),
            ["roles/logging.viewer"]
        );
        assert_eq!(join_grants(&mut rows, "projects/p", &grants), 1);
        let bob =
            rows.iter().find(|r| r.member == "user:bob@example.com" && r.source == Source::Pam).unwrap();
        let pam = bob.pam.as_ref().unwrap();
        assert!(pam.grant.ends_with("/grants/g1"));
        assert_eq!(pam.requester, "bob@example.com");
        assert_eq!(pam.approver.as_deref(), Some("alice@example.com"));
        assert_eq!(bob.granted_by.as_deref(), Some("alice@example.com"));
        assert_eq!(bob.reason.as_deref(), Some("INC-42"));
        // Another member of the binding, and jit's own binding, are nobody's grant.
        assert!(
            rows.iter()
                .filter(|r| r.member != "user:bob@example.com" || r.source != Source::Pam)
                .all(|r| r.pam.is_none())
        );
        // On another scope, nothing is joined.
        let mut again = crate::edit::timed_bindings("projects/q", &policy, now).unwrap();
        assert_eq!(join_grants(&mut again, "projects/p", &grants), 0);
    }

    fn ent(id: &str, roles: &[&str]) -> Entitlement {
        serde_json::from_value(json!({
            "name": format!("projects/p/locations/global/entitlements/{id}"),
            "eligibleUsers": [{"principals": ["user:bob@example.com"]}],
            "privilegedAccess": {"gcpIamAccess": {"resource": "//cloudresourcemanager.googleapis.com/projects/p",
                "resourceType": "cloudresourcemanager.googleapis.com/Project",
                "roleBindings": roles.iter().map(|r| json!({"role": r})).collect::<Vec<_>>()}},
            "maxRequestDuration": "7200s",
            "requesterJustificationConfig": {"unstructured": {}}
        }))
        .unwrap()
    }

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn request_words_are_roles_entitlements_and_one_scope() {
        let (scope, wanted) =
            parse_request_words(&words(&["roles/logging.viewer", "prod-debug", "projects/jit-demo-prod"]))
                .unwrap();
        assert_eq!(scope, Some(ResourceId::project("jit-demo-prod").unwrap()));
        assert_eq!(
            wanted,
            [Wanted::Role("roles/logging.viewer".into()), Wanted::Entitlement("prod-debug".into())]
        );
        assert!(parse_request_words(&words(&["projects/aaaaaa", "folders/1"])).is_err());
        assert!(parse_request_words(&words(&["Bad Thing"])).is_err());
        assert!(parse_request_words(&words(&["roles/"])).is_err());
        let full = "projects/p/locations/global/entitlements/prod-debug";
        assert_eq!(parse_request_words(&words(&[full])).unwrap().1, [Wanted::Entitlement(full.into())]);
    }

    #[test]
    fn one_grant_when_one_entitlement_holds_every_role() {
        let eligible = vec![
            ent("logs", &["roles/logging.viewer"]),
            ent("both", &["roles/logging.viewer", "roles/cloudsql.client"]),
            ent("sql", &["roles/cloudsql.client"]),
        ];
        let want =
            [Wanted::Role("roles/logging.viewer".into()), Wanted::Role("roles/cloudsql.client".into())];
        let plan = plan_request(&eligible, &want, "projects/p").unwrap();
        assert_eq!(plan.iter().map(|e| e.id()).collect::<Vec<_>>(), ["both"]);
        // One role: the entitlement with exactly it, never the one that brings more.
        let plan = plan_request(&eligible, &want[..1], "projects/p").unwrap();
        assert_eq!(plan.iter().map(|e| e.id()).collect::<Vec<_>>(), ["logs"]);
    }

    #[test]
    fn one_grant_per_entitlement_otherwise_and_never_more_than_asked() {
        let eligible = vec![ent("logs", &["roles/logging.viewer"]), ent("sql", &["roles/cloudsql.client"])];
        let want =
            [Wanted::Role("roles/cloudsql.client".into()), Wanted::Role("roles/logging.viewer".into())];
        let plan = plan_request(&eligible, &want, "projects/p").unwrap();
        assert_eq!(plan.iter().map(|e| e.id()).collect::<Vec<_>>(), ["logs", "sql"]);

        let only_with_more = vec![ent("both", &["roles/logging.viewer", "roles/cloudsql.client"])];
        let e = plan_request(&only_with_more, &want[1..], "projects/p").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`roles/logging.viewer` comes only with other roles on `projects/p`: entitlement `both` grants roles/logging.viewer, roles/cloudsql.client"
        );
        assert!(e.hint().unwrap().contains("`jit request both`"));
        let e = plan_request(&eligible, &[Wanted::Role("roles/owner".into())], "projects/p").unwrap_err();
        assert_eq!(e.to_string(), "no entitlement you may request on `projects/p` grants `roles/owner`");
        assert!(e.hint().unwrap().contains("logs, sql"));
    }

    #[test]
    fn entitlements_are_named_with_or_without_jits_mark() {
        let eligible = vec![ent("jit-prod-debug", &["roles/logging.viewer"])];
        for name in
            ["prod-debug", "jit-prod-debug", "projects/p/locations/global/entitlements/jit-prod-debug"]
        {
            let plan = plan_request(&eligible, &[Wanted::Entitlement(name.into())], "projects/p").unwrap();
            assert_eq!(plan.len(), 1, "{name}");
        }
        let e = plan_request(&eligible, &[Wanted::Entitlement("other".into())], "projects/p").unwrap_err();
        assert_eq!(e.to_string(), "you may not request an entitlement `other` on `projects/p`");
    }

    #[test]
    fn requests_are_checked_as_pam_checks_them() {
        let e = ent("logs", &["roles/logging.viewer"]);
        assert!(check_request(&e, Duration::hours(2), Some("INC-1")).is_ok());
        let long = check_request(&e, Duration::hours(3), Some("INC-1")).unwrap_err();
        assert_eq!(long.to_string(), "3h is longer than entitlement `logs` allows: at most 2h");
        let none = check_request(&e, Duration::hours(1), None).unwrap_err();
        assert_eq!(none.to_string(), "entitlement `logs` requires a reason");
        assert!(check_request(&e, Duration::hours(1), Some("  ")).is_err());
    }

    #[test]
    fn refusals_say_why() {
        let e = ent("logs", &["roles/logging.viewer"]);
        let denied = Error::PermissionDenied {
            resource: "x".into(),
            message: "caller is not eligible".into(),
            permission: Some(String::new()),
        };
        let why =
            explain_request_error(denied, &e, Duration::hours(1), Some("r"), Some("user:carol@example.com"));
        assert_eq!(
            why.to_string(),
            "permission denied on `projects/p/locations/global/entitlements/logs`: `user:carol@example.com` is not eligible for entitlement `logs`: only user:bob@example.com may request it (PAM: caller is not eligible)"
        );
        let bad = Error::Api { resource: "x".into(), status: Some(400), message: "duration too long".into() };
        let why = explain_request_error(bad, &e, Duration::hours(5), Some("r"), None);
        assert_eq!(
            why.to_string(),
            "PAM refused: 5h is longer than entitlement `logs` allows: at most 2h (PAM: duration too long)"
        );

        let g: Grant =
            serde_json::from_value(json!({"name": "projects/p/locations/global/entitlements/logs/grants/g1",
            "requester": "bob@example.com", "state": "APPROVAL_AWAITED"}))
            .unwrap();
        let refused = Error::Api { resource: "x".into(), status: Some(400), message: "self approval".into() };
        let why = explain_decision_error(
            refused,
            &g,
            &["user:alice@example.com"],
            Some("user:bob@example.com"),
            "approve",
        );
        assert_eq!(
            why.to_string(),
            "permission denied on `projects/p/locations/global/entitlements/logs/grants/g1`: you cannot approve your own request: PAM needs another approver (PAM: self approval)"
        );
        let refused = Error::PermissionDenied {
            resource: "x".into(),
            message: "not an approver".into(),
            permission: None,
        };
        let why = explain_decision_error(
            refused,
            &g,
            &["user:alice@example.com"],
            Some("user:carol@example.com"),
            "deny",
        );
        assert!(why.to_string().contains(
            "you are not an approver of this grant's entitlement: user:alice@example.com may deny it"
        ));
    }

    #[test]
    fn grants_are_named_in_full_or_short() {
        let full = "projects/p/locations/global/entitlements/logs/grants/g1";
        assert_eq!(parse_grant_ref(full).unwrap(), GrantRef::Full(full.into()));
        assert_eq!(parse_grant_ref("g1").unwrap(), GrantRef::Short { entitlement: None, id: "g1".into() });
        assert_eq!(
            parse_grant_ref("logs/g1").unwrap(),
            GrantRef::Short { entitlement: Some("logs".into()), id: "g1".into() }
        );
        assert!(parse_grant_ref("projects/p/grants/").is_err());
        assert!(parse_grant_ref("a b").is_err());
    }

    #[test]
    fn states_and_next_steps_in_words() {
        let now = crate::condition::parse_timestamp("2026-01-01T10:30:00Z").unwrap();
        let g: Grant =
            serde_json::from_value(json!({"name": "projects/p/locations/global/entitlements/logs/grants/g1",
            "requester": "bob@example.com", "state": "ACTIVE", "requestedDuration": "3600s",
            "auditTrail": {"accessGrantTime": "2026-01-01T10:00:00Z"}}))
            .unwrap();
        assert_eq!(
            next_step(&g, &[], now),
            "the access is granted until 2026-01-01T11:00:00Z (30m left); Google may take a few minutes to apply it"
        );
        let row = GrantRow::of(&g, &[], Some(Relationship::Mine), now);
        assert_eq!(row.duration, "1h");
        assert_eq!(row.entitlement, "logs");
        assert!(is_final("DENIED") && !is_final("ACTIVE"));
        assert_eq!(age("2026-01-01T10:00:00Z", now), "30m ago");
        assert_eq!(short_resource("//cloudresourcemanager.googleapis.com/projects/p"), "projects/p");
    }
}
