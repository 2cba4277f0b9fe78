//! Every predefined role Google defines, with its title, launch stage and included permissions:
//! the repository's snapshot `data/gcp-roles.json` (data/README.md: where it comes from, its date
//! and its format), read by the emulator's own code so that the emulator can disagree with jit.
//!
//! The file is embedded in the binary and parsed once per process, on first use
//! ([`std::sync::OnceLock`]): the integration tests start many emulators in one process, and a
//! process that never checks a permission never parses it. Lookups are binary searches over sorted
//! names and sorted permission indexes, with no allocation, since every permission check of every
//! binding goes through [`grants`].

use std::sync::OnceLock;

use serde::Deserialize;

/// The snapshot, as committed.
const DATA: &str = include_str!("../../../data/gcp-roles.json");

/// One predefined role.
#[derive(Debug, Deserialize)]
pub struct PredefinedRole {
    /// `roles/NAME`.
    pub name: String,
    pub title: String,
    /// `GA`, `BETA`, `ALPHA` or `DEPRECATED` (Google's `Role.stage`).
    pub stage: String,
    /// Indexes into [`Catalog::permissions`], sorted at load.
    #[serde(rename = "permissions")]
    indexes: Vec<u32>,
}

/// The whole catalog.
#[derive(Debug, Deserialize)]
pub struct Catalog {
    /// Every permission name, sorted.
    permissions: Vec<String>,
    /// Every role, sorted by name at load.
    roles: Vec<PredefinedRole>,
}

impl Catalog {
    /// The role named `name` (`roles/NAME`).
    pub fn role(&self, name: &str) -> Option<&PredefinedRole> {
        self.roles.binary_search_by(|r| r.name.as_str().cmp(name)).ok().map(|i| &self.roles[i])
    }

    /// Every role, sorted by name.
    pub fn roles(&self) -> &[PredefinedRole] {
        &self.roles
    }

    /// True when some predefined role carries `permission`: a permission Google knows.
    pub fn knows_permission(&self, permission: &str) -> bool {
        self.permission_index(permission).is_some()
    }

    fn permission_index(&self, permission: &str) -> Option<u32> {
        self.permissions.binary_search_by(|p| p.as_str().cmp(permission)).ok().map(|i| i as u32)
    }

    /// The permissions of `role`, sorted.
    pub fn permissions_of<'a>(&'a self, role: &'a PredefinedRole) -> impl Iterator<Item = &'a str> + 'a {
        role.indexes.iter().filter_map(|&i| self.permissions.get(i as usize)).map(String::as_str)
    }
}

/// The catalog, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut c: Catalog = serde_json::from_str(DATA).expect("data/gcp-roles.json is valid (tested)");
        // The file is sorted; sorting again costs little and makes the binary searches hold
        // whatever a refresh writes.
        c.permissions.sort_unstable();
        c.roles.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        for r in &mut c.roles {
            r.indexes.sort_unstable();
        }
        c
    })
}

/// True when the predefined role `role` grants `permission` (false for a role Google does not
/// define, and for custom roles, which the store looks up in its own data).
pub fn grants(role: &str, permission: &str) -> bool {
    let c = catalog();
    match (c.role(role), c.permission_index(permission)) {
        (Some(r), Some(p)) => r.indexes.binary_search(&p).is_ok(),
        _ => false,
    }
}

/// True when `role` is a predefined role.
pub fn is_predefined(role: &str) -> bool {
    catalog().role(role).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_catalog_is_loaded_with_valid_indexes() {
        let c = catalog();
        assert_eq!(c.roles().len(), 2461);
        assert_eq!(c.permissions.len(), 13790);
        for r in c.roles() {
            assert!(r.name.starts_with("roles/"), "{}", r.name);
            assert!(["GA", "BETA", "ALPHA", "DEPRECATED"].contains(&r.stage.as_str()), "{}", r.name);
            assert!(r.indexes.iter().all(|&i| (i as usize) < c.permissions.len()), "{}", r.name);
        }
        assert!(c.roles().windows(2).all(|w| w[0].name < w[1].name), "role names are unique");
    }

    #[test]
    fn predefined_roles_grant_what_google_says() {
        assert!(grants("roles/resourcemanager.projectIamAdmin", "resourcemanager.projects.setIamPolicy"));
        assert!(!grants("roles/resourcemanager.projectIamAdmin", "resourcemanager.folders.setIamPolicy"));
        assert!(grants("roles/iam.securityAdmin", "resourcemanager.organizations.setIamPolicy"));
        assert!(!grants("roles/editor", "resourcemanager.projects.setIamPolicy"));
        assert!(grants("roles/viewer", "resourcemanager.projects.getIamPolicy"));
        assert!(grants("roles/storage.admin", "storage.buckets.list"));
        // Roles the old trimmed catalog did not know.
        assert!(grants("roles/secretmanager.secretAccessor", "secretmanager.versions.access"));
        assert!(!grants("roles/secretmanager.viewer", "secretmanager.versions.access"));
        assert!(grants(
            "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            "cloudkms.cryptoKeyVersions.useToEncrypt"
        ));
        assert!(grants("roles/run.invoker", "run.routes.invoke"));
        assert!(!grants("roles/unknown.role", "storage.buckets.list"));
        assert!(!grants("roles/viewer", "no.such.permission"));
        assert!(!grants("projects/p/roles/x", "storage.buckets.list"));
    }

    #[test]
    fn roles_and_permissions_are_found_by_name() {
        let c = catalog();
        let r = c.role("roles/storage.objectViewer").expect("a predefined role");
        assert_eq!(r.title, "Storage Object Viewer");
        assert_eq!(r.stage, "GA");
        let perms: Vec<&str> = c.permissions_of(r).collect();
        assert!(perms.contains(&"storage.objects.get") && perms.contains(&"storage.objects.list"));
        assert!(perms.windows(2).all(|w| w[0] < w[1]));
        assert!(is_predefined("roles/owner"));
        assert!(!is_predefined("roles/storage.objectViwer"));
        assert!(c.knows_permission("secretmanager.versions.access"));
        assert!(!c.knows_permission("secretmanager.versions.acess"));
    }
}
