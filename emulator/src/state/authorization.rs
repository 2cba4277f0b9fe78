//! Who may do what: permissions through the hierarchy and the clock (conditions), roles and
//! custom roles, `authorize` before every call and `testIamPermissions`.

use chrono::{DateTime, Utc};

use super::store::{Caller, Found, Kind, Store, StoreError};
use super::types::display_name;
use super::{catalog, validation};

impl Store {
    /// Does `caller` hold `permission` on the resource `key` at `now`? Every binding on the
    /// resource and its ancestors counts, and every condition is evaluated by the `cel`
    /// interpreter with `request.time = now`; a condition that fails to evaluate grants nothing,
    /// as in IAM (<https://cloud.google.com/iam/docs/conditions-overview#evaluation>).
    pub fn has_permission(&self, caller: &Caller, key: &str, permission: &str, now: DateTime<Utc>) -> bool {
        self.has_permission_for(caller, key, permission, now, None)
    }
    /// [`Store::has_permission`] for a request that sets a policy changing the bindings of the
    /// `modified` roles (`None`: any other request): the value of
    /// `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', [])` in every condition
    /// (`validation::evaluate_request`).
    pub fn has_permission_for(
        &self,
        caller: &Caller,
        key: &str,
        permission: &str,
        now: DateTime<Utc>,
        modified: Option<&[String]>,
    ) -> bool {
        self.holds_on_chain(caller, &self.ancestry(key), permission, now, modified)
    }
    /// [`Store::has_permission`] on a resource whose ancestry (the resource, then its ancestors,
    /// nearest first) the caller has worked out already: a listing of many projects looks each
    /// up once, not once per ancestor.
    pub fn holds_on_chain(
        &self,
        caller: &Caller,
        chain: &[String],
        permission: &str,
        now: DateTime<Utc>,
        modified: Option<&[String]>,
    ) -> bool {
        let principal = match caller {
            Caller::Anyone => return true,
            Caller::Principal(p) => p,
        };
        chain.iter().filter_map(|k| self.data.policies.get(k)).any(|policy| {
            policy.bindings.iter().any(|b| {
                self.role_grants(&b.role, permission)
                    && b.members.iter().any(|m| self.member_matches(m, principal))
                    && b.condition
                        .as_ref()
                        .is_none_or(|c| validation::evaluate_request(&c.expression, now, modified))
            })
        })
    }
    /// True when `role` grants `permission`: a predefined role by the catalog, a custom role by
    /// its declaration (none when deleted or disabled); a role that is neither grants nothing.
    pub fn role_grants(&self, role: &str, permission: &str) -> bool {
        if role.starts_with("roles/") {
            return catalog::grants(role, permission);
        }
        self.data.custom_roles.iter().any(|r| r.name == role && r.grants(permission))
    }
    /// True when the custom role `role` is defined on the resource `key` or one of its ancestors,
    /// the only places it can be bound ("you can only grant a custom role within the project or
    /// organization in which you created it",
    /// <https://cloud.google.com/iam/docs/roles-overview#custom>). A deleted role still counts:
    /// its bindings stay in the policy (<https://cloud.google.com/iam/docs/creating-custom-roles#deleting-custom-role>)
    /// and every read-modify-write sends them back.
    pub fn custom_role_in_hierarchy(&self, key: &str, role: &str) -> bool {
        self.data.custom_roles.iter().any(|r| r.name == role)
            && self
                .ancestry(key)
                .iter()
                .any(|k| role.strip_prefix(k.as_str()).is_some_and(|rest| rest.starts_with("/roles/")))
    }
    /// Finds a resource and checks one permission on it; an unknown resource and a missing
    /// permission give the same 403, as Google's do.
    pub fn authorize(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        verb: &str,
        now: DateTime<Utc>,
    ) -> Result<Found, StoreError> {
        let permission = kind.permission(verb);
        let denied =
            || StoreError::Denied { permission: permission.clone(), resource: display_name(kind, id) };
        let Some(found) = self.find(kind, id) else {
            // Issue 18 item 1: the services below a project answer 404 for what does not exist.
            return Err(self.missing(caller, kind, id, &permission, now, denied()));
        };
        if self.has_permission(caller, &found.key, &permission, now) { Ok(found) } else { Err(denied()) }
    }

    // ---- policies -------------------------------------------------------------------------------
    /// `testIamPermissions`: the subset of `permissions` the caller holds. An unknown resource is a
    /// 403, like every other call on it.
    pub fn test_permissions(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        permissions: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let denied =
            StoreError::Denied { permission: kind.permission("get"), resource: display_name(kind, id) };
        let Some(found) = self.find(kind, id) else {
            return Err(self.missing(caller, kind, id, &kind.permission("get"), now, denied));
        };
        for p in permissions {
            if p.contains('*') {
                return Err(StoreError::Invalid(format!(
                    "Permissions with wildcards (such as '*') are not allowed: {p}"
                )));
            }
            super::applies::check_testable(p, kind)?;
        }
        Ok(permissions.iter().filter(|p| self.has_permission(caller, &found.key, p, now)).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::state::model::Policy;
    use crate::state::seed::demo_seed;
    use crate::state::store::{Caller, Kind, Store, StoreError, default_bucket_policy};
    use crate::state::test_support::*;

    #[test]
    fn permissions_follow_the_hierarchy_and_the_clock() {
        let mut s = store();
        let set = "resourcemanager.projects.setIamPolicy";
        // Alice is organization admin: everything below it.
        assert!(s.has_permission(&alice(), "projects/jit-demo-prod", set, t(12)));
        assert!(s.has_permission(
            &alice(),
            "folders/234567890123",
            "resourcemanager.folders.setIamPolicy",
            t(12)
        ));
        // Bob holds nothing.
        assert!(!s.has_permission(&bob(), "projects/jit-demo-prod", set, t(12)));
        assert!(matches!(
            s.get_policy(&bob(), Kind::Project, "jit-demo-prod", 3, t(12)),
            Err(StoreError::Denied { .. })
        ));
        // A time-bound grant: access before its end, none after.
        let mut p = read(&s, 3);
        p.bindings.push(grant_bob("2026-11-25T14:00:00Z"));
        write(&mut s, p).unwrap();
        assert!(s.has_permission(&bob(), "projects/jit-demo-prod", set, t(13)));
        assert!(!s.has_permission(&bob(), "projects/jit-demo-prod", set, t(14)));
        assert!(!s.has_permission(&bob(), "projects/jit-demo-dev", set, t(13)));
        // Groups and domains.
        let carol = Caller::Principal("user:carol@example.com".into());
        assert!(s.has_permission(&carol, "projects/jit-demo-prod", "logging.logEntries.list", t(12)));
        // Carol's own binding expired in 2024.
        assert!(!s.has_permission(&carol, "projects/jit-demo-prod", "bigquery.tables.getData", t(12)));
        assert!(s.has_permission(
            &bob(),
            "organizations/123456789012",
            "resourcemanager.organizations.get",
            t(12)
        ));
        // testIamPermissions returns the subset held.
        let asked = vec![set.to_string(), "storage.buckets.list".to_string()];
        assert_eq!(
            s.test_permissions(&bob(), Kind::Project, "jit-demo-prod", &asked, t(13)).unwrap(),
            vec![set.to_string()]
        );
        assert!(
            s.test_permissions(&bob(), Kind::Project, "jit-demo-prod", &asked, t(15)).unwrap().is_empty()
        );
        assert!(matches!(
            s.test_permissions(&bob(), Kind::Project, "nope-nope", &asked, t(15)),
            Err(StoreError::Denied { .. })
        ));
    }
    #[test]
    fn unknown_resources_are_denied_like_forbidden_ones() {
        let s = store();
        let Err(StoreError::Denied { permission, resource }) =
            s.get_policy(&alice(), Kind::Project, "no-such-project", 3, t(12))
        else {
            panic!()
        };
        assert_eq!(permission, "resourcemanager.projects.getIamPolicy");
        assert_eq!(resource, "projects/no-such-project");
        // Projects are found by number too.
        assert!(s.get_policy(&alice(), Kind::Project, "100000000001", 3, t(12)).is_ok());
    }
    #[test]
    fn every_predefined_role_and_declared_custom_roles_grant_their_permissions() {
        let mut s = store();
        let bob = bob();
        let access = "secretmanager.versions.access";
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        let mut p = read(&s, 3);
        p.bindings.push(binding("roles/secretmanager.secretAccessor", "user:bob@example.com"));
        write(&mut s, p).unwrap();
        assert!(s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", "secretmanager.secrets.delete", t(12)));

        // The project's own custom role, and the organization's one bound on a project below it.
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(binding("projects/jit-demo-prod/roles/secretReader", "user:bob@example.com"));
        p.bindings.push(binding("organizations/123456789012/roles/iamAuditor", "user:bob@example.com"));
        write(&mut s, p).unwrap();
        assert!(s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        assert!(s.has_permission(
            &bob,
            "projects/jit-demo-prod",
            "resourcemanager.projects.getIamPolicy",
            t(12)
        ));
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", "secretmanager.secrets.delete", t(12)));
        // A deleted or disabled custom role stays bound and grants nothing.
        s.data.custom_roles.iter_mut().for_each(|r| r.deleted = r.name.ends_with("secretReader"));
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        s.data.custom_roles.iter_mut().for_each(|r| {
            r.deleted = false;
            r.stage = Some("DISABLED".into());
        });
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        s.data.custom_roles.iter_mut().for_each(|r| r.stage = None);
        assert!(s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
    }
    #[test]
    fn a_project_viewer_reads_a_bucket_but_neither_reads_nor_sets_its_policy_through_the_legacy_roles() {
        let mut s = store();
        let key = "projects/_/buckets/jit-demo-prod-legacy";
        // The seed gives this bucket no policy: it has the one Google gives a new bucket.
        assert!(!demo_seed().policies.contains_key(key));
        assert_eq!(s.stored(key), default_bucket_policy("jit-demo-prod"));
        assert_eq!(
            s.stored(key).bindings.iter().map(|b| (b.role.as_str(), b.members.join(","))).collect::<Vec<_>>(),
            [
                (
                    "roles/storage.legacyBucketOwner",
                    "projectEditor:jit-demo-prod,projectOwner:jit-demo-prod".into()
                ),
                ("roles/storage.legacyBucketReader", "projectViewer:jit-demo-prod".into()),
                (
                    "roles/storage.legacyObjectOwner",
                    "projectEditor:jit-demo-prod,projectOwner:jit-demo-prod".into()
                ),
                ("roles/storage.legacyObjectReader", "projectViewer:jit-demo-prod".into()),
            ]
        );
        // What the catalog says: of the four, only legacyBucketOwner reads or sets a bucket's policy;
        // the basic roles carry nothing of Cloud Storage's buckets or objects.
        for (role, get, get_policy, set_policy) in [
            ("roles/storage.legacyBucketOwner", true, true, true),
            ("roles/storage.legacyBucketReader", true, false, false),
            ("roles/storage.legacyObjectOwner", false, false, false),
            ("roles/storage.legacyObjectReader", false, false, false),
            ("roles/owner", false, false, false),
            ("roles/viewer", false, false, false),
        ] {
            assert_eq!(
                [
                    s.role_grants(role, "storage.buckets.get"),
                    s.role_grants(role, "storage.buckets.getIamPolicy"),
                    s.role_grants(role, "storage.buckets.setIamPolicy"),
                ],
                [get, get_policy, set_policy],
                "{role}"
            );
        }
        let carol = Caller::Principal("user:carol@example.com".into());
        let can = |s: &Store, who: &Caller, p: &str| s.has_permission(who, key, p, t(12));
        assert!(can(&s, &carol, "storage.buckets.get"));
        assert!(can(&s, &carol, "storage.objects.get"));
        assert!(!can(&s, &carol, "storage.buckets.getIamPolicy"));
        assert_eq!(
            s.get_policy(&carol, Kind::Bucket, "jit-demo-prod-legacy", 3, t(12)),
            Err(StoreError::Denied {
                permission: "storage.buckets.getIamPolicy".into(),
                resource: "jit-demo-prod-legacy".into()
            })
        );
        assert!(matches!(
            s.set_policy(&carol, Kind::Bucket, "jit-demo-prod-legacy", Policy::default(), None, t(12)),
            Err(StoreError::Denied { permission, .. }) if permission == "storage.buckets.setIamPolicy"
        ));
        // A project owner reads and sets it, and reads objects, through that policy alone (Alice
        // could anyway: roles/iam.securityAdmin on the organization carries the bucket policy
        // permissions; Dave is an owner and nothing else).
        let dave = Caller::Principal("user:dave@example.com".into());
        s.data
            .policies
            .get_mut("projects/jit-demo-prod")
            .unwrap()
            .bindings
            .push(binding("roles/owner", "user:dave@example.com"));
        let owner = ["storage.buckets.getIamPolicy", "storage.buckets.setIamPolicy", "storage.objects.get"];
        for p in owner {
            assert!(can(&s, &dave, p), "{p}");
        }
        s.data.policies.insert(key.into(), Policy::default());
        for p in owner {
            assert!(!can(&s, &dave, p), "{p}");
        }
        assert!(!can(&s, &carol, "storage.buckets.get"));
    }
}
