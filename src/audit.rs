//! `jit audit` (issue 11 item 4), pure: the findings on one allow policy, from the policy, the
//! team config and `now`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::condition::{self, State};
use crate::delegation;
use crate::edit::{MAX_BINDINGS_PER_ROLE_AND_MEMBER, ensure_editable};
use crate::error::Error;
use crate::iam::{BASIC_ROLES, member_key};
use crate::policy::{MAX_PRINCIPALS, Policy};
use crate::team::Team;

/// What kind of finding: a stable name scripts can match (docs/output.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A binding of a sensitive role with no end.
    StandingSensitive,
    /// A time-bound grant longer than the team config allows.
    TooLong,
    /// A time-bound grant of a role in no bundle, when the config has bundles.
    NoBundle,
    /// A delegation (`jit delegate`) without an end.
    PermanentDelegation,
    /// A delegation whose list holds a role that grants or leads to more access (issue 17 item 5).
    EscalatingDelegation,
    /// A policy at 90% or more of Google's limit on principals.
    NearPrincipalLimit,
    /// A member at 90% or more of Google's limit on bindings of one role.
    NearBindingLimit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::StandingSensitive => "standing-sensitive",
            Kind::TooLong => "too-long",
            Kind::NoBundle => "no-bundle",
            Kind::PermanentDelegation => "permanent-delegation",
            Kind::EscalatingDelegation => "escalating-delegation",
            Kind::NearPrincipalLimit => "near-principal-limit",
            Kind::NearBindingLimit => "near-binding-limit",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub resource: String,
    pub finding: Kind,
    pub role: Option<String>,
    pub member: Option<String>,
    pub detail: String,
    /// The reason of the team config's `[[audit.waive]]` that accepts this finding: shown, and
    /// not failing the audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<String>,
}

/// The roles Google grants a project's convenience members on each new bucket
/// (<https://cloud.google.com/storage/docs/access-control/iam#convenience-values>): legacy roles
/// that only give the project's owners, editors and viewers access to its buckets.
const DEFAULT_BUCKET_ROLES: [&str; 4] = [
    "roles/storage.legacyBucketOwner",
    "roles/storage.legacyObjectOwner",
    "roles/storage.legacyBucketReader",
    "roles/storage.legacyObjectReader",
];

/// Why a binding of `role` to `member` is not a standing grant of a person, or `None` (issue 19
/// item 10): a convenience member (`projectOwner:P`, `projectEditor:P`, `projectViewer:P`) is the
/// set of holders of a basic role on P, each of whom is audited where that role is granted; a
/// Google-managed service agent holding its service-agent role, or the Google APIs Service
/// Agent (`NUMBER@cloudservices.gserviceaccount.com`) holding the `roles/editor` Google gives it,
/// is Google's own default (<https://cloud.google.com/iam/docs/service-agents>).
pub fn google_default(role: &str, member: &str) -> Option<&'static str> {
    if ["projectOwner:", "projectEditor:", "projectViewer:"].iter().any(|p| member.starts_with(p)) {
        return Some(if DEFAULT_BUCKET_ROLES.contains(&role) {
            "Google's default bucket role for a convenience member"
        } else {
            "a convenience member: its people are audited where their basic role is granted"
        });
    }
    let email = member.strip_prefix("serviceAccount:")?.to_ascii_lowercase();
    let (local, domain) = email.split_once('@')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if domain == "cloudservices.gserviceaccount.com" && digits(local) && role == "roles/editor" {
        return Some("Google's default grant to the Google APIs Service Agent");
    }
    // `service-NUMBER@gcp-sa-SERVICE.iam.gserviceaccount.com`, and the older
    // `service-NUMBER@SERVICE.iam.gserviceaccount.com` of the first services (compute-system,
    // container-engine-robot, …), also `service-org-N` and `service-folder-N`.
    let number = local
        .strip_prefix("service-")
        .map(|n| n.strip_prefix("org-").or_else(|| n.strip_prefix("folder-")).unwrap_or(n));
    let agent = number.is_some_and(digits) && domain.ends_with(".iam.gserviceaccount.com");
    let agent_role = role
        .strip_prefix("roles/")
        .is_some_and(|r| r.ends_with("serviceAgent") || r.ends_with("ServiceAgent"));
    (agent && agent_role).then_some("a Google-managed service agent's own role")
}

/// Service-account token and key creation: the permissions that make a role "sensitive" by
/// default besides `setIamPolicy` and the basic roles (issue 11 item 4).
const TOKEN_AND_KEY: [&str; 7] = [
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.getOpenIdToken",
    "iam.serviceAccounts.implicitDelegation",
    "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.signJwt",
    "iam.serviceAccountKeys.create",
    "iam.serviceAccountKeys.upload",
];

/// Why `role` is sensitive, or `None`: the config's `sensitive_roles` when it has the key, else
/// the basic roles and the predefined roles carrying any `setIamPolicy` or service-account token
/// or key creation (jit's copy of Google's roles; a custom role is not judged).
pub fn sensitive(role: &str, team: Option<&Team>) -> Option<String> {
    if let Some(list) = team.and_then(|t| t.sensitive_roles.as_ref()) {
        return list.iter().any(|r| r == role).then(|| "listed in `sensitive_roles`".to_string());
    }
    if BASIC_ROLES.contains(&role) {
        return Some("a basic role".to_string());
    }
    let r = crate::roles::get(role)?;
    let mut hits: Vec<&str> =
        r.permissions().filter(|p| p.ends_with(".setIamPolicy") || TOKEN_AND_KEY.contains(p)).collect();
    if hits.is_empty() {
        return None;
    }
    let n = hits.len();
    hits.truncate(2);
    Some(format!(
        "carries `{}`{}",
        hits.join("`, `"),
        if n > 2 { format!(" and {} more", n - 2) } else { String::new() }
    ))
}

/// As [`sensitive`], for a binding under a delegation condition: the condition limits only
/// `setIamPolicy` (Google evaluates `modifiedGrantsByRole` to an empty list on every other
/// request, so `hasOnly` holds), so only the role's other sensitive permissions count. `None`:
/// the delegation limits all that makes the role sensitive.
fn sensitive_beyond_granting(role: &str, team: Option<&Team>) -> Option<String> {
    if team.and_then(|t| t.sensitive_roles.as_ref()).is_some() || BASIC_ROLES.contains(&role) {
        return sensitive(role, team);
    }
    let r = crate::roles::get(role)?;
    let hits: Vec<&str> = r
        .permissions()
        .filter(|p| !p.ends_with(".setIamPolicy"))
        .filter(|p| TOKEN_AND_KEY.contains(p) || crate::roles::escalation_reason(p).is_some())
        .collect();
    (!hits.is_empty()).then(|| {
        format!(
            "carries `{}`{}",
            hits[0],
            if hits.len() > 1 { format!(" and {} more", hits.len() - 1) } else { String::new() }
        )
    })
}

/// True when a delegation condition is all that limits a binding of `role`: the role is one of
/// the granting roles Google names for delegation (`delegation::granting_role`) and carries
/// nothing else that leads to more access. Otherwise (a role that is not a granting role, one
/// with token or key creation, a custom role jit cannot see) the binding grants the role for
/// every request but `setIamPolicy`, and is audited as the plain grant it is (issue 17 item 5).
fn delegation_limits(role: &str) -> bool {
    use crate::iam::Kind as K;
    let granting =
        [K::Project, K::Folder, K::Organization].iter().any(|k| delegation::granting_role(*k) == Some(role));
    let Some(r) = crate::roles::get(role) else { return false };
    granting
        && !r
            .permissions()
            .any(|p| !p.ends_with(".setIamPolicy") && crate::roles::escalation_reason(p).is_some())
}

/// Every finding on one policy.
pub fn audit(
    resource: &str,
    policy: &Policy,
    team: Option<&Team>,
    now: DateTime<Utc>,
) -> Result<Vec<Finding>, Error> {
    ensure_editable(policy)?;
    let mut out = Vec::new();
    let finding = |kind, role: Option<&str>, member: Option<&str>, detail: String| Finding {
        resource: resource.to_string(),
        finding: kind,
        role: role.map(str::to_string),
        member: member.map(str::to_string),
        detail,
        waived: None,
    };
    for b in &policy.bindings {
        let delegated = delegation::of(b);
        if let Some(d) = &delegated {
            if d.window.upper.is_none() {
                for m in &b.members {
                    out.push(finding(
                        Kind::PermanentDelegation,
                        Some(&b.role),
                        Some(m),
                        format!("may grant {} with no end", d.roles.join(", ")),
                    ));
                }
            }
            // A delegate who may grant a role that grants (or leads to) more access may give
            // itself, or anyone, more than the list says.
            let escalating: Vec<String> = d
                .roles
                .iter()
                .filter_map(|r| {
                    let esc = delegation::escalation(r);
                    (!esc.is_empty()).then(|| format!("`{r}` (carries `{}`)", esc[0]))
                })
                .collect();
            if !escalating.is_empty() && !d.window.ended_by(now) {
                for m in &b.members {
                    out.push(finding(
                        Kind::EscalatingDelegation,
                        Some(&b.role),
                        Some(m),
                        format!("may grant {}, which lead to more access", escalating.join(", ")),
                    ));
                }
            }
            if delegation_limits(&b.role) {
                continue;
            }
        }
        // Under a delegation condition that does not limit the role, what it grants on every
        // other request is judged here as any grant.
        let under = if delegated.is_some() {
            "under a delegation condition, which limits only setIamPolicy, "
        } else {
            ""
        };
        let window = match &b.condition {
            None => None,
            // A condition jit cannot read is judged as standing: it may hold at any time.
            Some(c) => condition::window(&c.expression).ok().filter(|w| w.is_time_bound()),
        };
        let Some(w) = window else {
            let why = if delegated.is_some() {
                sensitive_beyond_granting(&b.role, team)
            } else {
                sensitive(&b.role, team)
            };
            if let Some(why) = why {
                let how =
                    if b.condition.is_some() { "with a condition that has no end" } else { "with no end" };
                for m in b.members.iter().filter(|m| google_default(&b.role, m).is_none()) {
                    out.push(finding(
                        Kind::StandingSensitive,
                        Some(&b.role),
                        Some(m),
                        format!("held {under}{how}; {why}"),
                    ));
                }
            }
            continue;
        };
        if w.state(now) == State::Expired {
            continue;
        }
        let end = w.upper.map(|u| u.at).unwrap_or(now);
        // The time left, from now or the start if later, read from the window alone: never from
        // a start the description claims (issue 17 item 5), and for every tool's binding,
        // gcloud's hand-written ones with no start and no description included.
        let left = crate::edit::remaining(w.lower.map(|l| l.at), end, now);
        if let Some(t) = team
            && let Some((max, source)) = t.limit(&b.role, None)
            && left > max
        {
            for m in &b.members {
                out.push(finding(
                    Kind::TooLong,
                    Some(&b.role),
                    Some(m),
                    format!(
                        "{} of access left {under}(until {}), over the {} of {source}",
                        crate::timespec::words(left),
                        condition::format_timestamp(end),
                        crate::timespec::words(max)
                    ),
                ));
            }
        }
        if let Some(t) = team
            && !t.bundles.is_empty()
            && !t.in_some_bundle(&b.role)
        {
            for m in &b.members {
                out.push(finding(
                    Kind::NoBundle,
                    Some(&b.role),
                    Some(m),
                    format!(
                        "until {}; the role is in no bundle of the team config",
                        condition::format_timestamp(end)
                    ),
                ));
            }
        }
    }
    let principals = policy.principal_count();
    if principals * 10 >= MAX_PRINCIPALS * 9 {
        out.push(finding(
            Kind::NearPrincipalLimit,
            None,
            None,
            format!("{principals} principals of Google's limit of {MAX_PRINCIPALS}"),
        ));
    }
    let mut per: HashMap<(&str, String), usize> = HashMap::new();
    for b in &policy.bindings {
        for m in &b.members {
            *per.entry((b.role.as_str(), member_key(m).into_owned())).or_default() += 1;
        }
    }
    let mut near: Vec<(&(&str, String), &usize)> =
        per.iter().filter(|(_, n)| **n * 10 >= MAX_BINDINGS_PER_ROLE_AND_MEMBER * 9).collect();
    near.sort();
    for ((role, member), n) in near {
        out.push(finding(
            Kind::NearBindingLimit,
            Some(role),
            Some(member),
            format!("in {n} bindings of the role, of Google's limit of {MAX_BINDINGS_PER_ROLE_AND_MEMBER}"),
        ));
    }
    if let Some(t) = team {
        for f in &mut out {
            if let (Some(role), Some(member)) = (&f.role, &f.member) {
                f.waived =
                    t.waivers.iter().find(|w| w.covers(resource, role, member)).map(|w| w.reason.clone());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn now() -> DateTime<Utc> {
        condition::parse_timestamp("2026-11-25T12:00:00Z").unwrap()
    }

    fn kinds(f: &[Finding]) -> Vec<(Kind, Option<&str>, Option<&str>)> {
        f.iter().map(|f| (f.finding, f.role.as_deref(), f.member.as_deref())).collect()
    }

    const POLICY: &str = r#"{"version": 3, "bindings": [
        {"role": "roles/owner", "members": ["user:alice@example.com"]},
        {"role": "roles/logging.viewer", "members": ["group:sre@example.com"]},
        {"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:ci@example.com"]},
        {"role": "roles/storage.admin", "members": ["user:bob@example.com"],
         "condition": {"title": "jit until 2026-11-26T12:00:00Z", "expression": "request.time < timestamp(\"2026-11-26T12:00:00Z\")",
                       "description": "Granted by user:alice@example.com at 2026-11-25T12:00:00Z via jit."}},
        {"role": "roles/pubsub.viewer", "members": ["user:bob@example.com"],
         "condition": {"title": "t", "expression": "request.time < timestamp(\"2026-11-25T13:00:00Z\")"}},
        {"role": "roles/bigquery.admin", "members": ["user:old@example.com"],
         "condition": {"title": "t", "expression": "request.time < timestamp(\"2024-01-01T00:00:00Z\")"}},
        {"role": "roles/resourcemanager.projectIamAdmin", "members": ["user:dana@example.com"],
         "condition": {"title": "jit delegation", "expression": "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.viewer'])"}}
    ]}"#;

    #[test]
    fn default_findings_without_a_config() {
        let p = Policy::from_json(POLICY).unwrap();
        let f = audit("projects/p", &p, None, now()).unwrap();
        assert_eq!(
            kinds(&f),
            [
                (Kind::StandingSensitive, Some("roles/owner"), Some("user:alice@example.com")),
                (
                    Kind::StandingSensitive,
                    Some("roles/iam.serviceAccountTokenCreator"),
                    Some("user:ci@example.com")
                ),
                (
                    Kind::PermanentDelegation,
                    Some("roles/resourcemanager.projectIamAdmin"),
                    Some("user:dana@example.com")
                ),
            ]
        );
        assert_eq!(f[0].detail, "held with no end; a basic role");
        assert!(
            f[1].detail.starts_with("held with no end; carries `iam.serviceAccounts."),
            "{}",
            f[1].detail
        );
        assert_eq!(f[2].detail, "may grant roles/logging.viewer with no end");
    }

    #[test]
    fn the_config_adds_limits_bundles_and_its_own_sensitive_list() {
        let team = crate::team::parse(
            "max_duration = \"8h\"\nsensitive_roles = [\"roles/logging.viewer\"]\n\
             [bundles.b]\nroles = [\"roles/pubsub.viewer\"]\n",
            Path::new("jit.toml"),
        )
        .unwrap();
        let p = Policy::from_json(POLICY).unwrap();
        let f = audit("projects/p", &p, Some(&team), now()).unwrap();
        assert_eq!(
            kinds(&f),
            [
                (Kind::StandingSensitive, Some("roles/logging.viewer"), Some("group:sre@example.com")),
                (Kind::TooLong, Some("roles/storage.admin"), Some("user:bob@example.com")),
                (Kind::NoBundle, Some("roles/storage.admin"), Some("user:bob@example.com")),
                (
                    Kind::PermanentDelegation,
                    Some("roles/resourcemanager.projectIamAdmin"),
                    Some("user:dana@example.com")
                ),
            ]
        );
        assert_eq!(
            f[1].detail,
            "1d of access left (until 2026-11-26T12:00:00Z), over the 8h of `max_duration`"
        );
    }

    fn config(text: &str) -> Team {
        crate::team::parse(text, Path::new("jit.toml")).unwrap()
    }

    /// Issue 17 item 5: "too long" is the time left, from the window alone, for every tool's
    /// binding: gcloud's hand-written one (no start, no description) and one whose description
    /// claims a later "granted at" than the truth.
    #[test]
    fn too_long_is_the_time_left_whoever_wrote_it() {
        let team = config("max_duration = \"8h\"\n");
        let p = Policy::from_json(
            r#"{"version": 3, "bindings": [
            {"role": "roles/pubsub.viewer", "members": ["user:gcloud@example.com"],
             "condition": {"title": "by hand", "expression": "request.time < timestamp('2026-11-27T12:00:00Z')"}},
            {"role": "roles/pubsub.viewer", "members": ["user:liar@example.com"],
             "condition": {"title": "jit until 2026-11-27T12:00:00Z", "expression": "request.time < timestamp(\"2026-11-27T12:00:00Z\")",
                           "description": "Granted by user:x@example.com at 2026-11-27T11:00:00Z via jit."}},
            {"role": "roles/pubsub.viewer", "members": ["user:later@example.com"],
             "condition": {"title": "jit from 2026-11-30T00:00:00Z", "expression": "request.time >= timestamp(\"2026-11-30T00:00:00Z\") && request.time < timestamp(\"2026-11-30T06:00:00Z\")"}},
            {"role": "roles/pubsub.viewer", "members": ["user:old@example.com"],
             "condition": {"title": "started long ago", "expression": "request.time >= timestamp(\"2026-11-01T00:00:00Z\") && request.time < timestamp(\"2026-11-25T18:00:00Z\")"}}
        ]}"#,
        )
        .unwrap();
        let f = audit("projects/p", &p, Some(&team), now()).unwrap();
        assert_eq!(
            kinds(&f),
            [
                (Kind::TooLong, Some("roles/pubsub.viewer"), Some("user:gcloud@example.com")),
                (Kind::TooLong, Some("roles/pubsub.viewer"), Some("user:liar@example.com")),
            ],
            "a 6h window ahead and 6h left of a long one are within 8h"
        );
        assert_eq!(
            f[0].detail,
            "2d of access left (until 2026-11-27T12:00:00Z), over the 8h of `max_duration`"
        );
    }

    /// Issue 17 item 5: a delegation condition limits only setIamPolicy. On a role that is not a
    /// granting role, or one with token or key creation, the binding is the plain grant it is;
    /// a delegation that may grant a granting or escalating role is a finding.
    #[test]
    fn a_delegation_shape_hides_nothing() {
        let shape = |roles: &str, end: Option<&str>| {
            let mut e =
                format!("api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{roles}])");
            if let Some(end) = end {
                e.push_str(&format!(" && request.time < timestamp(\\\"{end}\\\")"));
            }
            e
        };
        let text = format!(
            r#"{{"version": 3, "bindings": [
            {{"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:a@example.com"],
              "condition": {{"title": "looks delegated", "expression": "{}"}}}},
            {{"role": "roles/pubsub.viewer", "members": ["user:b@example.com"],
              "condition": {{"title": "looks delegated", "expression": "{}"}}}},
            {{"role": "roles/resourcemanager.projectIamAdmin", "members": ["user:c@example.com"],
              "condition": {{"title": "jit delegation", "expression": "{}"}}}},
            {{"role": "roles/resourcemanager.projectIamAdmin", "members": ["user:d@example.com"],
              "condition": {{"title": "jit delegation", "expression": "{}"}}}}
        ]}}"#,
            shape("'roles/logging.viewer'", None),
            shape("'roles/logging.viewer'", Some("2026-11-28T12:00:00Z")),
            shape("'roles/iam.serviceAccountKeyAdmin', 'roles/logging.viewer'", Some("2026-11-26T12:00:00Z")),
            shape("'roles/resourcemanager.projectIamAdmin'", Some("2026-11-26T12:00:00Z")),
        );
        let p = Policy::from_json(&text).unwrap();
        let f = audit("projects/p", &p, None, now()).unwrap();
        assert_eq!(
            kinds(&f),
            [
                (
                    Kind::PermanentDelegation,
                    Some("roles/iam.serviceAccountTokenCreator"),
                    Some("user:a@example.com")
                ),
                (
                    Kind::StandingSensitive,
                    Some("roles/iam.serviceAccountTokenCreator"),
                    Some("user:a@example.com")
                ),
                (
                    Kind::EscalatingDelegation,
                    Some("roles/resourcemanager.projectIamAdmin"),
                    Some("user:c@example.com")
                ),
                (
                    Kind::EscalatingDelegation,
                    Some("roles/resourcemanager.projectIamAdmin"),
                    Some("user:d@example.com")
                ),
            ]
        );
        assert!(
            f[1].detail.starts_with(
                "held under a delegation condition, which limits only setIamPolicy, with a condition that has no end; \
                 carries `iam.serviceAccounts."
            ),
            "{}",
            f[1].detail
        );
        assert!(
            f[2].detail.starts_with(
                "may grant `roles/iam.serviceAccountKeyAdmin` (carries `iam.serviceAccountKeys."
            ),
            "{}",
            f[2].detail
        );
        assert_eq!(
            f[3].detail,
            "may grant `roles/resourcemanager.projectIamAdmin` (carries `resourcemanager.projects.setIamPolicy`), which lead to more access"
        );
        // With a config, the non-granting role's window is audited as any grant's.
        let team = config("max_duration = \"8h\"\n");
        let f = audit("projects/p", &p, Some(&team), now()).unwrap();
        assert!(
            f.iter().any(|f| f.finding == Kind::TooLong && f.member.as_deref() == Some("user:b@example.com")),
            "{f:?}"
        );
    }

    /// Issue 19 item 10: Google's default bucket roles (4 findings per bucket before), other
    /// convenience members and service agents' own roles are not findings; a binding a person
    /// holds is, and a `[[audit.waive]]` marks it waived with its reason.
    #[test]
    fn google_defaults_are_not_findings_and_waivers_are_marked() {
        let p = Policy::from_json(
            r#"{"version": 1, "bindings": [
            {"role": "roles/storage.legacyBucketOwner", "members": ["projectEditor:p-1", "projectOwner:p-1"]},
            {"role": "roles/storage.legacyObjectOwner", "members": ["projectEditor:p-1", "projectOwner:p-1"]},
            {"role": "roles/storage.legacyBucketReader", "members": ["projectViewer:p-1"]},
            {"role": "roles/editor", "members": ["serviceAccount:123456789@cloudservices.gserviceaccount.com",
                                                 "serviceAccount:123456789-compute@developer.gserviceaccount.com"]},
            {"role": "roles/container.serviceAgent", "members": ["serviceAccount:service-123456789@container-engine-robot.iam.gserviceaccount.com"]},
            {"role": "roles/owner", "members": ["serviceAccount:service-123456789@gcp-sa-foo.iam.gserviceaccount.com",
                                                "user:breakglass@example.com", "user:alice@example.com"]}
        ]}"#,
        )
        .unwrap();
        let f = audit("projects/_/buckets/b-1", &p, None, now()).unwrap();
        assert_eq!(
            kinds(&f),
            [
                (
                    Kind::StandingSensitive,
                    Some("roles/editor"),
                    Some("serviceAccount:123456789-compute@developer.gserviceaccount.com")
                ),
                (
                    Kind::StandingSensitive,
                    Some("roles/owner"),
                    Some("serviceAccount:service-123456789@gcp-sa-foo.iam.gserviceaccount.com")
                ),
                (Kind::StandingSensitive, Some("roles/owner"), Some("user:breakglass@example.com")),
                (Kind::StandingSensitive, Some("roles/owner"), Some("user:alice@example.com")),
            ],
            "a service agent holding roles/owner is not Google's default"
        );
        let team = config(
            "[[audit.waive]]\nmember = \"BreakGlass@example.com\"\nrole = \"roles/owner\"\n\
             resource = \"projects/_/buckets/b-1\"\nreason = \"the break-glass account, reviewed monthly\"\n\
             [[audit.waive]]\nmember = \"user:alice@example.com\"\nrole = \"roles/owner\"\n\
             resource = \"//cloudresourcemanager.googleapis.com/projects/other-1\"\nreason = \"elsewhere\"\n",
        );
        let f = audit("projects/_/buckets/b-1", &p, Some(&team), now()).unwrap();
        let waived: Vec<(Option<&str>, Option<&str>)> =
            f.iter().map(|f| (f.member.as_deref(), f.waived.as_deref())).collect();
        assert_eq!(
            waived[2],
            (Some("user:breakglass@example.com"), Some("the break-glass account, reviewed monthly"))
        );
        assert_eq!(waived[3], (Some("user:alice@example.com"), None), "waived on another resource only");
    }

    #[test]
    fn near_google_s_limits() {
        let members: Vec<String> = (0..1350).map(|i| format!("\"user:u{i}@example.com\"")).collect();
        let mut bindings =
            vec![format!(r#"{{"role": "roles/logging.viewer", "members": [{}]}}"#, members.join(","))];
        for i in 0..18 {
            bindings.push(format!(
                r#"{{"role": "roles/pubsub.viewer", "members": ["user:x@example.com"], "condition": {{"title": "t{i}", "expression": "request.time < timestamp(\"2027-01-01T00:00:0{}Z\")"}}}}"#,
                i % 10
            ));
        }
        let p = Policy::from_json(&format!(r#"{{"bindings": [{}]}}"#, bindings.join(","))).unwrap();
        let f = audit("projects/p", &p, None, now()).unwrap();
        assert_eq!(
            kinds(&f),
            [
                (Kind::NearPrincipalLimit, None, None),
                (Kind::NearBindingLimit, Some("roles/pubsub.viewer"), Some("user:x@example.com")),
            ]
        );
        assert_eq!(f[0].detail, "1368 principals of Google's limit of 1500");
        assert_eq!(f[1].detail, "in 18 bindings of the role, of Google's limit of 20");
    }
}
