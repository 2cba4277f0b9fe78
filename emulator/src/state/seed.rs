//! The built-in demo seed (`seed/demo.json`, docs/emulator.md) and the check every seed and
//! state file passes before it is served.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::catalog;
use super::model::Data;
use super::policies::check_policy;
use super::store::{Kind, Store};
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
        self.check_resources(&mut names)?;
        for key in self.policies.keys() {
            if !names.contains(key) {
                return Err(format!(
                    "a policy is given for `{key}`, which is not in the seed (use organizations/N, folders/N, \
                     projects/ID, projects/_/buckets/B, projects/ID/secrets/S, projects/ID/serviceAccounts/EMAIL, \
                     projects/ID/locations/L/keyRings/R[/cryptoKeys/K] or projects/ID/locations/L/services/S)"
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
            let kind = Kind::of_key(key).expect("checked above");
            check_policy(kind, policy, &known, &|role| store.custom_role_in_hierarchy(key, role))
                .map_err(|e| format!("the policy of `{key}` cannot be served: {e}"))?;
        }
        super::pam::check_seed(&store)?;
        if let Some(clock) = &self.clock {
            clock.check(wall)?;
        }
        Ok(())
    }

    /// Checks the resources below projects (buckets, secrets, service accounts, key rings and
    /// keys, Run services): each named in Google's form, under a project of the seed, once; adds
    /// their policy keys to `names`.
    fn check_resources(&self, names: &mut BTreeSet<String>) -> Result<(), String> {
        let project = |id: &str| self.projects.iter().any(|p| p.project_id == id);
        let mut add = |key: String, what: &str| {
            if names.insert(key.clone()) { Ok(()) } else { Err(format!("{what} `{key}` appears twice")) }
        };
        for b in &self.buckets {
            // <https://cloud.google.com/storage/docs/buckets#naming>: 3-63 characters of a-z, 0-9,
            // `-`, `_` and `.`, starting and ending with a letter or digit.
            let ok = (3..=63).contains(&b.name.len())
                && b.name
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.".contains(&c))
                && b.name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && b.name.ends_with(|c: char| c.is_ascii_alphanumeric());
            if !ok {
                return Err(format!("bucket `{}` is not a valid bucket name", b.name));
            }
            if !project(&b.project) {
                return Err(format!("the project `{}` of bucket `{}` is not in the seed", b.project, b.name));
            }
            add(format!("projects/_/buckets/{}", b.name), "bucket")?;
        }
        let under_project = |name: &str, kind: Kind, form: &str| -> Result<(), String> {
            let pid = name.strip_prefix("projects/").and_then(|r| r.split_once('/')).map(|(p, _)| p);
            if Kind::of_key(name) != Some(kind) || name.split('/').any(str::is_empty) {
                return Err(format!("`{name}` is not named {form}"));
            }
            match pid {
                Some(p) if project(p) => Ok(()),
                _ => Err(format!("the project of `{name}` is not in the seed (by its projectId)")),
            }
        };
        for s in &self.secrets {
            under_project(&s.name, Kind::Secret, "projects/ID/secrets/S")?;
            add(s.name.clone(), "secret")?;
            let mut seen = BTreeSet::new();
            for v in &s.versions {
                use base64::Engine as _;
                if v.version == 0 || !seen.insert(v.version) {
                    return Err(format!("secret `{}`: version numbers start at 1 and appear once", s.name));
                }
                if base64::engine::general_purpose::STANDARD.decode(&v.data).is_err() {
                    return Err(format!("secret `{}` version {}: `data` is not base64", s.name, v.version));
                }
                if !["ENABLED", "DISABLED", "DESTROYED"].contains(&v.state()) {
                    return Err(format!(
                        "secret `{}` version {}: state `{}`; use ENABLED, DISABLED or DESTROYED",
                        s.name,
                        v.version,
                        v.state()
                    ));
                }
            }
        }
        for r in &self.key_rings {
            under_project(&r.name, Kind::KeyRing, "projects/ID/locations/L/keyRings/R")?;
            add(r.name.clone(), "key ring")?;
            for k in &r.crypto_keys {
                let key = format!("{}/cryptoKeys/{k}", r.name);
                under_project(&key, Kind::CryptoKey, "KEY_RING/cryptoKeys/K")?;
                add(key, "crypto key")?;
            }
        }
        for r in &self.run_services {
            under_project(&r.name, Kind::RunService, "projects/ID/locations/L/services/S")?;
            add(r.name.clone(), "Run service")?;
        }
        for sa in &self.service_accounts {
            if let Some(p) = &sa.project
                && !project(p)
            {
                return Err(format!(
                    "the project `{p}` of service account `{}` is not in the seed",
                    sa.email
                ));
            }
            // An account of a project outside the seed has keys but no policy of its own.
            if let Some(p) = sa.project_id().filter(|p| project(p)) {
                add(format!("projects/{p}/serviceAccounts/{}", sa.email), "service account")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(change: impl FnOnce(&mut serde_json::Value)) -> Result<(), String> {
        let mut v: serde_json::Value = serde_json::from_str(DEMO_SEED).unwrap();
        change(&mut v);
        serde_json::from_value::<Data>(v).unwrap().check()
    }

    #[test]
    fn the_demo_seed_has_one_of_each_kind_under_jit_demo_prod() {
        let d = demo_seed();
        let store = Store::new(d.clone());
        for key in [
            "projects/_/buckets/jit-demo-prod-data",
            "projects/jit-demo-prod/secrets/db-password",
            "projects/jit-demo-prod/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com",
            "projects/jit-demo-prod/locations/global/keyRings/app",
            "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db",
            "projects/jit-demo-prod/locations/europe-west1/services/api",
        ] {
            let found = store.find_key(key).unwrap_or_else(|| panic!("{key}"));
            assert_eq!(found.key, key);
            assert_eq!(store.ancestry(key).last().map(String::as_str), Some("organizations/123456789012"));
        }
        assert!(d.buckets.iter().any(|b| !b.uniform_bucket_level_access), "one bucket shows the refusal");
        assert_eq!(d.check(), Ok(()));
    }

    #[test]
    fn resources_below_projects_are_checked_before_they_are_served() {
        assert_eq!(
            with(|v| v["buckets"][0]["project"] = json!("nope")),
            Err("the project `nope` of bucket `jit-demo-prod-data` is not in the seed".into())
        );
        assert_eq!(
            with(|v| v["buckets"][0]["name"] = json!("Bad_Name")),
            Err("bucket `Bad_Name` is not a valid bucket name".into())
        );
        assert_eq!(
            with(|v| v["secrets"][0]["name"] = json!("projects/jit-demo-prod/secret/x")),
            Err("`projects/jit-demo-prod/secret/x` is not named projects/ID/secrets/S".into())
        );
        assert_eq!(
            with(|v| v["runServices"][0]["name"] = json!("projects/100000000001/locations/l/services/s")),
            Err("the project of `projects/100000000001/locations/l/services/s` is not in the seed (by its projectId)".into())
        );
        assert_eq!(
            with(|v| v["secrets"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "projects/jit-demo-prod/secrets/db-password"}))),
            Err("secret `projects/jit-demo-prod/secrets/db-password` appears twice".into())
        );
        assert_eq!(
            with(|v| v["keyRings"][0]["cryptoKeys"] = json!(["a/b"])),
            Err("`projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/a/b` is not named KEY_RING/cryptoKeys/K".into())
        );
        let unknown =
            with(|v| v["policies"]["projects/jit-demo-prod/secrets/other"] = json!({"bindings": []}));
        assert!(unknown.unwrap_err().starts_with(
            "a policy is given for `projects/jit-demo-prod/secrets/other`, which is not in the seed"
        ));
        // A conditional binding on a resource's own policy passes the same checks as a write.
        let basic = with(|v| {
            v["policies"]["projects/jit-demo-prod/secrets/db-password"] = json!({"version": 3, "bindings": [
                {"role": "roles/owner", "members": ["user:bob@example.com"], "condition": {"expression": "true", "title": "t"}}
            ]})
        });
        assert!(basic.unwrap_err().contains("basic role roles/owner"));
    }
}
