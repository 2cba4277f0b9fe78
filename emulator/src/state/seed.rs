//! The built-in demo seed (`seed/demo.json`, docs/emulator.md) and the check every seed and
//! state file passes before it is served.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::catalog;
use super::model::Data;
use super::store::{Kind, Store, check_policy};
use super::validation;

/// The built-in demo seed: an organization, a folder, two projects, a few realistic bindings and
/// the identities tests use (one of them, `user:Jane.Doe@example.com`, in mixed case, as Google
/// keeps an account's own case).
pub const DEMO_SEED: &str = include_str!("../../seed/demo.json");

pub fn demo_seed() -> Data {
    serde_json::from_str(DEMO_SEED).expect("the demo seed is valid")
}

impl Data {
    /// Checks that a seed or state file can be served: names in Google's form, every parent and
    /// every policy's resource present, no project ID or number twice, every policy one Google
    /// would have accepted (members, roles, conditions, limits, etag), identities well formed and
    /// a clock CEL can represent. The message names the first problem.
    pub fn check(&self) -> Result<(), String> {
        self.check_at(Utc::now())
    }

    /// [`Data::check`] at wall time `wall` (the clock's time depends on it).
    pub fn check_at(&self, wall: DateTime<Utc>) -> Result<(), String> {
        let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let mut names = BTreeSet::new();
        for o in &self.organizations {
            if !o.name.strip_prefix("organizations/").is_some_and(number) {
                return Err(format!("organization `{}` is not named organizations/NUMBER", o.name));
            }
            names.insert(o.name.clone());
        }
        for f in &self.folders {
            if !f.name.strip_prefix("folders/").is_some_and(number) {
                return Err(format!("folder `{}` is not named folders/NUMBER", f.name));
            }
            names.insert(f.name.clone());
        }
        for f in &self.folders {
            if !names.contains(&f.parent) {
                return Err(format!("the parent `{}` of folder `{}` is not in the seed", f.parent, f.name));
            }
        }
        let mut ids = BTreeSet::new();
        for p in &self.projects {
            if !(validation::project_id(&p.project_id) || number(&p.project_id)) || !number(&p.project_number)
            {
                return Err(format!(
                    "project `{}` needs a valid projectId and a numeric projectNumber",
                    p.project_id
                ));
            }
            if !ids.insert(p.project_id.clone()) || !ids.insert(p.project_number.clone()) {
                return Err(format!("project `{}` appears twice", p.project_id));
            }
            if !p.parent.is_empty() && !names.contains(&p.parent) {
                return Err(format!(
                    "the parent `{}` of project `{}` is not in the seed",
                    p.parent, p.project_id
                ));
            }
            names.insert(format!("projects/{}", p.project_id));
        }
        for key in self.policies.keys() {
            if !names.contains(key) {
                return Err(format!(
                    "a policy is given for `{key}`, which is not in the seed (use organizations/N, folders/N or projects/ID)"
                ));
            }
        }
        let identities = self
            .tokens
            .iter()
            .chain(&self.refresh_tokens)
            .map(|t| &t.principal)
            .chain(self.groups.iter().flat_map(|g| g.members.iter()))
            .chain(&self.metadata_principal);
        for p in identities {
            if validation::member_kind(p) != Some(validation::MemberKind::Email) {
                return Err(format!(
                    "`{p}` is not a principal a token can stand for (user:, group: or serviceAccount: and an e-mail)"
                ));
            }
        }
        for g in &self.groups {
            if !g.name.starts_with("group:") || validation::member_kind(&g.name).is_none() {
                return Err(format!("group `{}` is not named group:EMAIL", g.name));
            }
        }
        for sa in &self.service_accounts {
            if validation::member_kind(&format!("serviceAccount:{}", sa.email)).is_none() {
                return Err(format!("service account `{}` is not an e-mail address", sa.email));
            }
        }
        let mut roles = BTreeSet::new();
        for r in &self.custom_roles {
            let custom = validation::role_ok(&r.name) && !r.name.starts_with("roles/");
            if !custom {
                return Err(format!(
                    "custom role `{}` is not named projects/PROJECT_ID/roles/ID or organizations/NUMBER/roles/ID",
                    r.name
                ));
            }
            if !names.contains(r.parent()) {
                return Err(format!(
                    "the parent `{}` of custom role `{}` is not in the seed",
                    r.parent(),
                    r.name
                ));
            }
            if !roles.insert(r.name.as_str()) {
                return Err(format!("custom role `{}` appears twice", r.name));
            }
            // The values of `Role.stage` in IAM's discovery document.
            if !["ALPHA", "BETA", "GA", "DEPRECATED", "DISABLED", "EAP"].contains(&r.stage()) {
                return Err(format!(
                    "custom role `{}` has stage `{}`; use ALPHA, BETA, GA, DEPRECATED, DISABLED or EAP",
                    r.name,
                    r.stage()
                ));
            }
            // Google refuses a permission it does not know when a custom role is created; here it
            // is most likely a typo.
            if let Some(p) = r.included_permissions.iter().find(|p| !catalog::catalog().knows_permission(p)) {
                return Err(format!(
                    "custom role `{}` includes `{p}`, which no predefined role carries (a typo?)",
                    r.name
                ));
            }
        }
        let store = Store::new(self.clone());
        let known = store.known_identities();
        for (key, policy) in &self.policies {
            let kind =
                key.split_once('/').and_then(|(c, _)| Kind::from_collection(c)).expect("checked above");
            check_policy(kind, policy, &known, &|role| store.custom_role_in_hierarchy(key, role))
                .map_err(|e| format!("the policy of `{key}` cannot be served: {e}"))?;
        }
        if let Some(clock) = &self.clock {
            clock.check(wall)?;
        }
        Ok(())
    }
}
