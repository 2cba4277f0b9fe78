//! Which permissions apply to which kind of resource (issue 18 items 3 and 4), read from the
//! permission's own name: Google names every permission `SERVICE.RESOURCE.VERB`
//! (<https://cloud.google.com/iam/docs/roles-permissions>, "Permissions"), so the catalog
//! (`data/gcp-roles.json`) tells each permission's service and resource type.
//!
//! - A role can be bound on a resource when at least one of its permissions applies to that
//!   resource or to something beneath it: "A role is grantable if the IAM policy for the resource
//!   can contain bindings to the role" (IAM `roles.queryGrantableRoles`, discovery document
//!   `iam/v1/iam-api.json`); Google refuses any other with "Role R is not supported for this
//!   resource." (terraform-google-modules/terraform-google-iam#91: an existing role on an
//!   organization; jit-groups#112, "not grantable").
//! - `testIamPermissions` refuses a permission Google does not define (the back end "raises 400
//!   errors if one passes an unknown permission string", googleapis/google-cloud-python#1776) and
//!   one that does not apply to the resource (`resourcemanager.projects.list` on a project is a 400,
//!   googleapis/google-cloud-java#722).
//!
//! The reading of "applies" is the emulator's own: a permission on the resource's own type
//! applies, except `create` and `list`, which are checked on the parent (a bucket is created and
//! listed in its project, <https://cloud.google.com/storage/docs/access-control/iam-permissions>);
//! a permission on a type beneath it applies (objects in a bucket, versions of a secret, keys of a
//! key ring); for the hierarchy, everything but the permissions of what lies above.

use chrono::{DateTime, Utc};

use super::catalog;
use super::model::Binding;
use super::store::{Caller, Kind, Store, StoreError};
pub use super::types::{FIRST_STORAGE_ETAG, next_storage_etag};

/// Resource types (`SERVICE.RESOURCE`) beneath a resource of `kind`, whose every permission
/// applies to it.
fn beneath(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Bucket => &[
            "storage.objects",
            "storage.managedFolders",
            "storage.folders",
            "storage.multipartUploads",
            "storage.anywhereCaches",
            "storage.bucketOperations",
            "storage.intelligenceConfigs",
        ],
        Kind::Secret => &["secretmanager.versions"],
        Kind::ServiceAccount => &["iam.serviceAccountKeys", "iam.serviceAccountApiKeyBindings"],
        Kind::KeyRing => &["cloudkms.cryptoKeys", "cloudkms.cryptoKeyVersions", "cloudkms.importJobs"],
        Kind::CryptoKey => &["cloudkms.cryptoKeyVersions"],
        Kind::RunService => &["run.routes", "run.revisions", "run.configurations"],
        Kind::Organization | Kind::Folder | Kind::Project => &[],
    }
}

/// Permissions of resources above (or beside) a resource of the hierarchy: none applies to it.
fn above(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Project => &["resourcemanager.organizations.", "resourcemanager.folders.", "billing.accounts."],
        Kind::Folder => &["resourcemanager.organizations.", "billing.accounts."],
        _ => &[],
    }
}

/// True when `permission` (a well-formed name) applies to a resource of `kind` or beneath it.
pub fn permission_applies(permission: &str, kind: Kind) -> bool {
    let mut parts = permission.splitn(3, '.');
    let (Some(service), Some(resource), Some(verb)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let own = match kind {
        Kind::Organization | Kind::Folder | Kind::Project => {
            if above(kind).iter().any(|a| permission.starts_with(a)) {
                return false;
            }
            // Projects are created and listed in their parent, not in themselves.
            return !(kind == Kind::Project
                && service == "resourcemanager"
                && resource == "projects"
                && matches!(verb, "create" | "list"));
        }
        _ => kind.permission("get"),
    };
    // `storage.buckets.get` → `storage.buckets`.
    let own_type = own.rsplit_once('.').map_or("", |(t, _)| t);
    let this_type = &permission[..service.len() + 1 + resource.len()];
    if this_type == own_type {
        return !matches!(verb, "create" | "list");
    }
    beneath(kind).contains(&this_type)
}

/// True when some permission of `permissions` applies to `kind`; a role without permissions
/// applies anywhere (Google lists such roles as grantable, and they grant nothing).
pub fn role_applies<'a>(mut permissions: impl Iterator<Item = &'a str>, kind: Kind) -> bool {
    let mut empty = true;
    let found = permissions.any(|p| {
        empty = false;
        permission_applies(p, kind)
    });
    found || empty
}

/// True when the predefined role `role` can be bound on `kind` (false for a role the catalog
/// does not hold).
pub fn predefined_role_applies(role: &str, kind: Kind) -> bool {
    let c = catalog::catalog();
    c.role(role).is_some_and(|r| role_applies(c.permissions_of(r), kind))
}

/// Google's 400 for a role bound where it does not apply (and for one it does not define).
pub fn role_not_supported(role: &str) -> String {
    format!("Role {role} is not supported for this resource.")
}

/// `testIamPermissions`: a permission Google does not define, or one that does not apply to the
/// resource, is a 400 (googleapis/google-cloud-python#1776; googleapis/google-cloud-java#722).
/// The words are those of IAM's answer to an unknown permission in a custom role ("Permission X
/// is not valid.", hashicorp/terraform-provider-google#14033) and, for one that does not apply,
/// the emulator's.
pub fn check_testable(permission: &str, kind: Kind) -> Result<(), StoreError> {
    if !catalog::catalog().knows_permission(permission) {
        return Err(StoreError::Invalid(format!("Permission {permission} is not valid.")));
    }
    if !permission_applies(permission, kind) {
        return Err(StoreError::Invalid(format!("Permission {permission} is not valid for this resource.")));
    }
    Ok(())
}

/// The message of a 404 for a resource below a project that does not exist, in its service's
/// words (issue 18 item 1). `shown` is the name as the service shows it.
///
/// - Secret Manager: "Secret [projects/NUMBER/secrets/S] not found." (the project by number, as
///   its 403 names it);
/// - IAM: "Unknown service account" (pulumi/pulumi-google-native#836: `Error 404: Unknown service
///   account` from `serviceAccounts.getIamPolicy`);
/// - Cloud KMS: "KeyRing NAME not found." / "CryptoKey NAME not found.";
/// - Cloud Run: "Resource 'S' of kind 'SERVICE' in region 'L' in project 'P' does not exist."
pub fn not_found_message(kind: Kind, shown: &str) -> String {
    let parts: Vec<&str> = shown.split('/').collect();
    match (kind, parts.as_slice()) {
        (Kind::Secret, _) => format!("Secret [{shown}] not found."),
        (Kind::ServiceAccount, _) => "Unknown service account".to_string(),
        (Kind::KeyRing, _) => format!("KeyRing {shown} not found."),
        (Kind::CryptoKey, _) => format!("CryptoKey {shown} not found."),
        (Kind::RunService, ["projects", p, "locations", l, "services", s]) => {
            format!("Resource '{s}' of kind 'SERVICE' in region '{l}' in project '{p}' does not exist.")
        }
        _ => format!("Resource '{shown}' was not found."),
    }
}

impl Store {
    /// Where a resource that does not exist would be, as a canonical key, when its parent exists:
    /// the key whose ancestors' policies decide whether the caller may learn that it does not
    /// exist. `None` for the hierarchy (Resource Manager answers 403 "or it may not exist" for an
    /// unknown project), for a bucket (Storage answers for itself), for an unknown project, and
    /// for a service account named under `projects/-` ("if you try to get the service account
    /// `projects/-/serviceAccounts/fake@example.com`, which does not exist, the response contains
    /// an HTTP `403 Forbidden` error instead of a `404 Not Found` error", `ServiceAccount.name` in
    /// `iam/v1/iam-api.json`).
    pub fn missing_key(&self, kind: Kind, id: &str) -> Option<String> {
        if kind.is_hierarchy() || kind == Kind::Bucket {
            return None;
        }
        let (p, tail) = id.strip_prefix("projects/")?.split_once('/')?;
        if p == "-" {
            return None;
        }
        let key = format!("projects/{}/{tail}", self.project(p)?.project_id);
        (Kind::of_key(&key) == Some(kind)).then_some(key)
    }

    /// The error for a resource that [`Store::find`] did not find: 404 in the service's words when
    /// the caller holds `permission` where the resource would be (so may learn that it is not
    /// there), else the 403 a forbidden resource gets.
    pub fn missing(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        permission: &str,
        now: DateTime<Utc>,
        denied: StoreError,
    ) -> StoreError {
        match self.missing_key(kind, id) {
            Some(key) if self.has_permission(caller, &key, permission, now) => {
                let shown = match (kind, key.strip_prefix("projects/").and_then(|r| r.split_once('/'))) {
                    (Kind::Secret, Some((pid, rest))) => {
                        let number = self.project(pid).map_or(pid, |p| p.project_number.as_str());
                        format!("projects/{number}/{rest}")
                    }
                    _ => id.to_string(),
                };
                StoreError::NotFound(not_found_message(kind, &shown))
            }
            _ => denied,
        }
    }

    /// The checks of a write that only new bindings pass (a policy read back and sent again keeps
    /// what Google stored): each role applies to the resource's kind (item 3), and each
    /// `serviceAccount:` member exists where the emulator can tell (item 2).
    pub fn check_new_bindings(
        &self,
        kind: Kind,
        before: &[Binding],
        after: &[Binding],
    ) -> Result<(), StoreError> {
        for b in after {
            let old = before.iter().find(|o| o.role == b.role);
            if old.is_none() && !self.role_applies_to(&b.role, kind) {
                return Err(StoreError::Invalid(role_not_supported(&b.role)));
            }
            for m in &b.members {
                if old.is_some_and(|o| o.members.iter().any(|x| x.eq_ignore_ascii_case(m))) {
                    continue;
                }
                if let Some(email) = self.unknown_service_account(m) {
                    // "INVALID_ARGUMENT: Service account X does not exist." (gcloud's
                    // add-iam-policy-binding, GoogleCloudPlatform/generative-ai#944,
                    // GoogleCloudPlatform/cdmc#50).
                    return Err(StoreError::Invalid(format!("Service account {email} does not exist.")));
                }
            }
        }
        Ok(())
    }

    /// True when `role` can be bound on `kind`: a predefined role by its permissions, a custom
    /// role by its declared ones (a deleted custom role is judged by them too).
    fn role_applies_to(&self, role: &str, kind: Kind) -> bool {
        if role.starts_with("roles/") {
            return predefined_role_applies(role, kind);
        }
        match self.data.custom_roles.iter().find(|r| r.name == role) {
            Some(r) => role_applies(r.included_permissions.iter().map(String::as_str), kind),
            None => true,
        }
    }

    /// The address of a `serviceAccount:` member the emulator knows cannot exist: a user-managed
    /// account of a project it holds (`NAME@PROJECT.iam.gserviceaccount.com`) or a project's
    /// Compute Engine default account (`NUMBER-compute@developer.gserviceaccount.com`) that is
    /// not among its service accounts. Accounts of projects it does not hold, and Google's service
    /// agents, may exist for all it knows, and are kept.
    fn unknown_service_account(&self, member: &str) -> Option<String> {
        let email = member.strip_prefix("serviceAccount:")?;
        let (local, domain) = email.rsplit_once('@')?;
        let domain = domain.to_ascii_lowercase();
        let ours = match domain.strip_suffix(".iam.gserviceaccount.com") {
            Some(project) => self.data.projects.iter().any(|p| p.project_id == project),
            None if domain == "developer.gserviceaccount.com" => local
                .strip_suffix("-compute")
                .is_some_and(|n| self.data.projects.iter().any(|p| p.project_number == n)),
            None => false,
        };
        (ours && self.service_account(email).is_none()).then(|| email.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_apply_where_one_of_their_permissions_does() {
        // The two examples.
        assert!(!predefined_role_applies("roles/container.clusterAdmin", Kind::ServiceAccount));
        assert!(!predefined_role_applies("roles/secretmanager.secretAccessor", Kind::Bucket));
        assert!(predefined_role_applies("roles/secretmanager.secretAccessor", Kind::Secret));
        assert!(predefined_role_applies("roles/storage.objectViewer", Kind::Bucket));
        assert!(predefined_role_applies("roles/iam.serviceAccountTokenCreator", Kind::ServiceAccount));
        assert!(predefined_role_applies("roles/cloudkms.cryptoKeyEncrypterDecrypter", Kind::CryptoKey));
        assert!(predefined_role_applies("roles/cloudkms.cryptoKeyEncrypterDecrypter", Kind::KeyRing));
        assert!(predefined_role_applies("roles/run.invoker", Kind::RunService));
        assert!(!predefined_role_applies("roles/run.invoker", Kind::Secret));
        // Every predefined role applies to a project but those of organizations, folders and
        // billing accounts.
        assert!(predefined_role_applies("roles/container.clusterAdmin", Kind::Project));
        assert!(!predefined_role_applies("roles/resourcemanager.organizationViewer", Kind::Project));
        assert!(!predefined_role_applies("roles/no.such", Kind::Project));
    }

    #[test]
    fn bucket_etags_have_storages_shape() {
        assert_eq!(next_storage_etag(Some(FIRST_STORAGE_ETAG)), "CAI=");
        assert_eq!(next_storage_etag(Some("CAI=")), "CAM=");
        assert_eq!(next_storage_etag(None), "CAI=");
        assert_eq!(next_storage_etag(Some("ACAB")), "CAI=");
        // 127 → 128 takes two bytes.
        let mut e = FIRST_STORAGE_ETAG.to_string();
        for _ in 0..127 {
            e = next_storage_etag(Some(&e));
        }
        assert_eq!(e, "CIAB");
    }

    #[test]
    fn permissions_apply_to_their_own_type_but_create_and_list_and_to_what_lies_beneath() {
        assert!(permission_applies("storage.buckets.get", Kind::Bucket));
        assert!(permission_applies("storage.objects.list", Kind::Bucket));
        assert!(!permission_applies("storage.buckets.list", Kind::Bucket));
        assert!(!permission_applies("storage.buckets.create", Kind::Bucket));
        assert!(!permission_applies("storage.hmacKeys.get", Kind::Bucket));
        assert!(permission_applies("secretmanager.versions.access", Kind::Secret));
        assert!(!permission_applies("cloudkms.keyRings.get", Kind::CryptoKey));
        assert!(permission_applies("cloudkms.cryptoKeys.get", Kind::KeyRing));
        assert!(!permission_applies("resourcemanager.projects.list", Kind::Project));
        assert!(permission_applies("resourcemanager.projects.list", Kind::Folder));
        assert!(permission_applies("resourcemanager.projects.get", Kind::Project));
        assert!(!permission_applies("resourcemanager.folders.get", Kind::Project));
        assert!(!permission_applies("nodots", Kind::Project));
    }
}
