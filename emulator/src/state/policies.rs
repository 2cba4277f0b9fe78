//! The policy store: `getIamPolicy` at a version, `setIamPolicy` with every check Google makes
//! (members, roles, conditions, limits, etags), the version-1 view of conditional bindings, and
//! the checks a seed's or state file's policies must pass.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::catalog;
use super::identities::canonical_member;
use super::model::{Binding, Expr, Policy};
use super::store::{Caller, EMPTY_ETAG, Kind, Store, StoreError, decode_etag};
use super::types::{compact, display_name};
use super::validation::{self, BASIC_ROLES, MAX_PRINCIPALS, MAX_SAME_ROLE_AND_MEMBER, MemberKind, PUBLIC};

impl Store {
    /// `getIamPolicy`: the policy at the requested version (0, 1 or 3).
    ///
    /// Version 3 shows conditions, with `version: 3` when any exist and 1 otherwise. Version 1 (or
    /// none) on a conditional policy shows each conditional binding's role as
    /// `<role>_withcond_<hash>` without its condition.
    /// <https://cloud.google.com/iam/docs/policies#versions>
    pub fn get_policy(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        requested_version: i64,
        now: DateTime<Utc>,
    ) -> Result<Policy, StoreError> {
        let found = self.authorize(caller, kind, id, "getIamPolicy", now)?;
        check_requested_version(requested_version)?;
        Ok(self.view(&found.key, requested_version))
    }
    /// The stored policy of a resource (an empty one, etag `ACAB`, when none was ever written).
    pub fn stored(&self, key: &str) -> Policy {
        self.data
            .policies
            .get(key)
            .cloned()
            .unwrap_or_else(|| Policy { etag: Some(EMPTY_ETAG.into()), ..Policy::default() })
    }
    fn view(&self, key: &str, requested_version: i64) -> Policy {
        let mut p = self.stored(key);
        let conditional = p.has_conditions();
        if conditional && requested_version < 3 {
            for b in &mut p.bindings {
                if let Some(c) = b.condition.take() {
                    b.role = withcond_role(&b.role, &c);
                }
            }
        }
        p.version = Some(if conditional && requested_version >= 3 { 3 } else { 1 });
        if p.bindings.is_empty() && p.extra.is_empty() && !self.data.policies.contains_key(key) {
            // A policy never written is `{"etag": "ACAB"}` alone (issue 18 item 5).
            p.version = None;
        }
        p
    }
    /// `setIamPolicy`: validates, merges and stores the policy; returns what Google returns (the
    /// new policy with conditions).
    pub fn set_policy(
        &mut self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        incoming: Policy,
        update_mask: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Policy, StoreError> {
        let found = self.authorize(caller, kind, id, "setIamPolicy", now)?;
        let mask: Vec<&str> = update_mask
            // "If no mask is provided, the following default mask is used: paths: "bindings, etag""
            // <https://cloud.google.com/resource-manager/reference/rest/v1/projects/setIamPolicy>
            .unwrap_or("bindings,etag")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        for path in &mask {
            if !["bindings", "etag", "version", "auditConfigs", "audit_configs"].contains(path) {
                return Err(StoreError::Invalid(format!("Invalid update_mask path: {path}")));
            }
        }
        let current = self.stored(&found.key);
        let version = i64::from(incoming.version.unwrap_or(0));
        if ![0, 1, 3].contains(&version) {
            return Err(StoreError::Invalid(format!(
                "Invalid policy version: {version}. Valid values are 0, 1 and 3."
            )));
        }
        if kind == Kind::Bucket
            && incoming.bindings.iter().any(|b| b.condition.is_some())
            && !self.bucket(id).is_some_and(|b| b.uniform_bucket_level_access)
        {
            // 412, not 400: python-storage's system test expects `PreconditionFailed` matching
            // "enable uniform bucket-level access" (googleapis/python-storage,
            // tests/system/test_bucket.py, test_get_set_iam_policy). The full text is ours.
            return Err(StoreError::FailedPrecondition(format!(
                "IAM conditions cannot be used on bucket {id}; enable uniform bucket-level access on the bucket \
                 first. See https://cloud.google.com/storage/docs/uniform-bucket-level-access"
            )));
        }
        let in_hierarchy = |role: &str| self.custom_role_in_hierarchy(&found.key, role);
        let bindings =
            validate_bindings(kind, &incoming.bindings, version, &self.known_identities(), &in_hierarchy)?;
        self.check_new_bindings(kind, &current.bindings, &bindings)?;
        // "Only projects, folders, and organizations accept conditions to limit role granting in
        // their allow policies" (<https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>).
        // The message is the emulator's; Google's is not documented.
        if !kind.is_hierarchy()
            && let Some(b) = bindings.iter().find(|b| {
                b.condition.as_ref().is_some_and(|c| validation::reads_modified_grants(&c.expression))
            })
        {
            return Err(StoreError::Invalid(format!(
                "Condition on role {} uses iam.googleapis.com/modifiedGrantsByRole, which only projects, folders \
                 and organizations accept.",
                b.role
            )));
        }
        // Delegated role granting: `authorize` above let through a caller whose only route to
        // setIamPolicy may be a binding conditioned on the roles the request modifies (there the
        // attribute was undefined, so its default `[]` made `hasOnly` true). Now that the new
        // bindings are known, every condition is evaluated again with the attribute bound to "the
        // role names from the role bindings that the request modifies"
        // (<https://cloud.google.com/iam/docs/conditions-attribute-reference#api-attributes>), and a
        // write touching another role gets the same 403 as a caller without the permission.
        let modified = modified_roles(&current.bindings, &bindings);
        if !self.has_permission_for(
            caller,
            &found.key,
            &kind.permission("setIamPolicy"),
            now,
            Some(&modified),
        ) {
            return Err(StoreError::Denied {
                permission: kind.permission("setIamPolicy"),
                resource: display_name(kind, id),
            });
        }
        let mut extra = Map::new();
        let audit = if mask.iter().any(|p| *p == "auditConfigs" || *p == "audit_configs") {
            incoming.extra.get("auditConfigs").cloned()
        } else {
            current.extra.get("auditConfigs").cloned()
        };
        if let Some(a) = audit.filter(|a| !a.as_array().is_some_and(Vec::is_empty)) {
            extra.insert("auditConfigs".into(), a);
        }
        let principals = bindings.iter().map(|b| b.members.len()).sum::<usize>() + audit_exemptions(&extra);
        if principals > MAX_PRINCIPALS {
            // Google's words, e.g. <https://github.com/kubeflow/pipelines/issues/1146>.
            return Err(StoreError::Invalid(format!(
                "The number of members in the policy ({}) is larger than the maximum allowed size {}.",
                thousands(principals),
                thousands(MAX_PRINCIPALS)
            )));
        }
        if let Some(etag) = incoming.etag.as_deref().filter(|e| !e.is_empty()) {
            let sent =
                decode_etag(etag).ok_or_else(|| StoreError::Invalid(format!("Invalid etag: {etag}")))?;
            let stored = current.etag.as_deref().and_then(decode_etag).unwrap_or_default();
            if sent != stored {
                return Err(StoreError::Aborted {
                    sent: etag.to_string(),
                    current: current.etag.clone().unwrap_or_else(|| EMPTY_ETAG.to_string()),
                });
            }
            let stored_version = if current.has_conditions() { 3 } else { 1 };
            if version.max(1) < stored_version {
                // <https://github.com/hashicorp/vault-plugin-secrets-gcp/issues/88>
                return Err(StoreError::Invalid(format!(
                    "Specified policy version ({}) cannot be less than the existing policy version ({stored_version}). \
                     For more information, please refer to https://cloud.google.com/iam/docs/policies#versions",
                    version.max(1)
                )));
            }
        }
        let conditional = bindings.iter().any(|b| b.condition.is_some());
        let stored = Policy {
            version: Some(if conditional { 3 } else { 1 }),
            bindings,
            extra,
            etag: Some(if kind == Kind::Bucket {
                super::types::next_storage_etag(current.etag.as_deref())
            } else {
                self.next_etag(now)
            }),
        };
        // Every successful write leaves an Admin Activity entry, as Google's do (issue 11 item 5).
        let sequence = self.data.log_entries.len() as u64 + 1;
        let entry = super::audit_log::set_iam_policy_entry(
            self,
            caller,
            kind,
            &found.key,
            (&current, &stored),
            now,
            sequence,
        );
        self.log_json.push(compact(&entry));
        self.data.log_entries.push(entry);
        self.log_version += 1;
        let before = self.data.policies.insert(found.key.clone(), stored.clone());
        self.history.entry(found.key).or_default().push((now, before));
        Ok(stored)
    }
    /// A new etag: 8 bytes, never repeated. Google's look like `BwYRRpZ0Nr8=` (a timestamp in
    /// microseconds); these are too, made strictly increasing.
    fn next_etag(&mut self, now: DateTime<Utc>) -> String {
        let micros = u64::try_from(now.timestamp_micros()).unwrap_or(0);
        self.last_etag = micros.max(self.last_etag + 1);
        STANDARD.encode(self.last_etag.to_be_bytes())
    }
}

/// The roles whose bindings differ between the stored policy and the new one: a binding of the
/// role added, removed, or with other members or another condition (members compared as a set,
/// conditions by expression, title and description, the fields Google compares). Sorted.
pub fn modified_roles(before: &[Binding], after: &[Binding]) -> Vec<String> {
    use std::collections::BTreeSet;
    type Shape = (Option<(String, String, String)>, BTreeSet<String>);
    let shapes = |bindings: &[Binding]| {
        let mut by_role: BTreeMap<String, Vec<Shape>> = BTreeMap::new();
        for b in bindings {
            let condition = b.condition.as_ref().map(|c| {
                (
                    c.expression.clone(),
                    c.title.clone().unwrap_or_default(),
                    c.description.clone().unwrap_or_default(),
                )
            });
            by_role.entry(b.role.clone()).or_default().push((condition, b.members.iter().cloned().collect()));
        }
        for v in by_role.values_mut() {
            v.sort();
            v.retain(|(_, members)| !members.is_empty());
        }
        by_role.retain(|_, v| !v.is_empty());
        by_role
    };
    let (a, b) = (shapes(before), shapes(after));
    let roles: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    roles.into_iter().filter(|r| a.get(*r) != b.get(*r)).cloned().collect()
}
/// `requestedPolicyVersion` may be 0 (unset), 1 or 3.
/// <https://cloud.google.com/iam/docs/policies#specifying-version-get>
fn check_requested_version(v: i64) -> Result<(), StoreError> {
    if [0, 1, 3].contains(&v) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "Invalid requested policy version: {v}. Valid values are 0, 1 and 3."
        )))
    }
}
/// `roles/x_withcond_<20 hex>`: the role of a conditional binding in a version-1 view. Google's
/// suffix is an opaque hash; ours is the first 10 bytes of SHA-256 over the condition.
pub fn withcond_role(role: &str, c: &Expr) -> String {
    let mut h = Sha256::new();
    for part in [c.expression.as_str(), c.title(), c.description()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("{role}_withcond_{}", hex::encode(&h.finalize()[..10]))
}
fn audit_exemptions(extra: &Map<String, Value>) -> usize {
    extra
        .get("auditConfigs")
        .and_then(Value::as_array)
        .map(|configs| {
            configs
                .iter()
                .filter_map(|c| c.get("auditLogConfigs").and_then(Value::as_array))
                .flatten()
                .filter_map(|l| l.get("exemptedMembers").and_then(Value::as_array))
                .map(Vec::len)
                .sum()
        })
        .unwrap_or(0)
}
/// `1500` → `1,500`, as Google prints counts in its limit message.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
/// Checks every binding the way Google does and merges bindings with the same role and condition
/// (members de-duplicated, first occurrence kept), then orders bindings by role and members
/// alphabetically as Google's responses show them.
fn validate_bindings(
    kind: Kind,
    bindings: &[Binding],
    version: i64,
    known: &HashMap<String, String>,
    custom_in_hierarchy: &dyn Fn(&str) -> bool,
) -> Result<Vec<Binding>, StoreError> {
    let mut merged: Vec<Binding> = Vec::new();
    for b in bindings {
        // A malformed role and a predefined role Google does not define get the same answer:
        // "Role roles/securityReviewer is not supported for this resource."
        // (terraform-google-modules/terraform-google-iam#91, #219), a custom role not defined
        // on the resource or above another: "Role (organizations/59485982875/roles/FortigateSdnViewer)
        // does not exist in the resource's hierarchy." (GoogleCloudPlatform/pubsec-declarative-toolkit#608).
        let predefined = b.role.starts_with("roles/");
        if !validation::role_ok(&b.role) || (predefined && !catalog::is_predefined(&b.role)) {
            return Err(StoreError::Invalid(format!("Role {} is not supported for this resource.", b.role)));
        }
        if !predefined && !custom_in_hierarchy(&b.role) {
            return Err(StoreError::Invalid(format!(
                "Role ({}) does not exist in the resource's hierarchy.",
                b.role
            )));
        }
        if b.members.is_empty() {
            // "bindings with no members will result in an error" (google/iam/v1/policy.proto).
            return Err(StoreError::Invalid(format!("Policy binding for role {} has no members.", b.role)));
        }
        for m in &b.members {
            if !m.contains(':') && !PUBLIC.contains(&m.as_str()) {
                // <https://github.com/hashicorp/terraform-provider-google/issues/4965>
                return Err(StoreError::Invalid(
                    "Policy members must be of the form \"<type>:<value>\".".into(),
                ));
            }
            if validation::member_kind(m).is_none() {
                return Err(StoreError::Invalid(format!(
                    "The member {m} is of an unknown type. Please set a valid type prefix for the member."
                )));
            }
            if kind != Kind::Bucket && validation::member_kind(m) == Some(MemberKind::Convenience) {
                // Convenience values are Cloud Storage's alone: Storage's `Policy.bindings[].members`
                // lists `projectOwner:projectid` ("Owners of the given project"), `projectEditor:`,
                // `projectViewer:` (storage v1 discovery document; gcloud's
                // `storage_v1_messages.py`), Resource Manager's `Binding.members` does not. That
                // the other services refuse them with the answer for any unknown prefix is assumed.
                return Err(StoreError::Invalid(format!(
                    "The member {m} is of an unknown type. Please set a valid type prefix for the member."
                )));
            }
            if kind == Kind::Project && PUBLIC.contains(&m.as_str()) {
                // "Project does not support allUsers and allAuthenticatedUsers as members in a
                // Binding of a Policy." (v1 projects.setIamPolicy reference)
                return Err(StoreError::Invalid(format!(
                    "Project does not support {m} as a member in a Binding of a Policy."
                )));
            }
        }
        if let Some(c) = &b.condition {
            if version < 3 && kind == Kind::Bucket {
                // Storage's own words include "at least 3" (python-storage's system test
                // test_get_set_iam_policy expects `BadRequest` matching it).
                return Err(StoreError::Invalid(
                    "IAM policy version must be at least 3 to set a policy with conditions.".into(),
                ));
            }
            if version < 3 {
                return Err(StoreError::Invalid(
                    "Conditional bindings require policy version 3. For more information, please refer to \
                     https://cloud.google.com/iam/docs/policies#versions"
                        .into(),
                ));
            }
            if BASIC_ROLES.contains(&b.role.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "Conditions are not supported for basic role {}. For more information, please refer to \
                     https://cloud.google.com/iam/docs/conditions-overview#limitations",
                    b.role
                )));
            }
            if let Some(m) = b.members.iter().find(|m| PUBLIC.contains(&m.as_str())) {
                return Err(StoreError::Invalid(format!(
                    "Conditions are not supported for {m}. For more information, please refer to \
                     https://cloud.google.com/iam/docs/conditions-overview#limitations"
                )));
            }
            if let Some(e) = validation::condition_error(&c.expression) {
                return Err(StoreError::Invalid(format!("Condition expression is invalid: {e}")));
            }
        }
        // Known identities are stored in their own case, as Google does.
        let canonical: Vec<String> = b.members.iter().map(|m| canonical_member(m, known)).collect();
        let b = &Binding { members: canonical, ..b.clone() };
        match merged.iter_mut().find(|x| x.same_target(b)) {
            Some(x) => {
                for m in &b.members {
                    if !x.members.contains(m) {
                        x.members.push(m.clone());
                    }
                }
            }
            None => {
                let mut members: Vec<String> = Vec::new();
                for m in &b.members {
                    if !members.contains(m) {
                        members.push(m.clone());
                    }
                }
                merged.push(Binding { members, ..b.clone() });
            }
        }
    }
    let mut per_role_member: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for b in &merged {
        for m in &b.members {
            *per_role_member.entry((&b.role, m)).or_default() += 1;
        }
    }
    if let Some(((role, member), n)) =
        per_role_member.into_iter().find(|(_, n)| *n > MAX_SAME_ROLE_AND_MEMBER)
    {
        return Err(StoreError::Invalid(format!(
            "The policy has {n} bindings of role {role} to principal {member}; at most {MAX_SAME_ROLE_AND_MEMBER} \
             bindings may bind the same principal to the same role."
        )));
    }
    for b in &mut merged {
        b.members.sort();
    }
    merged.sort_by(|a, b| a.role.cmp(&b.role));
    Ok(merged)
}
/// Why a stored policy (from a seed or state file) could not have come from Google, if it could
/// not: the same checks as a write, plus a decodable etag.
pub(crate) fn check_policy(
    kind: Kind,
    policy: &Policy,
    known: &HashMap<String, String>,
    custom_in_hierarchy: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    let version = if policy.has_conditions() { 3 } else { i64::from(policy.version.unwrap_or(1)) };
    let message = |e: StoreError| match e {
        StoreError::Invalid(m) | StoreError::NotFound(m) | StoreError::FailedPrecondition(m) => m,
        other => format!("{other:?}"),
    };
    let bindings =
        validate_bindings(kind, &policy.bindings, version, known, custom_in_hierarchy).map_err(message)?;
    let principals =
        bindings.iter().map(|b| b.members.len()).sum::<usize>() + audit_exemptions(&policy.extra);
    if principals > MAX_PRINCIPALS {
        return Err(format!("it has {principals} principals; at most {MAX_PRINCIPALS} are allowed"));
    }
    if let Some(etag) = &policy.etag
        && decode_etag(etag).is_none()
    {
        return Err(format!("its etag `{etag}` is not base64"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::state::model::Data;
    use crate::state::seed::demo_seed;

    use crate::state::test_support::*;

    /// Delegated role granting: bob holds projectIamAdmin only under the documented condition, so
    /// a write changing a listed role lands and one changing any other role is a 403, whose
    /// stored policy is untouched; reads are not limited.
    #[test]
    fn a_delegate_changes_only_the_roles_listed() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(Binding {
            role: "roles/resourcemanager.projectIamAdmin".into(),
            members: vec!["user:bob@example.com".into()],
            condition: Some(Expr {
                expression: "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(\
                             ['roles/logging.viewer', 'roles/pubsub.viewer']) && request.time < \
                             timestamp(\"2026-11-25T14:00:00Z\")"
                    .into(),
                title: Some("delegation".into()),
                ..Expr::default()
            }),
            ..Binding::default()
        });
        write(&mut s, p).unwrap();
        let as_bob = |s: &mut Store, role: &str, at: u32| {
            let mut p = s.get_policy(&bob(), Kind::Project, "jit-demo-prod", 3, t(at))?;
            p.bindings.push(Binding {
                role: role.into(),
                members: vec!["user:carol@example.com".into()],
                ..Binding::default()
            });
            s.set_policy(&bob(), Kind::Project, "jit-demo-prod", p, None, t(at))
        };
        assert!(as_bob(&mut s, "roles/logging.viewer", 12).is_ok());
        let before = s.stored("projects/jit-demo-prod");
        assert_eq!(
            as_bob(&mut s, "roles/storage.admin", 12).unwrap_err(),
            StoreError::Denied {
                permission: "resourcemanager.projects.setIamPolicy".into(),
                resource: "projects/jit-demo-prod".into()
            }
        );
        assert_eq!(s.stored("projects/jit-demo-prod"), before, "nothing was written");
        // Removing a member of an unlisted role is a change of that role too.
        let mut p = s.get_policy(&bob(), Kind::Project, "jit-demo-prod", 3, t(12)).unwrap();
        p.bindings.retain(|b| b.role != "roles/viewer");
        assert!(s.set_policy(&bob(), Kind::Project, "jit-demo-prod", p, None, t(12)).is_err());
        // After the delegation's end, not even a listed role.
        assert!(as_bob(&mut s, "roles/pubsub.viewer", 15).is_err());
        assert!(
            s.test_permissions(
                &bob(),
                Kind::Project,
                "jit-demo-prod",
                &["resourcemanager.projects.setIamPolicy".into()],
                t(12)
            )
            .unwrap()
            .len()
                == 1
        );
    }
    #[test]
    fn only_the_hierarchy_accepts_a_delegation_condition() {
        let mut s = store();
        let mut p = s.get_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", 3, t(12)).unwrap();
        p.bindings.push(Binding {
            role: "roles/storage.admin".into(),
            members: vec!["user:bob@example.com".into()],
            condition: Some(Expr {
                expression: "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/storage.objectViewer'])".into(),
                title: Some("d".into()),
                ..Expr::default()
            }),
            ..Binding::default()
        });
        p.version = Some(3);
        assert_eq!(
            s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", p, None, t(12)).unwrap_err(),
            StoreError::Invalid(
                "Condition on role roles/storage.admin uses iam.googleapis.com/modifiedGrantsByRole, which only \
                 projects, folders and organizations accept."
                    .into()
            )
        );
    }
    #[test]
    fn modified_roles_compare_bindings_by_role() {
        let b = |role: &str, members: &[&str], cond: Option<&str>| Binding {
            role: role.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            condition: cond.map(|c| Expr { expression: c.into(), ..Expr::default() }),
            ..Binding::default()
        };
        let before = vec![
            b("roles/a.b", &["user:x@e.com", "user:y@e.com"], None),
            b("roles/c.d", &["user:x@e.com"], None),
        ];
        assert_eq!(modified_roles(&before, &before), Vec::<String>::new());
        let reordered = vec![
            b("roles/c.d", &["user:x@e.com"], None),
            b("roles/a.b", &["user:y@e.com", "user:x@e.com"], None),
        ];
        assert_eq!(modified_roles(&before, &reordered), Vec::<String>::new(), "order is no change");
        let after = vec![
            b("roles/a.b", &["user:x@e.com"], None),
            b("roles/c.d", &["user:x@e.com"], Some("true")),
            b("roles/e.f", &["user:z@e.com"], None),
        ];
        assert_eq!(modified_roles(&before, &after), ["roles/a.b", "roles/c.d", "roles/e.f"]);
    }
    #[test]
    fn delegation_conditions_follow_google_s_rules() {
        let too_many: Vec<String> = (0..11).map(|i| format!("'roles/r.r{i}'")).collect();
        let cases = [
            (
                format!("api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{}])", too_many.join(", ")),
                Some("hasOnly() on iam.googleapis.com/modifiedGrantsByRole lists 11 roles; at most 10 are allowed"),
            ),
            (
                "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', ['roles/a.b']).hasOnly(['roles/a.b'])".to_string(),
                Some("the default value of iam.googleapis.com/modifiedGrantsByRole must be an empty list"),
            ),
            (
                "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([request.path])".to_string(),
                Some("hasOnly() on iam.googleapis.com/modifiedGrantsByRole takes a list of string constants"),
            ),
            ("api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/a.b'])".to_string(), None),
        ];
        for (e, want) in cases {
            assert_eq!(validation::condition_error(&e).as_deref(), want, "{e}");
        }
    }
    #[test]
    fn etags_are_8_bytes_new_on_every_write_and_accepted_in_either_alphabet() {
        let mut s = store();
        let p = read(&s, 3);
        let e1 = p.etag.clone().unwrap();
        assert_eq!(decode_etag(&e1).unwrap().len(), 8);
        let mut p2 = write(&mut s, p.clone()).unwrap();
        let e2 = p2.etag.clone().unwrap();
        assert_ne!(e1, e2);
        assert_eq!(decode_etag(&e2).unwrap().len(), 8);
        // The same content written twice still gets a new etag.
        p2.version = Some(3);
        let e3 = write(&mut s, p2.clone()).unwrap().etag.unwrap();
        assert_ne!(e2, e3);
        // The stale etag: 409.
        assert_eq!(
            write(&mut s, p2.clone()),
            Err(StoreError::Aborted { sent: e2.clone(), current: e3.clone() })
        );
        // URL-safe spelling of the current etag is the same etag.
        let mut p3 = read(&s, 3);
        p3.etag = Some(p3.etag.unwrap().replace('+', "-").replace('/', "_"));
        write(&mut s, p3).unwrap();
        // No etag: a blind write.
        let mut blind = read(&s, 3);
        blind.etag = None;
        write(&mut s, blind).unwrap();
    }
    #[test]
    fn versions_and_withcond_views() {
        let s = store();
        let v3 = read(&s, 3);
        assert_eq!(v3.version, Some(3));
        assert!(v3.bindings.iter().any(|b| b.condition.is_some()));
        for v in [0, 1] {
            let v1 = read(&s, v);
            assert_eq!(v1.version, Some(1));
            assert!(v1.bindings.iter().all(|b| b.condition.is_none()));
            let role = &v1.bindings.iter().find(|b| b.role.contains("_withcond_")).unwrap().role;
            let suffix = role.split("_withcond_").nth(1).unwrap();
            assert_eq!(suffix.len(), 20);
            assert!(suffix.chars().all(|c| c.is_ascii_hexdigit()));
            assert!(v1.is_version1_view_of_conditions());
        }
        // No conditions: version 1 whatever was asked.
        let dev = s.get_policy(&alice(), Kind::Project, "jit-demo-dev", 3, t(12)).unwrap();
        assert_eq!(dev.version, Some(1));
        assert!(matches!(
            s.get_policy(&alice(), Kind::Project, "jit-demo-dev", 2, t(12)),
            Err(StoreError::Invalid(_))
        ));
    }
    #[test]
    fn a_version_1_write_over_conditions_with_an_etag_is_refused() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.retain(|b| b.condition.is_none());
        p.version = Some(1);
        let Err(StoreError::Invalid(m)) = write(&mut s, p.clone()) else { panic!() };
        assert!(m.starts_with(
            "Specified policy version (1) cannot be less than the existing policy version (3)."
        ));
        // Without an etag the same write is a blind overwrite.
        p.etag = None;
        assert_eq!(write(&mut s, p).unwrap().version, Some(1));
    }
    #[test]
    fn a_condition_needs_version_3() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.version = Some(1);
        let Err(StoreError::Invalid(m)) = write(&mut s, p) else { panic!() };
        assert!(m.contains("version 3"), "{m}");
    }
    #[test]
    fn validation() {
        let mut s = store();
        let base = read(&s, 3);
        let with = |b: Binding| {
            let mut p = base.clone();
            p.bindings.push(b);
            p
        };
        let cases = [
            (
                Binding {
                    role: "roles/storage.admin".into(),
                    members: vec!["alice@example.com".into()],
                    ..Binding::default()
                },
                "Policy members must be of the form",
            ),
            (
                Binding {
                    role: "roles/storage.admin".into(),
                    members: vec!["robot:x@example.com".into()],
                    ..Binding::default()
                },
                "unknown type",
            ),
            (
                Binding {
                    role: "storage.admin".into(),
                    members: vec!["user:x@example.com".into()],
                    ..Binding::default()
                },
                "Role storage.admin is not supported",
            ),
            (
                Binding { role: "roles/storage.admin".into(), members: vec![], ..Binding::default() },
                "has no members",
            ),
            (
                Binding {
                    role: "roles/storage.admin".into(),
                    members: vec!["allUsers".into()],
                    ..Binding::default()
                },
                "Project does not support allUsers",
            ),
            (
                Binding { role: "roles/owner".into(), ..grant_bob("2026-11-25T14:00:00Z") },
                "basic role roles/owner",
            ),
            (
                Binding {
                    condition: Some(Expr {
                        expression: "request.time < ".into(),
                        title: Some("x".into()),
                        ..Expr::default()
                    }),
                    ..grant_bob("x")
                },
                "Condition expression is invalid",
            ),
        ];
        for (b, want) in cases {
            let Err(StoreError::Invalid(m)) = write(&mut s, with(b.clone())) else {
                panic!("{b:?} accepted")
            };
            assert!(m.contains(want), "{m} lacks {want}");
        }
        // allUsers is fine unconditionally on an organization, not with a condition.
        let mut org = s.get_policy(&alice(), Kind::Organization, "123456789012", 3, t(12)).unwrap();
        org.bindings.push(Binding {
            role: "roles/browser".into(),
            members: vec!["allAuthenticatedUsers".into()],
            ..Binding::default()
        });
        s.set_policy(&alice(), Kind::Organization, "123456789012", org.clone(), None, t(12)).unwrap();
        let mut org = s.get_policy(&alice(), Kind::Organization, "123456789012", 3, t(12)).unwrap();
        org.version = Some(3);
        org.bindings.push(Binding { members: vec!["allUsers".into()], ..grant_bob("2026-11-25T14:00:00Z") });
        let Err(StoreError::Invalid(m)) =
            s.set_policy(&alice(), Kind::Organization, "123456789012", org, None, t(12))
        else {
            panic!()
        };
        assert!(m.contains("Conditions are not supported for allUsers"), "{m}");
    }
    #[test]
    fn bindings_with_the_same_role_and_condition_merge_and_members_deduplicate() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(grant_bob("2026-11-25T14:00:00Z"));
        let mut again = grant_bob("2026-11-25T14:00:00Z");
        again.members = vec!["user:dave@example.com".into(), "user:bob@example.com".into()];
        p.bindings.push(again);
        p.bindings.push(Binding {
            role: "roles/viewer".into(),
            members: vec!["user:erin@example.com".into()],
            ..Binding::default()
        });
        let stored = write(&mut s, p).unwrap();
        let jit: Vec<&Binding> =
            stored.bindings.iter().filter(|b| b.role == "roles/resourcemanager.projectIamAdmin").collect();
        assert_eq!(jit.len(), 1);
        assert_eq!(jit[0].members, ["user:bob@example.com", "user:dave@example.com"]);
        let viewers: Vec<&Binding> = stored.bindings.iter().filter(|b| b.role == "roles/viewer").collect();
        assert_eq!(viewers.len(), 1);
        assert!(viewers[0].members.contains(&"user:erin@example.com".to_string()));
        // Audit configs survive a write whose mask does not name them.
        assert!(stored.extra.contains_key("auditConfigs"));
    }
    #[test]
    fn limits() {
        let mut s = store();
        let mut p = read(&s, 3);
        let mut big = Binding { role: "roles/storage.objectViewer".into(), ..Binding::default() };
        let already = p.principal_count();
        for i in 0..(MAX_PRINCIPALS - already) {
            big.members.push(format!("user:u{i}@example.com"));
        }
        p.bindings.push(big.clone());
        let ok = write(&mut s, p).unwrap();
        assert_eq!(ok.principal_count(), MAX_PRINCIPALS);
        let mut p = read(&s, 3);
        p.bindings.push(Binding {
            role: "roles/compute.viewer".into(),
            members: vec!["user:one-more@example.com".into()],
            ..Binding::default()
        });
        let Err(StoreError::Invalid(m)) = write(&mut s, p) else { panic!() };
        assert_eq!(
            m,
            "The number of members in the policy (1,501) is larger than the maximum allowed size 1,500."
        );

        let mut s = store();
        let mut p = read(&s, 3);
        for i in 0..MAX_SAME_ROLE_AND_MEMBER {
            p.bindings.push(grant_bob(&format!("2026-11-25T{:02}:00:00Z", i + 1)));
        }
        let mut p = write(&mut s, p).unwrap();
        p.bindings.push(grant_bob("2026-11-26T00:00:00Z"));
        let Err(StoreError::Invalid(m)) = write(&mut s, p) else { panic!() };
        assert!(m.contains("at most 20"), "{m}");
    }
    #[test]
    fn a_role_google_does_not_define_is_refused_with_googles_message() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(binding("roles/storage.objectViwer", "user:bob@example.com"));
        assert_eq!(
            write(&mut s, p),
            Err(StoreError::Invalid(
                "Role roles/storage.objectViwer is not supported for this resource.".into()
            ))
        );
        // A custom role nobody declared, and one declared on another project.
        for role in ["projects/jit-demo-prod/roles/nope", "projects/jit-demo-dev/roles/secretReader"] {
            let mut p = read(&s, 3);
            p.bindings.push(binding(role, "user:bob@example.com"));
            assert_eq!(
                write(&mut s, p),
                Err(StoreError::Invalid(format!(
                    "Role ({role}) does not exist in the resource's hierarchy."
                ))),
            );
        }
    }
    #[test]
    fn seeds_with_custom_roles_are_checked() {
        let with = |f: &dyn Fn(&mut Data)| {
            let mut d = demo_seed();
            f(&mut d);
            d.check()
        };
        assert_eq!(
            with(&|d| d.custom_roles[1].name = "projects/nope-nope/roles/x".into()),
            Err("the parent `projects/nope-nope` of custom role `projects/nope-nope/roles/x` is not in the seed".into())
        );
        assert_eq!(
            with(&|d| d.custom_roles[1].name = "folders/234567890123/roles/x".into()),
            Err("custom role `folders/234567890123/roles/x` is not named projects/PROJECT_ID/roles/ID or organizations/NUMBER/roles/ID".into())
        );
        assert_eq!(
            with(&|d| d.custom_roles[1].included_permissions.push("secretmanager.versions.acess".into())),
            Err("custom role `projects/jit-demo-prod/roles/secretReader` includes `secretmanager.versions.acess`, which no predefined role carries (a typo?)".into())
        );
        assert_eq!(
            with(&|d| d.custom_roles[0].stage = Some("gA".into())),
            Err("custom role `organizations/123456789012/roles/iamAuditor` has stage `gA`; use ALPHA, BETA, GA, DEPRECATED, DISABLED or EAP".into())
        );
        assert_eq!(
            with(&|d| {
                let again = d.custom_roles[0].clone();
                d.custom_roles.push(again);
            }),
            Err("custom role `organizations/123456789012/roles/iamAuditor` appears twice".into())
        );
        // A seed's policy may bind a custom role only where it is defined or below.
        assert_eq!(
            with(&|d| d
                .policies
                .get_mut("projects/jit-demo-dev")
                .unwrap()
                .bindings
                .push(binding("projects/jit-demo-prod/roles/secretReader", "user:bob@example.com"))),
            Err("the policy of `projects/jit-demo-dev` cannot be served: Role (projects/jit-demo-prod/roles/secretReader) does not exist in the resource's hierarchy.".into())
        );
        assert_eq!(
            with(&|d| d
                .policies
                .get_mut("projects/jit-demo-dev")
                .unwrap()
                .bindings
                .push(binding("roles/a.b", "user:bob@example.com"))),
            Err("the policy of `projects/jit-demo-dev` cannot be served: Role roles/a.b is not supported for this resource.".into())
        );
    }
    #[test]
    fn seeds_are_checked() {
        assert_eq!(demo_seed().check(), Ok(()));
        let mut d = demo_seed();
        d.projects[0].parent = "folders/999".into();
        assert!(d.check().unwrap_err().contains("folders/999"));
        let mut d = demo_seed();
        d.policies.insert("projects/nope-nope".into(), Policy::default());
        assert!(d.check().unwrap_err().contains("projects/nope-nope"));
        let mut d = demo_seed();
        d.projects[1].project_number = d.projects[0].project_number.clone();
        assert!(d.check().unwrap_err().contains("twice"));
    }
    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A write: which members to grant `roles/storage.objectViewer`, whether to send the etag
        /// read just before (fresh), an older one (stale) or none (blind), and in which alphabet.
        #[derive(Debug, Clone)]
        struct Write {
            members: Vec<u8>,
            etag: u8,
            url_safe: bool,
        }

        fn writes() -> impl Strategy<Value = Vec<Write>> {
            prop::collection::vec(
                (prop::collection::vec(0u8..6, 1..4), 0u8..3, any::<bool>())
                    .prop_map(|(members, etag, url_safe)| Write { members, etag, url_safe }),
                1..12,
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

            /// Every write lands or is ABORTED; a landed write is exactly what is stored next, a
            /// stale etag never lands, and etags never repeat.
            #[test]
            fn writes_land_whole_or_not_at_all(ws in writes()) {
                let mut s = store();
                let mut seen = BTreeSet::new();
                let mut previous_etag = read(&s, 3).etag.unwrap();
                seen.insert(previous_etag.clone());
                for w in ws {
                    let current = read(&s, 3);
                    let mut p = current.clone();
                    p.bindings.retain(|b| b.role != "roles/storage.objectViewer");
                    p.bindings.push(Binding {
                        role: "roles/storage.objectViewer".into(),
                        members: w.members.iter().map(|m| format!("user:u{m}@example.com")).collect(),
                        ..Binding::default()
                    });
                    let etag = match w.etag {
                        0 => current.etag.clone(),
                        1 => Some(previous_etag.clone()),
                        _ => None,
                    };
                    p.etag = etag.map(|e| if w.url_safe { e.replace('+', "-").replace('/', "_") } else { e });
                    let stale = w.etag == 1 && previous_etag != current.etag.clone().unwrap();
                    match write(&mut s, p.clone()) {
                        Ok(stored) => {
                            prop_assert!(!stale);
                            let after = read(&s, 3);
                            prop_assert_eq!(&after, &stored);
                            let mut want: Vec<String> = p.bindings.last().unwrap().members.clone();
                            want.sort();
                            want.dedup();
                            let got = &after.bindings.iter().find(|b| b.role == "roles/storage.objectViewer").unwrap().members;
                            prop_assert_eq!(got, &want);
                            prop_assert!(seen.insert(stored.etag.clone().unwrap()), "an etag repeated");
                        }
                        Err(StoreError::Aborted { .. }) => {
                            prop_assert!(stale);
                            prop_assert_eq!(&read(&s, 3), &current);
                        }
                        Err(e) => prop_assert!(false, "unexpected {:?}", e),
                    }
                    previous_etag = current.etag.clone().unwrap();
                }
            }

            /// Whatever the bindings, a write merges to one binding per (role, condition) with
            /// distinct, sorted members, and writing the result again changes nothing but the etag.
            #[test]
            fn merging_is_idempotent(groups in prop::collection::vec((0u8..3, prop::collection::vec(0u8..5, 1..4)), 1..8)) {
                let mut s = store();
                let mut p = read(&s, 3);
                for (role, members) in &groups {
                    p.bindings.push(Binding {
                        // Roles Google defines: a made-up one is refused (Role … is not supported).
                        role: ["roles/logging.admin", "roles/logging.logWriter", "roles/logging.bucketWriter"][usize::from(*role)].to_string(),
                        members: members.iter().map(|m| format!("user:u{m}@example.com")).collect(),
                        ..Binding::default()
                    });
                }
                let once = write(&mut s, p).unwrap();
                for b in &once.bindings {
                    let mut sorted = b.members.clone();
                    sorted.sort();
                    sorted.dedup();
                    prop_assert_eq!(&sorted, &b.members);
                }
                let keys: Vec<(String, Option<String>)> =
                    once.bindings.iter().map(|b| (b.role.clone(), b.condition.as_ref().map(|c| c.expression.clone()))).collect();
                let distinct: BTreeSet<_> = keys.iter().cloned().collect();
                prop_assert_eq!(keys.len(), distinct.len());
                let again = read(&s, 3);
                let twice = write(&mut s, again).unwrap();
                prop_assert_eq!(&once.bindings, &twice.bindings);
                prop_assert_ne!(once.etag, twice.etag);
            }
        }
    }
    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1500), "1,500");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    // ---- issue 9: the kinds below a project -------------------------------------------------------
    #[test]
    fn a_bucket_takes_a_condition_only_with_uniform_access_and_version_3() {
        let mut s = store();
        let cond = Binding {
            role: "roles/storage.objectViewer".into(),
            members: vec!["user:bob@example.com".into()],
            condition: Some(Expr {
                expression: "request.time < timestamp(\"2030-01-01T00:00:00Z\")".into(),
                title: Some("t".into()),
                ..Expr::default()
            }),
            ..Binding::default()
        };
        let p = |v| Policy { version: Some(v), bindings: vec![cond.clone()], ..Policy::default() };
        let legacy = s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-legacy", p(3), None, t(12));
        assert!(
            matches!(&legacy, Err(StoreError::FailedPrecondition(m)) if m.contains("enable uniform bucket-level access")),
            "{legacy:?}"
        );
        assert_eq!(
            s.stored("projects/_/buckets/jit-demo-prod-legacy").etag.as_deref(),
            Some(super::super::types::FIRST_STORAGE_ETAG)
        );
        assert_eq!(
            s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", p(1), None, t(12)),
            Err(StoreError::Invalid(
                "IAM policy version must be at least 3 to set a policy with conditions.".into()
            ))
        );
        let stored = s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", p(3), None, t(12)).unwrap();
        assert_eq!(stored.version, Some(3));
        // A version-1 read of it shows the `_withcond_` view, as for every kind.
        let v1 = s.get_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", 1, t(12)).unwrap();
        assert!(v1.bindings[0].role.starts_with("roles/storage.objectViewer_withcond_"), "{v1:?}");
    }
}
