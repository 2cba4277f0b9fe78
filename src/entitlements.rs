//! Entitlements as code (issue 21): jit.toml's `[entitlements.ID]` tables and its `[notify]`
//! table, checked when the file is read, and the plan of `jit entitlements apply` (create, update,
//! leave alone, delete) from the file and what PAM holds. Pure: the file's tables and PAM's
//! answers are arguments.
//!
//! ```toml
//! [entitlements.prod-debug]
//! scope = "projects/jit-demo-prod"
//! roles = ["roles/logging.viewer", "roles/cloudsql.client"]
//! requesters = ["group:oncall@example.com", "user:bob@example.com"]
//! approvers = ["group:sre-leads@example.com"]   # leave out for no approval step
//! max_duration = "4h"
//! require_reason = true
//! notify = ["security@example.com"]
//!
//! [notify]
//! webhook_secret = "projects/P/secrets/jit-webhook"
//! ```
//!
//! PAM's `Entitlement` has no labels or description, so the mark of an entitlement jit manages is
//! its ID: `[entitlements.prod-debug]` is PAM's `jit-prod-debug` ([`crate::pam::MARK`]). jit never
//! changes or deletes an entitlement without the mark.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::Error;
use crate::gcp::pam::{
    AccessControlEntry, AdditionalNotificationTargets, ApprovalWorkflow, Empty, Entitlement, GcpIamAccess,
    ManualApprovals, PrivilegedAccess, RequesterJustificationConfig, RoleBinding, Step,
};
use crate::iam::{Kind, ResourceId};
use crate::pam::MARK;

/// PAM's longest `maxRequestDuration`: 7 days (<https://cloud.google.com/iam/docs/pam-create-entitlements>).
pub const MAX_DURATION: Duration = Duration::days(7);

/// `[entitlements.ID]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntitlement {
    scope: Spanned<String>,
    roles: Spanned<Vec<Spanned<String>>>,
    requesters: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    approvers: Vec<Spanned<String>>,
    max_duration: Spanned<String>,
    #[serde(default)]
    require_reason: bool,
    #[serde(default)]
    notify: Vec<Spanned<String>>,
    /// Free text for people reading the file (PAM has nowhere to keep it).
    #[allow(dead_code)]
    description: Option<String>,
}

/// `[notify]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    webhook_secret: Spanned<String>,
    format: Option<Spanned<String>>,
}

/// One checked `[entitlements.ID]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The table's name.
    pub key: String,
    /// PAM's ID: jit's mark and the table's name.
    pub id: String,
    pub scope: ResourceId,
    pub roles: Vec<String>,
    pub requesters: Vec<String>,
    pub approvers: Vec<String>,
    pub max_duration: Duration,
    pub require_reason: bool,
    pub notify: Vec<String>,
}

/// The chat a webhook posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatFormat {
    GoogleChat,
    Slack,
}

/// `[notify]`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// `projects/P/secrets/S` (its latest version) or a version's full name.
    pub webhook_secret: String,
    /// `None`: from the webhook's host (hooks.slack.com is Slack, anything else Google Chat).
    pub format: Option<ChatFormat>,
}

/// What jit.toml says about PAM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pam {
    pub entitlements: Vec<Declared>,
    pub notify: Option<Notify>,
}

type At<'a> = &'a dyn Fn(Range<usize>, &str) -> Error;

/// Checks the tables; `at` places a mistake at its line and column.
pub fn parse(
    raw: &BTreeMap<Spanned<String>, RawEntitlement>,
    notify: Option<&RawNotify>,
    at: At<'_>,
) -> Result<Pam, Error> {
    let mut out = Pam::default();
    for (key, e) in raw {
        out.entitlements.push(declared(key, e, at)?);
    }
    if let Some(n) = notify {
        let secret = n.webhook_secret.get_ref().trim();
        let parts: Vec<&str> = secret.split('/').collect();
        let ok = matches!(parts.as_slice(), ["projects", p, "secrets", s] if !p.is_empty() && !s.is_empty())
            || matches!(parts.as_slice(), ["projects", p, "secrets", s, "versions", v] if !p.is_empty() && !s.is_empty() && !v.is_empty());
        if !ok {
            return Err(at(
                n.webhook_secret.span(),
                &format!(
                    "`{secret}` is not a Secret Manager secret: name it `projects/P/secrets/NAME` (never the webhook's URL itself)"
                ),
            ));
        }
        let format = match &n.format {
            None => None,
            Some(f) => Some(match f.get_ref().as_str() {
                "google-chat" => ChatFormat::GoogleChat,
                "slack" => ChatFormat::Slack,
                other => {
                    return Err(at(
                        f.span(),
                        &format!("`{other}` is not a chat format: use `google-chat` or `slack`"),
                    ));
                }
            }),
        };
        out.notify = Some(Notify { webhook_secret: secret.to_string(), format });
    }
    Ok(out)
}

fn declared(key: &Spanned<String>, e: &RawEntitlement, at: At<'_>) -> Result<Declared, Error> {
    let k = key.get_ref();
    let id = format!("{MARK}{k}");
    if !crate::pam::is_entitlement_id(&id) {
        return Err(at(
            key.span(),
            &format!(
                "`{k}` cannot name an entitlement: PAM's IDs (here `{id}`) are 4 to 63 lowercase letters, digits and `-`"
            ),
        ));
    }
    let scope = match crate::pam::parse_scope(e.scope.get_ref().trim()) {
        Some(Ok(s)) => s,
        Some(Err(err)) => return Err(at(e.scope.span(), &err.to_string())),
        None => {
            return Err(at(
                e.scope.span(),
                &format!(
                    "`{}` is not a scope: entitlements live on `projects/P`, `folders/N` or `organizations/N`",
                    e.scope.get_ref()
                ),
            ));
        }
    };
    if e.roles.get_ref().is_empty() {
        return Err(at(e.roles.span(), &format!("entitlement `{k}` names no role")));
    }
    let mut roles = Vec::new();
    for r in e.roles.get_ref() {
        let name = r.get_ref().trim();
        if crate::iam::BASIC_ROLES.contains(&name) {
            return Err(at(
                r.span(),
                &format!(
                    "PAM does not grant the legacy basic role `{name}`: name a predefined or custom role"
                ),
            ));
        }
        crate::roles::check(name, None).map_err(|err| at(r.span(), &err.to_string()))?;
        if !roles.iter().any(|x: &String| x == name) {
            roles.push(name.to_string());
        }
    }
    if e.requesters.get_ref().is_empty() {
        return Err(at(e.requesters.span(), &format!("entitlement `{k}` names no requester")));
    }
    let principals = |list: &[Spanned<String>]| -> Result<Vec<String>, Error> {
        list.iter().map(|p| principal(p.get_ref().trim()).map_err(|m| at(p.span(), &m))).collect()
    };
    let requesters = principals(e.requesters.get_ref())?;
    let approvers = principals(&e.approvers)?;
    let max_duration = crate::timespec::parse_duration(e.max_duration.get_ref())
        .map_err(|err| at(e.max_duration.span(), &err.to_string()))?;
    if max_duration > MAX_DURATION {
        return Err(at(
            e.max_duration.span(),
            &format!("`{}` is longer than PAM allows: at most 7 days", e.max_duration.get_ref()),
        ));
    }
    if max_duration.num_seconds() < 1 || max_duration.subsec_nanos() != 0 {
        return Err(at(e.max_duration.span(), "give a whole number of seconds, at least one"));
    }
    let notify = e
        .notify
        .iter()
        .map(|n| {
            let v = n.get_ref().trim();
            if v.contains('@') && !v.contains(':') && !v.contains(char::is_whitespace) {
                Ok(v.to_string())
            } else {
                Err(at(n.span(), &format!("`{v}` is not an e-mail address (PAM e-mails it)")))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Declared {
        key: k.clone(),
        id,
        scope,
        roles,
        requesters,
        approvers,
        max_duration,
        require_reason: e.require_reason,
        notify,
    })
}

/// A principal PAM accepts: "a valid v1 IAM principal identifier"
/// (<https://cloud.google.com/iam/docs/principal-identifiers#v1>) naming people or workloads,
/// never everyone (`allUsers`, `allAuthenticatedUsers`) and never a deleted one.
fn principal(p: &str) -> Result<String, String> {
    if crate::iam::PUBLIC_PRINCIPALS.contains(&p) {
        return Err(format!("`{p}` is everyone: PAM's requesters and approvers are named principals"));
    }
    let ok_email = |v: &str| v.split_once('@').is_some_and(|(a, d)| !a.is_empty() && d.contains('.'));
    let ok = match p.split_once(':') {
        Some(("user" | "group" | "serviceAccount", v)) => ok_email(v),
        Some(("domain", v)) => v.contains('.') && !v.contains('@'),
        Some(("principal" | "principalSet", v)) => v.starts_with("//"),
        _ => false,
    };
    if ok {
        Ok(p.to_string())
    } else {
        Err(format!(
            "`{p}` is not a principal PAM accepts: use `user:`, `group:`, `serviceAccount:`, `domain:`, `principal://` or `principalSet://`"
        ))
    }
}

/// The full resource name and asset type of a scope, as PAM's `GcpIamAccess` names them.
pub fn iam_target(scope: &ResourceId) -> (String, String) {
    let (collection, asset) = match scope.kind {
        Kind::Folder => ("folders", "Folder"),
        Kind::Organization => ("organizations", "Organization"),
        _ => ("projects", "Project"),
    };
    (
        format!("//cloudresourcemanager.googleapis.com/{collection}/{}", scope.id),
        format!("cloudresourcemanager.googleapis.com/{asset}"),
    )
}

impl Declared {
    /// PAM's entitlement for this table (no name, etag or output-only fields).
    pub fn entitlement(&self) -> Entitlement {
        let (resource, resource_type) = iam_target(&self.scope);
        Entitlement {
            eligible_users: vec![AccessControlEntry { principals: self.requesters.clone() }],
            approval_workflow: (!self.approvers.is_empty()).then(|| ApprovalWorkflow {
                manual_approvals: Some(ManualApprovals {
                    require_approver_justification: false,
                    steps: vec![Step {
                        approvals_needed: 1,
                        approver_email_recipients: Vec::new(),
                        approvers: vec![AccessControlEntry { principals: self.approvers.clone() }],
                    }],
                }),
            }),
            privileged_access: Some(PrivilegedAccess {
                gcp_iam_access: Some(GcpIamAccess {
                    resource,
                    resource_type,
                    role_bindings: self
                        .roles
                        .iter()
                        .map(|r| RoleBinding { role: r.clone(), condition_expression: String::new() })
                        .collect(),
                }),
            }),
            max_request_duration: crate::gcp::pam::format_duration(self.max_duration),
            requester_justification_config: Some(if self.require_reason {
                RequesterJustificationConfig { unstructured: Some(Empty {}), not_mandatory: None }
            } else {
                RequesterJustificationConfig { not_mandatory: Some(Empty {}), unstructured: None }
            }),
            additional_notification_targets: (!self.notify.is_empty()).then(|| {
                AdditionalNotificationTargets {
                    admin_email_recipients: self.notify.clone(),
                    requester_email_recipients: Vec::new(),
                }
            }),
            ..Default::default()
        }
    }
}

/// What `apply` does to one entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    /// The fields that differ, as PAM's update mask names them.
    Update,
    Leave,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub action: Action,
    /// PAM's full name of the entitlement.
    pub entitlement: String,
    /// The fields that differ (an update), by PAM's names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// The table (a create, update or leave).
    #[serde(skip)]
    pub declared: Option<Declared>,
    /// What PAM holds (an update, leave or delete), for its etag.
    #[serde(skip)]
    pub current: Option<Entitlement>,
}

/// The plan: each table against what PAM holds on its scope (`existing`, every scope the file
/// names, listed), and jit's own entitlements that no table names any more. Entitlements without
/// jit's mark are never in it.
pub fn plan(declared: &[Declared], existing: &[Entitlement]) -> Vec<Change> {
    let mut out = Vec::new();
    for d in declared {
        let name = format!("{}/entitlements/{}", crate::gcp::pam::parent(&d.scope), d.id);
        let want = d.entitlement();
        match existing.iter().find(|e| e.name == name) {
            None => out.push(Change {
                action: Action::Create,
                entitlement: name,
                fields: Vec::new(),
                declared: Some(d.clone()),
                current: None,
            }),
            Some(cur) => {
                let fields = differences(&want, cur);
                out.push(Change {
                    action: if fields.is_empty() { Action::Leave } else { Action::Update },
                    entitlement: name,
                    fields,
                    declared: Some(d.clone()),
                    current: Some(cur.clone()),
                });
            }
        }
    }
    for e in existing {
        let ours = e.id().starts_with(MARK);
        let named = out.iter().any(|c| c.entitlement == e.name);
        if ours && !named && e.state != "DELETING" && e.state != "DELETED" {
            out.push(Change {
                action: Action::Delete,
                entitlement: e.name.clone(),
                fields: Vec::new(),
                declared: None,
                current: Some(e.clone()),
            });
        }
    }
    out
}

/// The fields of `want` that `cur` does not hold, by the names PAM's update mask takes. Lists
/// of principals and roles compare as sets: PAM may keep them in its own order.
pub fn differences(want: &Entitlement, cur: &Entitlement) -> Vec<String> {
    let mut out = Vec::new();
    let set =
        |v: Vec<&str>| -> std::collections::BTreeSet<String> { v.into_iter().map(str::to_string).collect() };
    if set(want.requesters()) != set(cur.requesters()) {
        out.push("eligibleUsers".to_string());
    }
    if set(want.approvers()) != set(cur.approvers()) || want.needs_approval() != cur.needs_approval() {
        out.push("approvalWorkflow".to_string());
    }
    let access = |e: &Entitlement| e.iam_access().map(|a| (a.resource.clone(), a.resource_type.clone()));
    if set(want.roles()) != set(cur.roles()) || access(want) != access(cur) {
        out.push("privilegedAccess".to_string());
    }
    if want.max_duration() != cur.max_duration() {
        out.push("maxRequestDuration".to_string());
    }
    if want.requires_reason() != cur.requires_reason() {
        out.push("requesterJustificationConfig".to_string());
    }
    let emails = |e: &Entitlement| {
        e.additional_notification_targets
            .as_ref()
            .map(|t| t.admin_email_recipients.clone())
            .unwrap_or_default()
    };
    if set(emails(want).iter().map(String::as_str).collect())
        != set(emails(cur).iter().map(String::as_str).collect())
    {
        out.push("additionalNotificationTargets".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Pam, Error> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            entitlements: BTreeMap<Spanned<String>, RawEntitlement>,
            notify: Option<RawNotify>,
        }
        let f: File = toml::from_str(text).map_err(|e| Error::usage(e.to_string()))?;
        let at = |span: Range<usize>, m: &str| {
            let (line, col) = crate::team::line_column(text, span.start);
            Error::usage(format!("line {line}, column {col}: {m}"))
        };
        parse(&f.entitlements, f.notify.as_ref(), &at)
    }

    const GOOD: &str = r#"
[entitlements.prod-debug]
scope = "projects/jit-demo-prod"
roles = ["roles/logging.viewer", "roles/cloudsql.client"]
requesters = ["group:oncall@example.com", "user:bob@example.com"]
approvers = ["group:sre-leads@example.com"]
max_duration = "4h"
require_reason = true
notify = ["security@example.com"]

[notify]
webhook_secret = "projects/jit-demo-prod/secrets/jit-webhook"
"#;

    #[test]
    fn the_issues_example_is_read_and_becomes_pams_entitlement() {
        let pam = parse_text(GOOD).unwrap();
        let d = &pam.entitlements[0];
        assert_eq!(d.id, "jit-prod-debug");
        assert_eq!(d.max_duration, Duration::hours(4));
        assert_eq!(pam.notify.as_ref().unwrap().webhook_secret, "projects/jit-demo-prod/secrets/jit-webhook");
        let e = serde_json::to_value(d.entitlement()).unwrap();
        assert_eq!(
            e,
            serde_json::json!({
                "eligibleUsers": [{"principals": ["group:oncall@example.com", "user:bob@example.com"]}],
                "approvalWorkflow": {"manualApprovals": {"steps": [{"approvalsNeeded": 1,
                    "approvers": [{"principals": ["group:sre-leads@example.com"]}]}]}},
                "privilegedAccess": {"gcpIamAccess": {
                    "resource": "//cloudresourcemanager.googleapis.com/projects/jit-demo-prod",
                    "resourceType": "cloudresourcemanager.googleapis.com/Project",
                    "roleBindings": [{"role": "roles/logging.viewer"}, {"role": "roles/cloudsql.client"}]}},
                "maxRequestDuration": "14400s",
                "requesterJustificationConfig": {"unstructured": {}},
                "additionalNotificationTargets": {"adminEmailRecipients": ["security@example.com"]}
            })
        );
    }

    #[test]
    fn pams_limits_are_checked_with_the_place_of_the_mistake() {
        let cases = [
            (
                "max_duration = \"4h\"",
                "max_duration = \"8d\"",
                "line 7, column 16: `8d` is longer than PAM allows: at most 7 days",
            ),
            (
                "\"roles/logging.viewer\", ",
                "\"roles/owner\", ",
                "line 4, column 10: PAM does not grant the legacy basic role `roles/owner`: name a predefined or custom role",
            ),
            (
                "\"user:bob@example.com\"]",
                "\"allUsers\"]",
                "line 5, column 43: `allUsers` is everyone: PAM's requesters and approvers are named principals",
            ),
            (
                "group:sre-leads@example.com",
                "bob@example.com",
                "line 6, column 14: `bob@example.com` is not a principal PAM accepts: use `user:`, `group:`, `serviceAccount:`, `domain:`, `principal://` or `principalSet://`",
            ),
            (
                "projects/jit-demo-prod\"\nroles",
                "buckets/b\"\nroles",
                "line 3, column 9: `buckets/b` is not a scope",
            ),
            (
                "secrets/jit-webhook",
                "https://chat.googleapis.com/v1/spaces/x",
                "is not a Secret Manager secret",
            ),
            (
                "[entitlements.prod-debug]",
                "[entitlements.Prod]",
                "line 2, column 15: `Prod` cannot name an entitlement",
            ),
        ];
        for (from, to, want) in cases {
            let text = GOOD.replacen(from, to, 1);
            assert_ne!(text, GOOD, "{from}");
            let e = parse_text(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{to}: {e}");
        }
    }

    #[test]
    fn apply_plans_create_then_leave_and_never_touches_others() {
        let pam = parse_text(GOOD).unwrap();
        let plan1 = plan(&pam.entitlements, &[]);
        assert_eq!(plan1.len(), 1);
        assert_eq!(plan1[0].action, Action::Create);
        assert_eq!(
            plan1[0].entitlement,
            "projects/jit-demo-prod/locations/global/entitlements/jit-prod-debug"
        );

        // What PAM holds after the create: the same, in its own order, with its own fields.
        let mut created = pam.entitlements[0].entitlement();
        created.name = plan1[0].entitlement.clone();
        created.etag = "e1".into();
        created.state = "AVAILABLE".into();
        created.eligible_users[0].principals.reverse();
        let theirs = Entitlement {
            name: "projects/jit-demo-prod/locations/global/entitlements/handmade".into(),
            ..created.clone()
        };
        let stale = Entitlement {
            name: "projects/jit-demo-prod/locations/global/entitlements/jit-old".into(),
            ..created.clone()
        };
        let plan2 = plan(&pam.entitlements, &[created.clone(), theirs, stale]);
        let actions: Vec<(&Action, &str)> =
            plan2.iter().map(|c| (&c.action, c.entitlement.rsplit('/').next().unwrap())).collect();
        assert_eq!(actions, [(&Action::Leave, "jit-prod-debug"), (&Action::Delete, "jit-old")]);

        let mut changed = created.clone();
        changed.max_request_duration = "3600s".into();
        let plan3 = plan(&pam.entitlements, &[changed]);
        assert_eq!(plan3[0].action, Action::Update);
        assert_eq!(plan3[0].fields, ["maxRequestDuration"]);
    }
}
