//! The policy engine: pure functions from (policy, request, now) to a new policy plus a report of
//! what changed and why (design §2, §4). Nothing here reads the clock, the network or the
//! environment.
//!
//! Every edit leaves the bindings it does not target exactly as read (role, member order,
//! condition text, unknown fields); see the property tests in `tests/properties.rs`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Serialize, Serializer};

use crate::condition::{self, GrantNote, State, Window};
use crate::error::Error;
use crate::iam::{Principal, Role, member_key, same_member};
use crate::policy::{Binding, Expr, MAX_PRINCIPALS, Policy, conditions_equal};
use crate::source::{self, Source};

/// Google's documented limit on conditional bindings of one role for one principal.
/// <https://cloud.google.com/iam/docs/policies#limits>
pub const MAX_BINDINGS_PER_ROLE_AND_MEMBER: usize = 20;

/// One member of one time-bound binding on one resource: a row of `jit list` and an object of
/// every JSON report (docs/output.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimedBinding {
    pub resource: String,
    pub role: String,
    pub member: String,
    #[serde(serialize_with = "rfc3339")]
    pub starts: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub expires: Option<DateTime<Utc>>,
    pub state: State,
    pub source: Source,
    pub granted_by: Option<String>,
    pub reason: Option<String>,
    pub title: String,
    pub description: String,
    pub expression: String,
    /// The Privileged Access Manager grant that wrote a `pam` binding, when `jit list` could read
    /// it (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pam: Option<PamGrant>,
}

/// The PAM grant behind a binding PAM wrote: its name, who asked and who approved (none when the
/// entitlement has no approval step).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PamGrant {
    pub grant: String,
    pub requester: String,
    pub approver: Option<String>,
}

fn rfc3339<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&condition::format_reported(*t)),
        None => s.serialize_none(),
    }
}

impl TimedBinding {
    /// The row for `member` of a binding whose condition has the window `w`.
    fn new(
        resource: &str,
        binding: &Binding,
        condition: &Expr,
        w: &Window,
        member: &str,
        now: DateTime<Utc>,
    ) -> Self {
        TimedBinding {
            resource: resource.to_string(),
            role: binding.role.clone(),
            member: member.to_string(),
            starts: w.lower.map(|b| b.at),
            expires: w.upper.map(|b| b.at),
            state: w.state(now),
            source: Source::of(condition),
            granted_by: source::granted_by(condition),
            reason: source::reason(condition),
            title: condition.title().to_string(),
            description: condition.description().to_string(),
            expression: condition.expression.clone(),
            pam: None,
        }
    }

    /// One row per member of a time-bound binding; nothing for any other binding.
    fn rows(resource: &str, binding: &Binding, now: DateTime<Utc>) -> Vec<TimedBinding> {
        match time_bound(binding) {
            Some((condition, w)) => binding
                .members
                .iter()
                .map(|m| TimedBinding::new(resource, binding, condition, &w, m, now))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// The condition and window of a binding with an upper time bound; `None` for a binding without
/// a condition, with an unparseable one, or with one that has no upper bound.
fn time_bound(binding: &Binding) -> Option<(&Expr, Window)> {
    let condition = binding.condition.as_ref()?;
    let w = condition::window(&condition.expression).ok()?;
    w.is_time_bound().then_some((condition, w))
}

fn is_jit(binding: &Binding) -> bool {
    binding.condition.as_ref().is_some_and(|c| Source::of(c) == Source::Jit)
}

/// A time-bound grant of jit's, which a grant of the same role and member extends: not a
/// delegation (`jit delegate`), whose condition also limits which roles the member may grant.
/// Merging a grant into a delegation would drop that limit and the delegation's own end.
fn is_jit_grant(binding: &Binding) -> bool {
    is_jit(binding)
        && binding.condition.as_ref().is_none_or(|c| condition::delegation(&c.expression).is_none())
}

/// A binding another service owns (Privileged Access Manager's): never edited.
fn managed_elsewhere(binding: &Binding) -> bool {
    binding.condition.as_ref().is_some_and(|c| Source::of(c).is_managed_elsewhere())
}

/// Every time-bound binding of a policy, one row per member, sorted by expiry. A version-1 view
/// is refused as every command refuses it: its conditions are not there to read, so "nothing
/// time-bound" would be a false answer (issue 8 defect 8).
pub fn timed_bindings(
    resource: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Vec<TimedBinding>, Error> {
    ensure_editable(policy)?;
    let mut rows: Vec<TimedBinding> =
        policy.bindings.iter().flat_map(|b| TimedBinding::rows(resource, b, now)).collect();
    sort(&mut rows);
    Ok(rows)
}

pub fn sort(rows: &mut [TimedBinding]) {
    rows.sort_by(|a, b| {
        (a.expires, &a.resource, &a.role, &a.member).cmp(&(b.expires, &b.resource, &b.role, &b.member))
    });
}

/// Refuses a version-1 view of a conditional policy (design §4.3): its `_withcond_` roles are not
/// real roles, its conditions are missing, and writing it back would destroy them. The one check
/// and the one message of every command (list, grant, revoke, cleanup).
pub fn ensure_editable(policy: &Policy) -> Result<(), Error> {
    if let Some(role) = policy.version1_role() {
        return Err(Error::policy_hint(
            format!("the policy is a version-1 view of conditional bindings (role `{role}`)"),
            "read it again asking for version 3 (gcloud: --format=json on a recent gcloud; API: \
             options.requestedPolicyVersion=3) and never write this one back",
        ));
    }
    Ok(())
}

/// What `jit grant` asks for.
#[derive(Debug, Clone)]
pub struct GrantRequest {
    pub roles: Vec<Role>,
    pub members: Vec<Principal>,
    pub start: Option<DateTime<Utc>>,
    pub end: DateTime<Utc>,
    /// Set the window exactly, even if it shortens an existing grant.
    pub replace: bool,
    pub note: GrantNote,
    /// The longest window each role may be left with: checked on every binding the grant
    /// creates or changes, not only on the request (issue 17 item 1).
    pub maximum: Maximum,
}

/// The longest time-bound window a grant may leave, counted from now (or the start, if later) to
/// the end: jit's own maximum and the team config's, each with what sets it for messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maximum {
    /// jit's maximum (`--max-duration`, `JIT_MAX_DURATION`, the team file's `max_duration`, or
    /// the default), for every role; `None`: no maximum (tests, the property tests' base case).
    pub all: Option<(Duration, String)>,
    /// The team config's limit of a role (its own, its bundle's, the file's), when it has one.
    pub roles: BTreeMap<String, (Duration, String)>,
}

impl Maximum {
    /// The least maximum that applies to `role`, and what sets it.
    pub fn of(&self, role: &str) -> Option<&(Duration, String)> {
        [self.all.as_ref(), self.roles.get(role)].into_iter().flatten().min_by_key(|(d, _)| *d)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GrantReport {
    /// New grants.
    pub granted: Vec<TimedBinding>,
    /// Existing live jit grants whose window now ends later (or, with --replace, at the same end
    /// from another start).
    pub extended: Vec<TimedBinding>,
    /// Existing live jit grants that --replace made end earlier (issue 19 item 14).
    pub shortened: Vec<TimedBinding>,
    /// Existing live jit grants that already cover the request.
    pub unchanged: Vec<TimedBinding>,
    /// jit's own expired bindings dropped in the same write.
    pub pruned: Vec<TimedBinding>,
    pub warnings: Vec<String>,
}

impl GrantReport {
    /// True when the policy must be written.
    pub fn changed(&self) -> bool {
        !self.granted.is_empty() || !self.extended.is_empty() || !self.shortened.is_empty()
    }

    /// True when this report (of a fresh read, with nothing left to change) shows exactly the
    /// grants `earlier` asked to write: a write whose answer was lost has landed, and the retry
    /// reports `earlier`, not `unchanged` (issue 8 defect 12).
    pub fn shows_landed(&self, earlier: &GrantReport) -> bool {
        let key =
            |r: &TimedBinding| (r.role.clone(), member_key(&r.member).into_owned(), r.starts, r.expires);
        let asked: BTreeSet<_> =
            earlier.granted.iter().chain(&earlier.extended).chain(&earlier.shortened).map(key).collect();
        let found: BTreeSet<_> = self.unchanged.iter().map(key).collect();
        !self.changed() && !asked.is_empty() && asked == found
    }
}

/// A window as (start, end) instants, jit's own shape: start inclusive, end exclusive.
type Span = (Option<DateTime<Utc>>, DateTime<Utc>);

/// Grants every role to every member in one edit (design §2 grant): extend, never shorten (unless
/// `replace`); merge into a binding with identical role and condition; drop jit's own expired
/// bindings; warn when a member already holds a role unconditionally. Returns the new policy
/// (identical to the input when the report says nothing changed).
///
/// Never more access than asked (issue 17 item 1): the request joins the member's live jit
/// grants of the role only where their windows overlap or touch it (and, through it, each
/// other); a window across a gap stays as it is, and the request gets a binding of its own, so a
/// scheduled grant ahead of a live one stays scheduled. Every window the write creates or changes
/// is checked against `req.maximum`, and Google's limit of bindings per role and principal is
/// checked on the result, before anything is written.
pub fn grant(
    resource: &str,
    policy: &Policy,
    req: &GrantRequest,
    now: DateTime<Utc>,
) -> Result<(Policy, GrantReport), Error> {
    ensure_editable(policy)?;
    let mut report = GrantReport::default();
    // (binding index, member) pairs to take out, and (role, span) → members to add.
    let mut take_out: BTreeSet<(usize, String)> = BTreeSet::new();
    let mut add: BTreeMap<(String, Span), Vec<String>> = BTreeMap::new();
    let mut add_order: Vec<(String, Span)> = Vec::new();
    let mut kept: Vec<(usize, String)> = Vec::new();
    let mut extending: BTreeSet<(String, String)> = BTreeSet::new();
    // The (role, member) pairs among `extending` whose window --replace ends earlier than before.
    let mut shortening: BTreeSet<(String, String)> = BTreeSet::new();

    // jit writes whole seconds; comparing the request in whole seconds too makes the same request
    // twice `unchanged` rather than an `extended` that rewrites identical text (issue 8 defect 12).
    let (req_start, req_end) = (req.start.map(condition::whole_seconds), condition::whole_seconds(req.end));
    let roles: Vec<&Role> = dedup(&req.roles);
    let mut seen = BTreeSet::new();
    let members: Vec<&Principal> =
        req.members.iter().filter(|m| seen.insert(member_key(m.as_str()))).collect();
    for role in &roles {
        for member in &members {
            let (role, member) = (role.as_str(), member.as_str());
            let holds = |b: &Binding| b.role == role && b.members.iter().any(|m| same_member(m, member));
            if policy.bindings.iter().any(|b| holds(b) && b.condition.is_none()) {
                report.warnings.push(format!(
                    "`{member}` already holds `{role}` without a condition on `{resource}`; this grant adds nothing \
                     until that binding is removed"
                ));
            }
            let live: Vec<(usize, Window)> = policy
                .bindings
                .iter()
                .enumerate()
                .filter(|(_, b)| holds(b) && is_jit_grant(b))
                .filter_map(|(i, b)| time_bound(b).map(|(_, w)| (i, w)))
                .filter(|(_, w)| !w.ended_by(now))
                .collect();
            // The request and the live windows it overlaps or touches, directly or through another
            // one it joins: only those merge (with --replace, the request replaces them).
            let asked: Span = (req_start.filter(|s| *s > now), req_end);
            let spans: Vec<(usize, Span)> =
                live.iter().filter_map(|(i, w)| Some((*i, loose_span(w, now)?))).collect();
            let mut joined: Vec<usize> = Vec::new();
            let mut wanted = asked;
            loop {
                let before = joined.len();
                for (k, (_, s)) in spans.iter().enumerate() {
                    if !joined.contains(&k) && joins(&wanted, s, now) {
                        joined.push(k);
                        if !req.replace {
                            wanted = union(&wanted, s, now);
                        }
                    }
                }
                if joined.len() == before {
                    break;
                }
            }
            // The member as the policy spells it (Google keeps the account's own case), so that an
            // extension keeps that spelling instead of churning it.
            let spelled = live
                .iter()
                .find_map(|(i, _)| policy.bindings[*i].members.iter().find(|m| same_member(m, member)))
                .map_or(member, String::as_str);
            let live: Vec<(usize, Window)> = joined.iter().map(|k| live_at(&live, spans[*k].0)).collect();
            if let [(i, w)] = live.as_slice()
                && span_of(w, now) == Some(wanted)
            {
                kept.push((*i, spelled.to_string()));
                continue;
            }
            for (i, _) in &live {
                take_out.insert((*i, member_key(member).into_owned()));
            }
            let member = spelled;
            check_maximum(resource, role, member, &wanted, !live.is_empty(), &req.maximum, now)?;
            let key = (role.to_string(), wanted);
            if !add.contains_key(&key) {
                add_order.push(key.clone());
            }
            add.entry(key).or_default().push(member.to_string());
            if !live.is_empty() {
                extending.insert((role.to_string(), member.to_string()));
                let was_end = live.iter().filter_map(|(_, w)| span_of(w, now)).map(|s| s.1).max();
                if was_end.is_some_and(|end| wanted.1 < end) {
                    shortening.insert((role.to_string(), member.to_string()));
                }
            }
        }
    }

    for (i, member) in &kept {
        let b = &policy.bindings[*i];
        let (c, w) = time_bound(b).expect("kept bindings are time-bound");
        report.unchanged.push(TimedBinding::new(resource, b, c, &w, member, now));
    }
    if add.is_empty() {
        return Ok((policy.clone(), report));
    }

    let mut out = policy.clone();
    // Take members out of the live bindings they are being moved from.
    for (i, b) in out.bindings.iter_mut().enumerate() {
        b.members.retain(|m| !take_out.contains(&(i, member_key(m).into_owned())));
    }
    let emptied: BTreeSet<usize> = take_out.iter().map(|(i, _)| *i).collect();
    let mut index = 0;
    out.bindings.retain(|b| {
        let drop = emptied.contains(&index) && b.members.is_empty();
        index += 1;
        !drop
    });
    report.pruned = prune_expired_jit(resource, &mut out, &req.roles, now);

    // Add the new grants, merging into a binding with identical role and condition.
    let mut conditions: BTreeMap<Span, Expr> = BTreeMap::new();
    for key in &add_order {
        let (role, span) = key;
        let condition =
            conditions.entry(*span).or_insert_with(|| condition::build(span.0, span.1, &req.note)).clone();
        let members = &add[key];
        let target = out
            .bindings
            .iter()
            .position(|b| b.role == *role && conditions_equal(b.condition.as_ref(), Some(&condition)));
        let i = match target {
            Some(i) => i,
            None => {
                out.bindings.push(Binding {
                    role: role.clone(),
                    members: Vec::new(),
                    condition: Some(condition.clone()),
                    extra: Default::default(),
                });
                out.bindings.len() - 1
            }
        };
        for m in members {
            if !out.bindings[i].members.iter().any(|x| same_member(x, m)) {
                out.bindings[i].members.push(m.clone());
            }
        }
        let w = condition::window(&condition.expression).expect("jit's own expressions parse");
        for m in members {
            let row = TimedBinding::new(resource, &out.bindings[i], &condition, &w, m, now);
            if shortening.contains(&(role.clone(), m.clone())) {
                report.shortened.push(row);
            } else if extending.contains(&(role.clone(), m.clone())) {
                report.extended.push(row);
            } else {
                report.granted.push(row);
            }
        }
    }
    out.version = Some(3);
    let touched: Vec<(&str, &str)> =
        add.iter().flat_map(|((role, _), ms)| ms.iter().map(move |m| (role.as_str(), m.as_str()))).collect();
    check_limits(resource, policy, &out, &touched)?;
    Ok((out, report))
}

fn dedup<T: Ord>(items: &[T]) -> Vec<&T> {
    let mut seen = BTreeSet::new();
    items.iter().filter(|i| seen.insert(*i)).collect()
}

/// The window of an existing binding in jit's own shape, if it has that shape: start inclusive
/// (or none, or already passed), end exclusive.
fn span_of(w: &Window, now: DateTime<Utc>) -> Option<Span> {
    let upper = w.upper.filter(|u| !u.inclusive)?;
    let start = match w.lower {
        None => None,
        Some(l) if !l.inclusive => return None,
        Some(l) if l.at <= now => None,
        Some(l) => Some(l.at),
    };
    Some((start, upper.at))
}

/// The live window of binding `i`.
fn live_at(live: &[(usize, Window)], i: usize) -> (usize, Window) {
    live.iter().find(|(j, _)| *j == i).copied().expect("a span of a live window")
}

/// The window of a live jit grant as a span, whatever the exact shape of its bounds: start (if
/// still ahead) and end. For joining windows only; [`span_of`] decides whether one is exactly
/// jit's shape.
fn loose_span(w: &Window, now: DateTime<Utc>) -> Option<Span> {
    let upper = w.upper?;
    Some((w.lower.map(|l| l.at).filter(|at| *at > now), upper.at))
}

/// When a span's access begins, seen from `now`.
fn begins(s: &Span, now: DateTime<Utc>) -> DateTime<Utc> {
    s.0.map_or(now, |at| at.max(now))
}

/// True when two windows overlap or touch (one ends where the other begins): joining them grants
/// no moment that neither granted.
fn joins(a: &Span, b: &Span, now: DateTime<Utc>) -> bool {
    begins(a, now) <= b.1 && begins(b, now) <= a.1
}

/// The one window covering two that join.
fn union(a: &Span, b: &Span, now: DateTime<Utc>) -> Span {
    let start = begins(a, now).min(begins(b, now));
    (Some(start).filter(|s| *s > now), a.1.max(b.1))
}

/// How long a window grants access, from now (or its start, if later) to its end.
pub fn remaining(start: Option<DateTime<Utc>>, end: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    end - start.map_or(now, |s| s.max(now))
}

/// Refuses a window the grant would write that is longer than the role's maximum (issue 17
/// item 1): the maximum holds on what is written, not only on what was asked.
fn check_maximum(
    resource: &str,
    role: &str,
    member: &str,
    wanted: &Span,
    joined: bool,
    maximum: &Maximum,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let Some((max, source)) = maximum.of(role) else { return Ok(()) };
    let long = remaining(wanted.0, wanted.1, now);
    if long <= *max {
        return Ok(());
    }
    let how = if joined { ", joined with the grant already there" } else { "" };
    Err(Error::usage_hint(
        format!(
            "`{member}` would hold `{role}` on `{resource}` for {} (until {}{how}), over the maximum of {}",
            crate::timespec::words(long),
            condition::format_timestamp(wanted.1),
            crate::timespec::words(*max)
        ),
        format!("set by {source}; ask for an end at most {} from now", crate::timespec::words(*max)),
    ))
}

/// Removes jit's own bindings of `roles` that have ended (access-neutral: they grant nothing now
/// or later). Only the roles the grant writes: Google counts a role as modified by a
/// `setIamPolicy` when any of its bindings changes, and a delegate (`jit delegate`) may change only
/// the roles delegated to it, so pruning another role would make Google refuse the delegate's
/// grant (<https://cloud.google.com/iam/docs/conditions-attribute-reference#api-attributes>).
fn prune_expired_jit(
    resource: &str,
    policy: &mut Policy,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Vec<TimedBinding> {
    let mut pruned = Vec::new();
    policy.bindings.retain(|b| match time_bound(b) {
        Some((c, w)) if is_jit(b) && w.ended_by(now) && roles.iter().any(|r| r.as_str() == b.role) => {
            pruned.extend(b.members.iter().map(|m| TimedBinding::new(resource, b, c, &w, m, now)));
            false
        }
        _ => true,
    });
    pruned
}

/// Google's documented limits, checked before a write instead of sending a doomed one
/// (design §4.6).
pub fn check_limits(
    resource: &str,
    before: &Policy,
    after: &Policy,
    touched: &[(&str, &str)],
) -> Result<(), Error> {
    let count = after.principal_count();
    if count > MAX_PRINCIPALS && count > before.principal_count() {
        return Err(Error::policy_hint(
            format!(
                "the policy of `{resource}` would hold {count} principals, over Google's limit of {MAX_PRINCIPALS}"
            ),
            "run `jit cleanup` to remove expired bindings, or grant to a group instead of individuals",
        ));
    }
    for (role, member) in touched {
        let n = after
            .bindings
            .iter()
            .filter(|b| b.role == *role && b.members.iter().any(|m| same_member(m, member)))
            .count();
        if n > MAX_BINDINGS_PER_ROLE_AND_MEMBER {
            return Err(Error::policy_hint(
                format!(
                    "`{member}` would be in {n} bindings of `{role}` on `{resource}`, over Google's limit of \
                     {MAX_BINDINGS_PER_ROLE_AND_MEMBER}"
                ),
                "each window that neither overlaps nor touches another needs a binding of its own; run `jit cleanup` \
                 to remove expired bindings first, or ask for a window that joins one already there",
            ));
        }
    }
    Ok(())
}

/// Whose access `jit revoke` ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Members {
    All,
    Only(Vec<Principal>),
}

/// Ends time-bound access early (design §2 revoke): removes the named members (or whole bindings) of
/// every time-bound binding of the roles. Never touches a binding without a time bound, nor one
/// Privileged Access Manager owns (revoke it in PAM).
pub fn revoke(
    resource: &str,
    policy: &Policy,
    roles: &[Role],
    members: &Members,
    now: DateTime<Utc>,
) -> Result<(Policy, Vec<TimedBinding>), Error> {
    ensure_editable(policy)?;
    let mut removed = Vec::new();
    let mut out = policy.clone();
    out.bindings.retain_mut(|b| {
        if !roles.iter().any(|r| r.as_str() == b.role) || managed_elsewhere(b) {
            return true;
        }
        let Some((c, w)) = time_bound(b) else { return true };
        let gone: Vec<String> = match members {
            Members::All => b.members.clone(),
            Members::Only(ms) => {
                b.members.iter().filter(|m| ms.iter().any(|p| same_member(p.as_str(), m))).cloned().collect()
            }
        };
        if gone.is_empty() {
            return true;
        }
        let c = c.clone();
        removed.extend(gone.iter().map(|m| TimedBinding::new(resource, b, &c, &w, m, now)));
        b.members.retain(|m| !gone.contains(m));
        !b.members.is_empty()
    });
    if !removed.is_empty() {
        out.version = Some(3);
    }
    sort(&mut removed);
    Ok((out, removed))
}

/// What still grants a role to a member after `revoke` took its time-bound grants away (issue 17
/// item 6): a binding of the role in `after` without a condition, or under a condition with no
/// time bound (JIT Access's eligibility markers, `has({}.…Constraint)`, grant nothing and are not
/// counted; design §3). One line per (role, member) that still holds the role, for a warning:
/// the revoke did what it said, and the member's access did not end.
pub fn still_held(resource: &str, after: &Policy, removed: &[TimedBinding]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for r in removed {
        if !seen.insert((r.role.clone(), member_key(&r.member).into_owned())) {
            continue;
        }
        let standing = after
            .bindings
            .iter()
            .filter(|b| b.role == r.role && b.members.iter().any(|m| same_member(m, &r.member)));
        let mut how: Vec<String> = Vec::new();
        for b in standing {
            match &b.condition {
                None => how.push("without a condition".to_string()),
                Some(c) if c.expression.trim_start().starts_with("has({}.") => {}
                Some(c) if condition::window(&c.expression).map_or(true, |w| w.upper.is_none()) => {
                    how.push(format!("under the condition `{}`, which has no time bound", c.title()));
                }
                Some(_) => {}
            }
        }
        how.dedup();
        if !how.is_empty() {
            out.push(format!(
                "`{}` still holds `{}` on `{resource}` {}: the revoke removed only its time-bound grant",
                r.member,
                r.role,
                how.join(" and ")
            ));
        }
    }
    out
}

/// Removes every binding that can never grant access again: upper bound ≤ now − grace
/// (design §4.5). With `only_jit`, only jit's own. Privileged Access Manager's are left to PAM,
/// which removes them itself.
pub fn cleanup(
    resource: &str,
    policy: &Policy,
    now: DateTime<Utc>,
    grace: Duration,
    only_jit: bool,
) -> Result<(Policy, Vec<TimedBinding>), Error> {
    ensure_editable(policy)?;
    let cutoff = crate::timespec::cutoff(now, grace)?;
    let mut removed = Vec::new();
    let mut out = policy.clone();
    out.bindings.retain(|b| match time_bound(b) {
        Some((c, w)) if w.ended_by(cutoff) && (!only_jit || is_jit(b)) && !managed_elsewhere(b) => {
            removed.extend(b.members.iter().map(|m| TimedBinding::new(resource, b, c, &w, m, now)));
            false
        }
        _ => true,
    });
    if !removed.is_empty() {
        out.version = Some(3);
    }
    sort(&mut removed);
    Ok((out, removed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn t(s: &str) -> DateTime<Utc> {
        condition::parse_timestamp(s).unwrap()
    }

    fn now() -> DateTime<Utc> {
        t("2026-11-25T12:00:00Z")
    }

    fn policy(json: &str) -> Policy {
        Policy::from_json(json).unwrap()
    }

    fn req(roles: &[&str], members: &[&str], end: &str) -> GrantRequest {
        GrantRequest {
            roles: roles.iter().map(|r| Role::from_str(r).unwrap()).collect(),
            members: members.iter().map(|m| Principal::from_str(m).unwrap()).collect(),
            start: None,
            end: t(end),
            replace: false,
            note: GrantNote {
                granted_by: Some("user:alice@example.com".into()),
                granted_at: Some(now()),
                reason: Some("INC-1".into()),
            },
            maximum: Maximum::default(),
        }
    }

    const BASE: &str = r#"{
      "version": 1,
      "etag": "BwXyz=",
      "bindings": [
        {"role": "roles/viewer", "members": ["user:carol@example.com", "group:sre@example.com"]},
        {"role": "roles/storage.admin", "members": ["user:dave@example.com"]}
      ],
      "auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "ADMIN_READ"}]}]
    }"#;

    #[test]
    fn grant_many_roles_and_members_in_one_binding_per_role() {
        let p = policy(BASE);
        let r = req(
            &["roles/storage.objectViewer", "roles/logging.viewer"],
            &["bob@example.com", "group:oncall@example.com"],
            "2026-11-25T14:00:00Z",
        );
        let (out, report) = grant("projects/p", &p, &r, now()).unwrap();
        assert_eq!(report.granted.len(), 4);
        assert!(report.changed());
        assert_eq!(out.bindings.len(), 4);
        assert_eq!(out.bindings[..2], p.bindings[..], "untouched bindings stay exactly as read");
        assert_eq!(out.extra, p.extra, "auditConfigs unchanged");
        assert_eq!(out.etag, p.etag, "the etag that was read goes back");
        assert_eq!(out.version, Some(3));
        let b = &out.bindings[2];
        assert_eq!(b.role, "roles/storage.objectViewer");
        assert_eq!(b.members, ["user:bob@example.com", "group:oncall@example.com"]);
        assert_eq!(
            b.condition.as_ref().unwrap().expression,
            r#"request.time < timestamp("2026-11-25T14:00:00Z")"#
        );
        let row = &report.granted[0];
        assert_eq!(
            (row.state, row.source, row.expires),
            (State::Active, Source::Jit, Some(t("2026-11-25T14:00:00Z")))
        );
        assert_eq!(row.granted_by.as_deref(), Some("user:alice@example.com"));
        assert_eq!(row.reason.as_deref(), Some("INC-1"));
    }

    #[test]
    fn extend_never_shorten_and_replace() {
        let p = policy(BASE);
        let (p1, _) = grant(
            "projects/p",
            &p,
            &req(&["roles/storage.objectViewer"], &["bob@example.com"], "2026-11-25T16:00:00Z"),
            now(),
        )
        .unwrap();
        // Shorter: unchanged.
        let (p2, rep) = grant(
            "projects/p",
            &p1,
            &req(&["roles/storage.objectViewer"], &["bob@example.com"], "2026-11-25T14:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!(p2, p1);
        assert_eq!(rep.unchanged.len(), 1);
        assert!(!rep.changed());
        // Longer: extended, still one binding.
        let (p3, rep) = grant(
            "projects/p",
            &p1,
            &req(&["roles/storage.objectViewer"], &["bob@example.com"], "2026-11-25T18:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!(rep.extended.len(), 1);
        assert_eq!(rep.extended[0].expires, Some(t("2026-11-25T18:00:00Z")));
        assert_eq!(p3.bindings.iter().filter(|b| b.role == "roles/storage.objectViewer").count(), 1);
        // Replace: shortened exactly.
        let mut r = req(&["roles/storage.objectViewer"], &["bob@example.com"], "2026-11-25T13:00:00Z");
        r.replace = true;
        let (p4, rep) = grant("projects/p", &p3, &r, now()).unwrap();
        assert!(rep.extended.is_empty(), "{rep:?}");
        assert_eq!(rep.shortened[0].expires, Some(t("2026-11-25T13:00:00Z")));
        assert_eq!(timed_bindings("projects/p", &p4, now()).unwrap().len(), 1);
    }

    #[test]
    fn extending_one_member_of_a_shared_binding_moves_only_that_member() {
        let p = policy(BASE);
        let (p1, _) = grant(
            "projects/p",
            &p,
            &req(
                &["roles/storage.objectViewer"],
                &["bob@example.com", "erin@example.com"],
                "2026-11-25T14:00:00Z",
            ),
            now(),
        )
        .unwrap();
        let (p2, rep) = grant(
            "projects/p",
            &p1,
            &req(&["roles/storage.objectViewer"], &["bob@example.com"], "2026-11-25T15:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!(rep.extended.len(), 1);
        let rows = timed_bindings("projects/p", &p2, now()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].member.as_str(), rows[0].expires),
            ("user:erin@example.com", Some(t("2026-11-25T14:00:00Z")))
        );
        assert_eq!(
            (rows[1].member.as_str(), rows[1].expires),
            ("user:bob@example.com", Some(t("2026-11-25T15:00:00Z")))
        );
    }

    /// The windows of `member`'s jit grants of `role`, as (start, end), sorted.
    type Times = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

    fn windows(p: &Policy, role: &str, member: &str) -> Vec<Times> {
        let mut w: Vec<_> = timed_bindings("projects/p", p, now())
            .unwrap()
            .into_iter()
            .filter(|r| r.role == role && r.member == member)
            .map(|r| (r.starts, r.expires))
            .collect();
        w.sort();
        w
    }

    fn scheduled(role: &str, member: &str, start: &str, end: &str) -> GrantRequest {
        let mut r = req(&[role], &[member], end);
        r.start = Some(t(start));
        r
    }

    #[test]
    fn scheduled_grants_join_only_what_they_touch() {
        let ov = "roles/storage.objectViewer";
        let bob = "user:bob@example.com";
        let p = policy(BASE);
        let (p1, rep) = grant(
            "projects/p",
            &p,
            &scheduled(ov, bob, "2026-11-25T18:00:00Z", "2026-11-25T20:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!(rep.granted[0].state, State::Scheduled);
        assert_eq!(rep.granted[0].starts, Some(t("2026-11-25T18:00:00Z")));
        // An immediate grant across the gap gets a binding of its own; the scheduled one stays.
        let (p2, rep) = grant("projects/p", &p1, &req(&[ov], &[bob], "2026-11-25T13:00:00Z"), now()).unwrap();
        assert_eq!((rep.granted.len(), rep.extended.len()), (1, 0), "{rep:?}");
        assert_eq!(
            windows(&p2, ov, bob),
            [
                (None, Some(t("2026-11-25T13:00:00Z"))),
                (Some(t("2026-11-25T18:00:00Z")), Some(t("2026-11-25T20:00:00Z")))
            ]
        );
        // One that overlaps the scheduled one joins it, and it stays scheduled.
        let (p3, rep) = grant(
            "projects/p",
            &p2,
            &scheduled(ov, bob, "2026-11-25T17:00:00Z", "2026-11-25T19:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!((rep.granted.len(), rep.extended.len()), (0, 1), "{rep:?}");
        assert_eq!(rep.extended[0].state, State::Scheduled);
        assert_eq!(
            windows(&p3, ov, bob),
            [
                (None, Some(t("2026-11-25T13:00:00Z"))),
                (Some(t("2026-11-25T17:00:00Z")), Some(t("2026-11-25T20:00:00Z")))
            ]
        );
        // One that touches the live one (starts where it ends) joins it; the scheduled one stays.
        let (p4, rep) = grant(
            "projects/p",
            &p3,
            &scheduled(ov, bob, "2026-11-25T13:00:00Z", "2026-11-25T15:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!((rep.granted.len(), rep.extended.len()), (0, 1), "{rep:?}");
        assert_eq!(
            windows(&p4, ov, bob),
            [
                (None, Some(t("2026-11-25T15:00:00Z"))),
                (Some(t("2026-11-25T17:00:00Z")), Some(t("2026-11-25T20:00:00Z")))
            ]
        );
        // One that bridges both joins all three, and covers no moment nobody asked for.
        let (p5, rep) = grant(
            "projects/p",
            &p4,
            &scheduled(ov, bob, "2026-11-25T14:00:00Z", "2026-11-25T17:30:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!(rep.extended.len(), 1, "{rep:?}");
        assert_eq!(windows(&p5, ov, bob), [(None, Some(t("2026-11-25T20:00:00Z")))]);
        // Within a window: unchanged. --replace sets only the windows it touches.
        let (same, rep) =
            grant("projects/p", &p4, &req(&[ov], &[bob], "2026-11-25T14:00:00Z"), now()).unwrap();
        assert_eq!((same, rep.unchanged.len(), rep.changed()), (p4.clone(), 1, false));
        let mut r = req(&[ov], &[bob], "2026-11-25T12:30:00Z");
        r.replace = true;
        let (p6, _) = grant("projects/p", &p4, &r, now()).unwrap();
        assert_eq!(
            windows(&p6, ov, bob),
            [
                (None, Some(t("2026-11-25T12:30:00Z"))),
                (Some(t("2026-11-25T17:00:00Z")), Some(t("2026-11-25T20:00:00Z")))
            ]
        );
    }

    /// Issue 17 item 1: a live grant and a scheduled one far ahead, and one more hour asked: the
    /// hour, not the whole gap (it was one binding to the scheduled one's end, past every maximum).
    #[test]
    fn one_more_hour_is_one_more_hour() {
        let ov = "roles/storage.objectViewer";
        let bob = "user:bob@example.com";
        let (p1, _) =
            grant("projects/p", &policy(BASE), &req(&[ov], &[bob], "2026-11-25T13:00:00Z"), now()).unwrap();
        let (p2, _) = grant(
            "projects/p",
            &p1,
            &scheduled(ov, bob, "2029-12-01T00:00:00Z", "2029-12-01T08:00:00Z"),
            now(),
        )
        .unwrap();
        let mut r = req(&[ov], &[bob], "2026-11-25T14:00:00Z");
        r.maximum.all = Some((Duration::hours(12), "jit's default maximum".into()));
        let (p3, rep) = grant("projects/p", &p2, &r, now()).unwrap();
        assert_eq!(rep.extended.len(), 1);
        assert_eq!(
            windows(&p3, ov, bob),
            [
                (None, Some(t("2026-11-25T14:00:00Z"))),
                (Some(t("2029-12-01T00:00:00Z")), Some(t("2029-12-01T08:00:00Z")))
            ]
        );
    }

    /// Every maximum holds on the window written, not only on the one asked for.
    #[test]
    fn the_maximum_holds_on_the_joined_window() {
        let ov = "roles/storage.objectViewer";
        let bob = "user:bob@example.com";
        // Granted at 06:00 for 12h: live until 18:00.
        let (p1, _) = grant(
            "projects/p",
            &policy(BASE),
            &req(&[ov], &[bob], "2026-11-25T18:00:00Z"),
            t("2026-11-25T06:00:00Z"),
        )
        .unwrap();
        let twelve = Some((Duration::hours(12), "jit's default maximum".to_string()));
        // 12h asked from where it ends: 18h from now once joined.
        let mut r = scheduled(ov, bob, "2026-11-25T18:00:00Z", "2026-11-26T06:00:00Z");
        r.maximum.all.clone_from(&twelve);
        let e = grant("projects/p", &p1, &r, now()).unwrap_err();
        assert_eq!(
            (e.to_string(), e.exit_code()),
            (
                "`user:bob@example.com` would hold `roles/storage.objectViewer` on `projects/p` for 18h (until \
                 2026-11-26T06:00:00Z, joined with the grant already there), over the maximum of 12h"
                    .to_string(),
                2
            )
        );
        assert_eq!(e.hint().unwrap(), "set by jit's default maximum; ask for an end at most 12h from now");
        // Up to 12h from now is fine.
        r.end = t("2026-11-26T00:00:00Z");
        let (p2, _) = grant("projects/p", &p1, &r, now()).unwrap();
        assert_eq!(windows(&p2, ov, bob), [(None, Some(t("2026-11-26T00:00:00Z")))]);
        // The team's per-role maximum, on a 1h request that joins a live 1h grant.
        let mut r = scheduled(ov, bob, "2026-11-25T13:00:00Z", "2026-11-25T14:00:00Z");
        r.maximum.all.clone_from(&twelve);
        r.maximum.roles.insert(ov.into(), (Duration::minutes(90), "`roles.\"x\".max_duration`".into()));
        let (p3, _) =
            grant("projects/p", &policy(BASE), &req(&[ov], &[bob], "2026-11-25T13:00:00Z"), now()).unwrap();
        let e = grant("projects/p", &p3, &r, now()).unwrap_err();
        assert!(e.to_string().ends_with("for 2h (until 2026-11-25T14:00:00Z, joined with the grant already there), over the maximum of 1h 30m"), "{e}");
        assert!(e.hint().unwrap().starts_with("set by `roles.\"x\".max_duration`"), "{:?}", e.hint());
        // The same 1h on its own, across a gap, is within it.
        r.start = Some(t("2026-11-25T13:30:00Z"));
        r.end = t("2026-11-25T14:30:00Z");
        assert!(grant("projects/p", &p3, &r, now()).is_ok());
    }

    /// Windows apart each need a binding: Google's 20 per role and principal is checked on the
    /// result before anything is written.
    #[test]
    fn separate_windows_count_toward_googles_twenty() {
        let ov = "roles/storage.objectViewer";
        let bob = "user:bob@example.com";
        let mut p = policy(BASE);
        for day in 1..=19 {
            let start = format!("2026-12-{day:02}T00:00:00Z");
            let end = format!("2026-12-{day:02}T01:00:00Z");
            p = grant("projects/p", &p, &scheduled(ov, bob, &start, &end), now()).unwrap().0;
        }
        let (p20, rep) = grant("projects/p", &p, &req(&[ov], &[bob], "2026-11-25T13:00:00Z"), now()).unwrap();
        assert_eq!(rep.granted.len(), 1);
        assert_eq!(windows(&p20, ov, bob).len(), 20);
        let e = grant(
            "projects/p",
            &p20,
            &scheduled(ov, bob, "2026-12-25T00:00:00Z", "2026-12-25T01:00:00Z"),
            now(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`user:bob@example.com` would be in 21 bindings of `roles/storage.objectViewer` on `projects/p`, over \
             Google's limit of 20"
        );
        assert_eq!(e.exit_code(), 2);
        // A window that joins one already there needs no new binding.
        assert!(grant("projects/p", &p20, &req(&[ov], &[bob], "2026-11-25T13:30:00Z"), now()).is_ok());
    }

    #[test]
    fn prunes_expired_jit_bindings_only_and_warns_on_unconditional() {
        let p = policy(
            r#"{"bindings": [
            {"role": "roles/storage.admin", "members": ["user:bob@example.com"]},
            {"role": "roles/a.b", "members": ["user:x@example.com"],
             "condition": {"expression": "request.time < timestamp('2026-11-25T11:00:00Z')", "title": "jit until 2026-11-25T11:00:00Z"}},
            {"role": "roles/a.b", "members": ["user:y@example.com"],
             "condition": {"expression": "request.time < timestamp('2026-11-25T11:00:00Z')", "title": "granted by y"}}
        ]}"#,
        );
        let (out, rep) = grant(
            "projects/p",
            &p,
            &req(&["roles/storage.admin", "roles/a.b"], &["bob@example.com"], "2026-11-25T14:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!(rep.pruned.len(), 1);
        assert_eq!(rep.pruned[0].member, "user:x@example.com");
        assert_eq!(rep.warnings.len(), 1);
        assert!(rep.warnings[0].contains("without a condition"));
        assert!(
            out.bindings.iter().any(|b| b.members == ["user:y@example.com"]),
            "other tools' expired bindings stay"
        );
        assert_eq!(out.bindings[0], p.bindings[0]);
    }

    #[test]
    fn the_same_fractional_request_twice_is_unchanged() {
        // Issue 8 defect 12: the end is written in whole seconds, so the request must be compared
        // in whole seconds too, or the second run "extends" to identical text.
        let mut r = req(&["roles/a.b"], &["bob@example.com"], "2026-11-25T14:00:00.750Z");
        let (once, first) = grant("projects/p", &policy(BASE), &r, now()).unwrap();
        assert_eq!(first.granted.len(), 1);
        let (twice, second) = grant("projects/p", &once, &r, now()).unwrap();
        assert_eq!((second.unchanged.len(), second.changed()), (1, false), "{second:?}");
        assert_eq!(twice, once);
        r.start = Some(t("2026-11-25T13:00:00.250Z"));
        let (once, _) = grant("projects/p", &policy(BASE), &r, now()).unwrap();
        let (_, second) = grant("projects/p", &once, &r, now()).unwrap();
        assert_eq!((second.unchanged.len(), second.changed()), (1, false), "{second:?}");
    }

    #[test]
    fn a_retry_after_a_lost_answer_reports_what_landed() {
        let r = req(&["roles/a.b"], &["bob@example.com"], "2026-11-25T14:00:00.750Z");
        let (written, first) = grant("projects/p", &policy(BASE), &r, now()).unwrap();
        let (_, retry) = grant("projects/p", &written, &r, now()).unwrap();
        assert!(retry.shows_landed(&first), "{retry:?}");
        assert!(!first.shows_landed(&first), "a report that still writes shows nothing landed");
        let other = req(&["roles/a.b"], &["erin@example.com"], "2026-11-25T14:00:00Z");
        let (_, unrelated) = grant("projects/p", &written, &other, now()).unwrap();
        assert!(!unrelated.shows_landed(&first));
        let (_, nothing) = grant("projects/p", &written, &r, now()).unwrap();
        assert!(!nothing.shows_landed(&GrantReport::default()), "nothing asked, nothing landed");
    }

    #[test]
    fn members_match_in_googles_case() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/a.b","members":["user:Jane.Doe@example.com"],
               "condition":{"expression":"request.time < timestamp(\"2026-11-25T13:00:00Z\")","title":"jit until 2026-11-25T13:00:00Z"}}]}"#,
        );
        let (out, rep) = grant(
            "projects/p",
            &p,
            &req(&["roles/a.b"], &["jane.doe@example.com"], "2026-11-25T14:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!((rep.granted.len(), rep.extended.len()), (0, 1), "{rep:?}");
        assert_eq!(out.bindings.len(), 1, "extended, not a second live binding");
        assert_eq!(out.bindings[0].members, ["user:Jane.Doe@example.com"], "Google's spelling kept");
        let (_, rep) = grant(
            "projects/p",
            &p,
            &req(&["roles/a.b"], &["JANE.doe@example.com"], "2026-11-25T13:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!(rep.unchanged.len(), 1);
        let (out, removed) = revoke(
            "projects/p",
            &p,
            &[Role::from_str("roles/a.b").unwrap()],
            &Members::Only(vec![Principal::from_str("jane.doe@example.com").unwrap()]),
            now(),
        )
        .unwrap();
        assert_eq!(
            removed.iter().map(|r| r.member.as_str()).collect::<Vec<_>>(),
            ["user:Jane.Doe@example.com"]
        );
        assert!(out.bindings.is_empty());
    }

    #[test]
    fn merges_into_identical_binding() {
        let p = policy(BASE);
        let r = req(&["roles/storage.objectViewer"], &["bob@example.com"], "2026-11-25T14:00:00Z");
        let (p1, _) = grant("projects/p", &p, &r, now()).unwrap();
        let r2 = req(&["roles/storage.objectViewer"], &["erin@example.com"], "2026-11-25T14:00:00Z");
        let (p2, _) = grant("projects/p", &p1, &r2, now()).unwrap();
        let b: Vec<&Binding> =
            p2.bindings.iter().filter(|b| b.role == "roles/storage.objectViewer").collect();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].members, ["user:bob@example.com", "user:erin@example.com"]);
    }

    #[test]
    fn limits() {
        let members: Vec<String> = (0..1500).map(|i| format!("\"user:u{i}@example.com\"")).collect();
        let p = policy(&format!(
            r#"{{"bindings":[{{"role":"roles/viewer","members":[{}]}}]}}"#,
            members.join(",")
        ));
        let e = grant(
            "projects/p",
            &p,
            &req(&["roles/logging.viewer"], &["bob@example.com"], "2026-11-25T14:00:00Z"),
            now(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the policy of `projects/p` would hold 1501 principals, over Google's limit of 1500"
        );

        // Issue 8 defect 9: principals exempted from audit logging count too.
        let members: Vec<String> = (0..1499).map(|i| format!("\"user:u{i}@example.com\"")).collect();
        let p = policy(&format!(
            r#"{{"bindings":[{{"role":"roles/viewer","members":[{}]}}],
                "auditConfigs":[{{"service":"allServices","auditLogConfigs":[{{"logType":"DATA_READ","exemptedMembers":["user:u1@example.com"]}}]}}]}}"#,
            members.join(",")
        ));
        let e = grant(
            "projects/p",
            &p,
            &req(&["roles/logging.viewer"], &["bob@example.com"], "2026-11-25T14:00:00Z"),
            now(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the policy of `projects/p` would hold 1501 principals, over Google's limit of 1500"
        );

        let bindings: Vec<String> = (0..20)
            .map(|i| format!(r#"{{"role":"roles/logging.viewer","members":["user:bob@example.com"],"condition":{{"expression":"request.time < timestamp('2027-01-01T00:00:00Z') && {i} == {i}","title":"t{i}"}}}}"#))
            .collect();
        let p = policy(&format!(r#"{{"bindings":[{}]}}"#, bindings.join(",")));
        let e = grant(
            "projects/p",
            &p,
            &req(&["roles/logging.viewer"], &["bob@example.com"], "2026-11-25T14:00:00Z"),
            now(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("over Google's limit of 20"), "{e}");
    }

    #[test]
    fn withcond_policies_are_refused_by_every_command() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/a.b_withcond_0123456789abcdef0123","members":["user:x@example.com"]}]}"#,
        );
        let want = "the policy is a version-1 view of conditional bindings (role \
                    `roles/a.b_withcond_0123456789abcdef0123`)";
        let r = req(&["roles/a.b"], &["bob@example.com"], "2026-11-25T14:00:00Z");
        let errors = [
            grant("projects/p", &p, &r, now()).map(|_| ()).unwrap_err(),
            revoke("projects/p", &p, &[Role::from_str("roles/a.b").unwrap()], &Members::All, now())
                .map(|_| ())
                .unwrap_err(),
            cleanup("projects/p", &p, now(), Duration::zero(), false).map(|_| ()).unwrap_err(),
            // Issue 8 defect 8: list said there was nothing.
            timed_bindings("projects/p", &p, now()).map(|_| ()).unwrap_err(),
        ];
        for e in errors {
            assert_eq!((e.to_string(), e.exit_code()), (want.to_string(), 2));
        }
    }

    const MIXED: &str = r#"{"bindings": [
        {"role": "roles/a.b", "members": ["user:x@example.com", "user:y@example.com"],
         "condition": {"expression": "request.time < timestamp('2026-11-25T14:00:00Z')", "title": "jit until 2026-11-25T14:00:00Z"}},
        {"role": "roles/a.b", "members": ["user:x@example.com"]},
        {"role": "roles/a.b", "members": ["user:x@example.com"],
         "condition": {"expression": "has({}.jitAccessConstraint)", "title": "Eligible for JIT access"}},
        {"role": "roles/a.b", "members": ["user:z@example.com"],
         "condition": {"expression": "request.time < timestamp('2026-11-25T10:00:00Z')", "title": "granted by z", "description": "created by Gimme"}},
        {"role": "roles/c.d", "members": ["user:x@example.com"],
         "condition": {"expression": "request.time < timestamp('2026-11-25T11:59:00Z')", "title": "jit until 2026-11-25T11:59:00Z"}}
    ]}"#;

    #[test]
    fn revoke_members_or_whole_bindings_never_untimed() {
        let p = policy(MIXED);
        let ab = [Role::from_str("roles/a.b").unwrap()];
        let (out, removed) = revoke(
            "projects/p",
            &p,
            &ab,
            &Members::Only(vec![Principal::from_str("user:x@example.com").unwrap()]),
            now(),
        )
        .unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(out.bindings[0].members, ["user:y@example.com"]);
        assert_eq!(out.bindings[1..], p.bindings[1..], "the unconditional and the eligibility binding stay");
        let (out, removed) = revoke("projects/p", &p, &ab, &Members::All, now()).unwrap();
        assert_eq!(removed.len(), 3);
        assert_eq!(out.bindings.len(), 3);
        assert!(out.bindings.iter().all(|b| b.condition.is_none()
            || b.role == "roles/c.d"
            || b.condition.as_ref().unwrap().expression.starts_with("has(")));
        let (same, removed) =
            revoke("projects/p", &p, &[Role::from_str("roles/e.f").unwrap()], &Members::All, now()).unwrap();
        assert!(removed.is_empty());
        assert_eq!(same, p);
    }

    /// Issue 17 item 6: a revoke that leaves the member holding the role says so.
    #[test]
    fn revoke_says_what_still_stands() {
        let p = policy(MIXED);
        let ab = [Role::from_str("roles/a.b").unwrap()];
        let x = Members::Only(vec![Principal::from_str("user:x@example.com").unwrap()]);
        let (out, removed) = revoke("projects/p", &p, &ab, &x, now()).unwrap();
        assert_eq!(
            still_held("projects/p", &out, &removed),
            [
                "`user:x@example.com` still holds `roles/a.b` on `projects/p` without a condition: the revoke removed \
              only its time-bound grant"
            ]
        );
        // JIT Access's eligibility marker grants nothing; y holds nothing else.
        let y = Members::Only(vec![Principal::from_str("user:y@example.com").unwrap()]);
        let (out, removed) = revoke("projects/p", &p, &ab, &y, now()).unwrap();
        assert_eq!(removed.len(), 1);
        assert!(still_held("projects/p", &out, &removed).is_empty());
        // A condition with no time bound still grants.
        let p = policy(
            r#"{"bindings": [
            {"role": "roles/a.b", "members": ["user:y@example.com"],
             "condition": {"expression": "request.time < timestamp('2026-11-25T14:00:00Z')", "title": "jit until 2026-11-25T14:00:00Z"}},
            {"role": "roles/a.b", "members": ["user:Y@example.com"],
             "condition": {"expression": "resource.name.startsWith('projects/_/buckets/b')", "title": "bucket b"}}]}"#,
        );
        let (out, removed) = revoke("projects/p", &p, &ab, &y, now()).unwrap();
        assert_eq!(
            still_held("projects/p", &out, &removed),
            [
                "`user:y@example.com` still holds `roles/a.b` on `projects/p` under the condition `bucket b`, which has \
              no time bound: the revoke removed only its time-bound grant"
            ]
        );
    }

    #[test]
    fn cleanup_grace_and_only_jit() {
        let p = policy(MIXED);
        let (out, removed) = cleanup("projects/p", &p, now(), Duration::zero(), false).unwrap();
        assert_eq!(
            removed.iter().map(|r| r.member.as_str()).collect::<Vec<_>>(),
            ["user:z@example.com", "user:x@example.com"]
        );
        assert_eq!(out.bindings.len(), 3);
        let (_, removed) = cleanup("projects/p", &p, now(), Duration::zero(), true).unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].source, Source::Jit);
        let (_, removed) = cleanup("projects/p", &p, now(), Duration::minutes(30), false).unwrap();
        assert_eq!(removed.len(), 1, "only what ended over 30 minutes ago");
        let (same, removed) = cleanup("projects/p", &policy(BASE), now(), Duration::zero(), false).unwrap();
        assert!(removed.is_empty());
        assert_eq!(same, policy(BASE));
    }

    #[test]
    fn list_rows_are_sorted_by_expiry() {
        let rows = timed_bindings("projects/p", &policy(MIXED), now()).unwrap();
        let got: Vec<(&str, State, Source)> =
            rows.iter().map(|r| (r.member.as_str(), r.state, r.source)).collect();
        assert_eq!(
            got,
            [
                ("user:z@example.com", State::Expired, Source::Gimme),
                ("user:x@example.com", State::Expired, Source::Jit),
                ("user:x@example.com", State::Active, Source::Jit),
                ("user:y@example.com", State::Active, Source::Jit),
            ]
        );
    }

    /// Privileged Access Manager's bindings: one active, one ended (PAM removes its own).
    const PAM: &str = r#"{"version": 3, "etag": "BwX=", "bindings": [
        {"role": "roles/logging.viewer", "members": ["user:bob@example.com"],
         "condition": {"expression": "request.time < timestamp(\"2026-11-25T14:00:00Z\")", "title": "Created by: PAM"}},
        {"role": "roles/storage.admin", "members": ["user:bob@example.com"],
         "condition": {"expression": "request.time < timestamp(\"2026-11-25T11:00:00Z\")", "title": "Created by: PAM"}}
    ]}"#;

    #[test]
    fn pam_bindings_are_listed_as_pam_and_never_changed() {
        let p = policy(PAM);
        let rows = timed_bindings("projects/p", &p, now()).unwrap();
        assert_eq!(rows.iter().map(|r| r.source).collect::<Vec<_>>(), [Source::Pam, Source::Pam]);
        let bob = Members::Only(vec![Principal::from_str("user:bob@example.com").unwrap()]);
        for role in ["roles/logging.viewer", "roles/storage.admin"] {
            for members in [&bob, &Members::All] {
                let (out, removed) =
                    revoke("projects/p", &p, &[Role::from_str(role).unwrap()], members, now()).unwrap();
                assert_eq!((out, removed), (p.clone(), vec![]), "revoke {role}");
            }
        }
        let (out, removed) = cleanup("projects/p", &p, now(), Duration::zero(), false).unwrap();
        assert_eq!((out, removed), (p.clone(), vec![]), "cleanup leaves PAM's ended binding to PAM");
        // A grant of the same role adds jit's own binding beside PAM's, which stays as it was.
        let (out, report) = grant(
            "projects/p",
            &p,
            &req(&["roles/logging.viewer"], &["user:bob@example.com"], "2026-11-25T16:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!(out.bindings[..2], p.bindings[..], "PAM's bindings are untouched");
        assert_eq!(out.bindings.len(), 3);
        assert_eq!((report.granted.len(), report.extended.len(), report.pruned.len()), (1, 0, 0));
    }

    /// A grant of the role a delegation is held under (`jit delegate`) adds its own binding and
    /// leaves the delegation as it was: merging them would drop the delegation's limit on which
    /// roles the member may grant, and its own end.
    #[test]
    fn a_grant_never_merges_into_a_delegation() {
        let delegation = r#"{"role": "roles/resourcemanager.projectIamAdmin", "members": ["user:dana@example.com"],
            "condition": {"title": "jit delegation", "description": "Granted by user:alice@example.com at 2026-11-25T10:00:00Z via jit.",
            "expression": "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.viewer']) && request.time < timestamp(\"2026-12-25T10:00:00Z\")"}}"#;
        let before = policy(&format!(r#"{{"version": 3, "etag": "BwX=", "bindings": [{delegation}]}}"#));
        let (after, report) = grant(
            "projects/p",
            &before,
            &req(
                &["roles/resourcemanager.projectIamAdmin"],
                &["user:dana@example.com"],
                "2026-11-25T14:00:00Z",
            ),
            now(),
        )
        .unwrap();
        assert_eq!(report.granted.len(), 1, "a binding of its own: {report:?}");
        assert!(report.extended.is_empty());
        assert_eq!(after.bindings.len(), 2);
        assert_eq!(after.bindings[0], before.bindings[0], "the delegation, exactly as it was");
        assert_eq!(
            after.bindings[1].condition.as_ref().unwrap().expression,
            "request.time < timestamp(\"2026-11-25T14:00:00Z\")"
        );
    }
}
