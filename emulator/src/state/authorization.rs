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
        let principal = match caller {
            Caller::Anyone => return true,
            Caller::Principal(p) => p,
        };
        self.ancestry(key).iter().filter_map(|k| self.data.policies.get(k)).any(|policy| {
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
