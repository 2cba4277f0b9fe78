//! Delegated role granting (issue 11 item 2), pure: the binding `jit delegate` writes, the rows of
//! `jit list --delegations`, and the edit of `jit revoke --delegation`.
//!
//! A delegate holds the role that may set the resource's allow policy under the condition Google
//! documents, `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([...])`,
//! and Google then refuses any of the delegate's writes that changes a binding of another role
//! (<https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>). This is enforced by
//! Google, unlike the team config.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::condition::{self, DELEGATION_ROLES_MAX, GrantNote, State};
use crate::edit::{MAX_BINDINGS_PER_ROLE_AND_MEMBER, ensure_editable};
use crate::error::Error;
use crate::iam::{Kind, Principal, same_member};
use crate::policy::{Binding, Expr, Policy};

/// The predefined role that lets a principal set the allow policy of each kind that accepts a
/// delegation condition, the least one Google names: "Projects: Project IAM Admin
/// (roles/resourcemanager.projectIamAdmin); Folders: Folder IAM Admin
/// (roles/resourcemanager.folderIamAdmin); Organizations: Organization Admin
/// (roles/resourcemanager.organizationAdmin)". Other kinds are refused: "only projects, folders,
/// and organizations accept conditions to limit role granting in their allow policies".
/// <https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>
pub fn granting_role(kind: Kind) -> Option<&'static str> {
    crate::kinds::row(kind).admin_role
}

/// The title of every delegation binding jit writes (jit's prefix, so `source` knows it).
pub const TITLE: &str = "jit delegation";

/// What `jit delegate` asks of every policy.
#[derive(Debug, Clone)]
pub struct Request {
    pub principal: Principal,
    /// Sorted, without duplicates.
    pub roles: Vec<String>,
    pub end: Option<DateTime<Utc>>,
    pub note: GrantNote,
}

/// The conditions of a delegation: one per group of at most [`DELEGATION_ROLES_MAX`] roles, each
/// in its own binding. Google advises against joining `hasOnly` lists with `||` or `&&` in one
/// condition (a request changing roles of two lists would fail either way), so a longer list is
/// split into several bindings; a delegate's one write must then stay within one group.
pub fn conditions(req: &Request) -> Result<Vec<Expr>, Error> {
    let groups: Vec<&[String]> = req.roles.chunks(DELEGATION_ROLES_MAX).collect();
    if groups.len() > MAX_BINDINGS_PER_ROLE_AND_MEMBER {
        return Err(Error::usage_hint(
            format!(
                "{} roles need {} bindings of {} roles, over Google's limit of {MAX_BINDINGS_PER_ROLE_AND_MEMBER} \
                 bindings per role and principal",
                req.roles.len(),
                groups.len(),
                DELEGATION_ROLES_MAX
            ),
            format!("delegate at most {} roles", DELEGATION_ROLES_MAX * MAX_BINDINGS_PER_ROLE_AND_MEMBER),
        ));
    }
    let n = groups.len();
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let expression = condition::build_delegation(g, req.end);
            if expression.len() > condition::EXPRESSION_MAX {
                return Err(Error::usage(format!(
                    "the delegation condition would be {} characters, over Google's limit of {}",
                    expression.len(),
                    condition::EXPRESSION_MAX
                )));
            }
            Ok(Expr {
                expression,
                title: Some(if n == 1 { TITLE.to_string() } else { format!("{TITLE} {}/{n}", i + 1) }),
                description: Some(condition::description(&req.note)),
                ..Expr::default()
            })
        })
        .collect()
}

/// One delegate of one delegation binding: a row of `jit list --delegations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub resource: String,
    pub member: String,
    /// The role held under the condition (the one that sets the allow policy).
    pub role: String,
    /// The roles the delegate may grant and revoke.
    pub roles: Vec<String>,
    #[serde(serialize_with = "rfc3339")]
    pub expires: Option<DateTime<Utc>>,
    pub state: State,
    pub title: String,
}

fn rfc3339<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&condition::format_reported(*t)),
        None => s.serialize_none(),
    }
}

/// The delegation of a binding, if its condition is one (recognised on the CEL AST).
pub fn of(binding: &Binding) -> Option<condition::Delegation> {
    condition::delegation(&binding.condition.as_ref()?.expression)
}

/// Every delegation on a policy, one row per member, in policy order.
pub fn rows(resource: &str, policy: &Policy, now: DateTime<Utc>) -> Result<Vec<Row>, Error> {
    ensure_editable(policy)?;
    Ok(policy
        .bindings
        .iter()
        .filter_map(|b| Some((b, of(b)?)))
        .flat_map(|(b, d)| {
            b.members.iter().map(move |m| Row {
                resource: resource.to_string(),
                member: m.clone(),
                role: b.role.clone(),
                roles: d.roles.clone(),
                expires: d.window.upper.map(|u| u.at),
                state: d.window.state(now),
                title: b.condition.as_ref().map(|c| c.title().to_string()).unwrap_or_default(),
            })
        })
        .collect())
}

/// What `jit delegate` did on one policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The delegations now in place for the principal.
    pub delegated: Vec<Row>,
    /// Earlier delegations of the principal that these replace.
    pub replaced: Vec<Row>,
}

/// `jit delegate` on one policy: the principal's delegations of `granting` become exactly the
/// request's (earlier ones of the same principal and role are replaced), every other binding
/// stays as it was. Returns the new policy, the report and whether anything changed.
pub fn delegate(
    resource: &str,
    policy: &Policy,
    granting: &str,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<(Policy, Report, bool), Error> {
    ensure_editable(policy)?;
    let wanted = conditions(req)?;
    let member = req.principal.as_str();
    let mut out = policy.clone();
    let mut replaced = Vec::new();
    out.bindings.retain_mut(|b| {
        if b.role != granting || !b.members.iter().any(|m| same_member(m, member)) {
            return true;
        }
        let Some(d) = of(b) else { return true };
        let kept = wanted
            .iter()
            .any(|w| b.condition.as_ref().is_some_and(|c| crate::policy::conditions_equal(Some(c), Some(w))));
        if kept {
            return true;
        }
        replaced.push(Row {
            resource: resource.to_string(),
            member: member.to_string(),
            role: b.role.clone(),
            roles: d.roles,
            expires: d.window.upper.map(|u| u.at),
            state: d.window.state(now),
            title: b.condition.as_ref().map(|c| c.title().to_string()).unwrap_or_default(),
        });
        b.members.retain(|m| !same_member(m, member));
        !b.members.is_empty()
    });
    for w in &wanted {
        match out
            .bindings
            .iter_mut()
            .find(|b| b.role == granting && crate::policy::conditions_equal(b.condition.as_ref(), Some(w)))
        {
            Some(b) if b.members.iter().any(|m| same_member(m, member)) => {}
            Some(b) => b.members.push(member.to_string()),
            None => out.bindings.push(Binding {
                role: granting.to_string(),
                members: vec![member.to_string()],
                condition: Some(w.clone()),
                ..Binding::default()
            }),
        }
    }
    crate::edit::check_limits(resource, policy, &out, &[(granting, member)])?;
    let changed = out.bindings != policy.bindings;
    if changed {
        out.version = Some(3);
    }
    let delegated = rows(resource, &out, now)?
        .into_iter()
        .filter(|r| r.role == granting && same_member(&r.member, member))
        .collect();
    Ok((out, Report { delegated, replaced }, changed))
}

/// The member as the policy spells it when `principal` holds `granting` without a condition: a
/// delegation then limits nothing, since that binding lets it set the whole policy (issue 17
/// item 6).
pub fn unconditional<'a>(policy: &'a Policy, granting: &str, principal: &Principal) -> Option<&'a str> {
    policy
        .bindings
        .iter()
        .filter(|b| b.role == granting && b.condition.is_none())
        .find_map(|b| b.members.iter().find(|m| same_member(m, principal.as_str())))
        .map(String::as_str)
}

/// `jit revoke --delegation PRINCIPAL` on one policy: the principal leaves every delegation
/// binding (of any granting role); nothing else changes.
pub fn revoke(
    resource: &str,
    policy: &Policy,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<(Policy, Vec<Row>), Error> {
    ensure_editable(policy)?;
    let removed: Vec<Row> = rows(resource, policy, now)?
        .into_iter()
        .filter(|r| same_member(&r.member, principal.as_str()))
        .collect();
    let mut out = policy.clone();
    if removed.is_empty() {
        return Ok((out, removed));
    }
    out.bindings.retain_mut(|b| {
        if of(b).is_none() {
            return true;
        }
        b.members.retain(|m| !same_member(m, principal.as_str()));
        !b.members.is_empty()
    });
    out.version = Some(3);
    Ok((out, removed))
}

/// Why a role must not be delegated without --allow-escalation: its permissions that lead to
/// more access (any `setIamPolicy`, service-account keys and tokens, …; `roles::escalation_permissions`).
/// Google warns against the same: "Don't include … roles with permission names that end in
/// setIamPolicy".
pub fn escalation(role: &str) -> Vec<&'static str> {
    crate::roles::get(role).map(crate::roles::escalation_permissions).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn now() -> DateTime<Utc> {
        condition::parse_timestamp("2026-11-25T12:00:00Z").unwrap()
    }

    fn req(roles: &[&str], end: Option<&str>) -> Request {
        let mut roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        roles.sort();
        Request {
            principal: Principal::from_str("user:dana@example.com").unwrap(),
            roles,
            end: end.map(|e| condition::parse_timestamp(e).unwrap()),
            note: GrantNote {
                granted_by: Some("user:alice@example.com".into()),
                granted_at: Some(now()),
                reason: None,
            },
        }
    }

    fn base() -> Policy {
        Policy::from_json(
            r#"{"version": 1, "etag": "BwYA", "bindings": [
                {"role": "roles/owner", "members": ["user:alice@example.com"]},
                {"role": "roles/resourcemanager.projectIamAdmin", "members": ["user:root@example.com"]}]}"#,
        )
        .unwrap()
    }

    const ADMIN: &str = "roles/resourcemanager.projectIamAdmin";

    #[test]
    fn one_binding_with_the_documented_condition() {
        let (p, report, changed) = delegate(
            "projects/p",
            &base(),
            ADMIN,
            &req(&["roles/logging.viewer"], Some("2026-12-25T12:00:00Z")),
            now(),
        )
        .unwrap();
        assert!(changed);
        assert_eq!(p.version, Some(3));
        assert_eq!(p.bindings[..2], base().bindings[..], "the other bindings stay as they were");
        let b = &p.bindings[2];
        assert_eq!(
            (b.role.as_str(), b.members.as_slice()),
            (ADMIN, &["user:dana@example.com".to_string()][..])
        );
        let c = b.condition.as_ref().unwrap();
        assert_eq!(
            c.expression,
            "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.viewer']) \
             && request.time < timestamp(\"2026-12-25T12:00:00Z\")"
        );
        assert_eq!(c.title(), "jit delegation");
        assert_eq!(report.delegated.len(), 1);
        assert_eq!(report.delegated[0].roles, ["roles/logging.viewer"]);
        // The same request again changes nothing; another list replaces the first.
        let (_, _, again) = delegate(
            "projects/p",
            &p,
            ADMIN,
            &req(&["roles/logging.viewer"], Some("2026-12-25T12:00:00Z")),
            now(),
        )
        .unwrap();
        assert!(!again);
        let (q, report, changed) =
            delegate("projects/p", &p, ADMIN, &req(&["roles/pubsub.viewer"], None), now()).unwrap();
        assert!(changed);
        assert_eq!(report.replaced.len(), 1);
        assert_eq!(q.bindings.len(), 3);
        assert_eq!(rows("projects/p", &q, now()).unwrap()[0].roles, ["roles/pubsub.viewer"]);
        assert_eq!(rows("projects/p", &q, now()).unwrap()[0].expires, None);
    }

    #[test]
    fn more_than_ten_roles_are_split_and_too_many_refused() {
        let names: Vec<String> =
            crate::roles::with_prefix("roles/compute.").take(12).map(|r| r.name().to_string()).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (p, report, _) = delegate("projects/p", &base(), ADMIN, &req(&refs, None), now()).unwrap();
        let titles: Vec<&str> =
            p.bindings[2..].iter().map(|b| b.condition.as_ref().unwrap().title()).collect();
        assert_eq!(titles, ["jit delegation 1/2", "jit delegation 2/2"]);
        assert_eq!(report.delegated.iter().map(|r| r.roles.len()).collect::<Vec<_>>(), [10, 2]);
        let many: Vec<String> = crate::roles::all().take(201).map(|r| r.name().to_string()).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let e = delegate("projects/p", &base(), ADMIN, &req(&refs, None), now()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "201 roles need 21 bindings of 10 roles, over Google's limit of 20 bindings per role and principal"
        );
    }

    #[test]
    fn revoke_ends_only_the_principal_s_delegations() {
        let (p, _, _) =
            delegate("projects/p", &base(), ADMIN, &req(&["roles/logging.viewer"], None), now()).unwrap();
        let (q, removed) =
            revoke("projects/p", &p, &Principal::from_str("user:dana@example.com").unwrap(), now()).unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(q.bindings, base().bindings);
        let (r, none) =
            revoke("projects/p", &p, &Principal::from_str("user:root@example.com").unwrap(), now()).unwrap();
        assert!(none.is_empty(), "root's binding has no delegation condition");
        assert_eq!(r, p);
    }

    #[test]
    fn an_unconditional_granting_role_is_found() {
        let root = Principal::from_str("user:ROOT@example.com").unwrap();
        assert_eq!(unconditional(&base(), ADMIN, &root), Some("user:root@example.com"));
        let dana = Principal::from_str("user:dana@example.com").unwrap();
        assert_eq!(unconditional(&base(), ADMIN, &dana), None);
        let (p, _, _) =
            delegate("projects/p", &base(), ADMIN, &req(&["roles/logging.viewer"], None), now()).unwrap();
        assert_eq!(unconditional(&p, ADMIN, &dana), None, "the delegation itself is conditional");
    }

    #[test]
    fn kinds_and_escalation() {
        assert_eq!(granting_role(Kind::Folder), Some("roles/resourcemanager.folderIamAdmin"));
        assert_eq!(granting_role(Kind::Organization), Some("roles/resourcemanager.organizationAdmin"));
        assert_eq!(granting_role(Kind::Bucket), None);
        assert!(
            escalation("roles/resourcemanager.projectIamAdmin")
                .contains(&"resourcemanager.projects.setIamPolicy")
        );
        assert!(
            escalation("roles/iam.serviceAccountTokenCreator")
                .contains(&"iam.serviceAccounts.getAccessToken")
        );
        assert!(escalation("roles/logging.viewer").is_empty());
    }

    proptest::proptest! {
        /// Whatever the policy: `delegate` leaves every binding that is not a delegation of the
        /// granting role exactly as it was, and `revoke --delegation` after it gives the same
        /// bindings as `revoke --delegation` alone (what delegate adds is all it adds).
        #[test]
        fn delegate_touches_nothing_else(
            bindings in proptest::collection::vec(
                (0usize..4, proptest::collection::btree_set(0usize..4, 1..3), proptest::option::of(0usize..3)),
                0..8,
            ),
            picked in proptest::collection::btree_set(0usize..40, 1..25),
            permanent in proptest::bool::ANY,
        ) {
            const ROLES: [&str; 4] = ["roles/logging.viewer", "roles/pubsub.viewer", ADMIN, "roles/storage.admin"];
            const MEMBERS: [&str; 4] =
                ["user:a@example.com", "user:dana@example.com", "group:g@example.com", "user:b@example.com"];
            let conditions = [
                "request.time < timestamp(\"2027-01-01T00:00:00Z\")".to_string(),
                condition::build_delegation(&["roles/run.invoker".to_string()], None),
                "resource.name.startsWith('projects/p')".to_string(),
            ];
            let policy = Policy {
                bindings: bindings
                    .iter()
                    .map(|(r, ms, c)| Binding {
                        role: ROLES[*r].to_string(),
                        members: ms.iter().map(|m| MEMBERS[*m].to_string()).collect(),
                        condition: c.map(|c| Expr {
                            expression: conditions[c].clone(),
                            title: Some(format!("c{c}")),
                            ..Expr::default()
                        }),
                        ..Binding::default()
                    })
                    .collect(),
                ..Policy::default()
            };
            let mut r = req(&[], (!permanent).then_some("2026-12-25T12:00:00Z"));
            r.roles = picked.iter().map(|i| format!("roles/x.r{i}")).collect();
            r.roles.sort();
            let Ok((out, _, _)) = delegate("projects/p", &policy, ADMIN, &r, now()) else {
                // Only Google's limit of 20 bindings per role and member may refuse it.
                proptest::prop_assert!(policy.bindings.iter().filter(|b| b.role == ADMIN).count() + r.roles.len().div_ceil(10) > 20);
                return Ok(());
            };
            for b in &policy.bindings {
                if b.role != ADMIN || of(b).is_none() {
                    proptest::prop_assert!(out.bindings.contains(b), "{:?} lost or changed", b);
                }
            }
            let dana = Principal::from_str("user:dana@example.com").unwrap();
            let (after, _) = revoke("projects/p", &out, &dana, now()).unwrap();
            let (alone, _) = revoke("projects/p", &policy, &dana, now()).unwrap();
            proptest::prop_assert_eq!(after.bindings, alone.bindings);
        }
    }
}
