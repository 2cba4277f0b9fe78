//! A small catalog of roles → permissions: enough for the emulator to decide what a caller may do on
//! the resource hierarchy, and for tests to prove that a time-bound grant gives access before its
//! expiry and none after.
//!
//! Sources: Google's role reference <https://cloud.google.com/iam/docs/understanding-roles> and
//! <https://cloud.google.com/resource-manager/docs/access-control-proj>. The lists are trimmed to the
//! permissions the emulator checks (resource manager, IAM credentials) plus a few that tests use with
//! `testIamPermissions`; a role not listed here grants nothing.

const RM_GET: &[&str] = &[
    "resourcemanager.organizations.get",
    "resourcemanager.folders.get",
    "resourcemanager.folders.list",
    "resourcemanager.projects.get",
    "resourcemanager.projects.list",
];

const RM_GET_IAM: &[&str] = &[
    "resourcemanager.organizations.getIamPolicy",
    "resourcemanager.folders.getIamPolicy",
    "resourcemanager.projects.getIamPolicy",
];

const RM_SET_IAM: &[&str] = &[
    "resourcemanager.organizations.setIamPolicy",
    "resourcemanager.folders.setIamPolicy",
    "resourcemanager.projects.setIamPolicy",
];

const STORAGE_READ: &[&str] =
    &["storage.buckets.get", "storage.buckets.list", "storage.objects.get", "storage.objects.list"];
const STORAGE_WRITE: &[&str] = &[
    "storage.buckets.create",
    "storage.buckets.delete",
    "storage.buckets.update",
    "storage.buckets.getIamPolicy",
    "storage.buckets.setIamPolicy",
    "storage.objects.create",
    "storage.objects.delete",
    "storage.objects.update",
];
const COMPUTE_READ: &[&str] = &["compute.instances.get", "compute.instances.list"];
const COMPUTE_WRITE: &[&str] =
    &["compute.instances.start", "compute.instances.stop", "compute.instances.delete"];
const BIGQUERY_READ: &[&str] = &["bigquery.datasets.get", "bigquery.tables.get"];
// Viewer reads metadata, not table data.
const BIGQUERY_DATA: &[&str] = &["bigquery.tables.getData"];
const LOGGING_READ: &[&str] = &["logging.logEntries.list"];
const SA_TOKEN: &[&str] = &["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signJwt"];
const SA_USE: &[&str] = &["iam.serviceAccounts.actAs", "iam.serviceAccounts.get", "iam.serviceAccounts.list"];

// ---- issue 9 (kindsemu): the policy permissions of the resource kinds below a project, until the
// full catalog of predefined roles lands. Owner holds them all; each service's admin role its own.
// <https://cloud.google.com/iam/docs/roles-permissions> (storage, secretmanager, iam, cloudkms, run).
const SECRET_ADMIN: &[&str] = &[
    "secretmanager.secrets.get",
    "secretmanager.secrets.getIamPolicy",
    "secretmanager.secrets.setIamPolicy",
];
const SA_ADMIN: &[&str] =
    &["iam.serviceAccounts.get", "iam.serviceAccounts.getIamPolicy", "iam.serviceAccounts.setIamPolicy"];
const KMS_ADMIN: &[&str] = &[
    "cloudkms.keyRings.get",
    "cloudkms.keyRings.getIamPolicy",
    "cloudkms.keyRings.setIamPolicy",
    "cloudkms.cryptoKeys.get",
    "cloudkms.cryptoKeys.getIamPolicy",
    "cloudkms.cryptoKeys.setIamPolicy",
];
const RUN_ADMIN: &[&str] = &["run.services.get", "run.services.getIamPolicy", "run.services.setIamPolicy"];
// ---- end of issue 9 (kindsemu)

/// The roles the emulator knows, each as a list of permission groups.
fn groups(role: &str) -> &'static [&'static [&'static str]] {
    match role {
        // Basic roles. Owner holds every permission the emulator checks.
        "roles/owner" => &[
            RM_GET,
            RM_GET_IAM,
            RM_SET_IAM,
            STORAGE_READ,
            STORAGE_WRITE,
            COMPUTE_READ,
            COMPUTE_WRITE,
            BIGQUERY_READ,
            BIGQUERY_DATA,
            LOGGING_READ,
            SA_TOKEN,
            SA_USE,
            SECRET_ADMIN,
            SA_ADMIN,
            KMS_ADMIN,
            RUN_ADMIN,
        ],
        // Editor: everything but changing IAM policies.
        "roles/editor" => &[
            RM_GET,
            RM_GET_IAM,
            STORAGE_READ,
            STORAGE_WRITE,
            COMPUTE_READ,
            COMPUTE_WRITE,
            BIGQUERY_READ,
            BIGQUERY_DATA,
            LOGGING_READ,
            SA_USE,
        ],
        "roles/viewer" => &[RM_GET, RM_GET_IAM, STORAGE_READ, COMPUTE_READ, BIGQUERY_READ, LOGGING_READ],
        "roles/browser" => &[RM_GET, RM_GET_IAM],
        // Resource Manager.
        "roles/resourcemanager.organizationAdmin" => &[RM_GET, RM_GET_IAM, RM_SET_IAM],
        "roles/resourcemanager.organizationViewer" => &[&["resourcemanager.organizations.get"]],
        "roles/resourcemanager.folderAdmin" => &[RM_GET, RM_GET_IAM, RM_SET_IAM],
        "roles/resourcemanager.folderIamAdmin" => &[
            &["resourcemanager.folders.get", "resourcemanager.folders.list"],
            &["resourcemanager.folders.getIamPolicy", "resourcemanager.folders.setIamPolicy"],
        ],
        "roles/resourcemanager.folderViewer" => {
            &[&["resourcemanager.folders.get", "resourcemanager.folders.list"]]
        }
        "roles/resourcemanager.projectIamAdmin" => {
            &[&["resourcemanager.projects.getIamPolicy", "resourcemanager.projects.setIamPolicy"]]
        }
        // IAM.
        "roles/iam.securityAdmin" => &[RM_GET, RM_GET_IAM, RM_SET_IAM, SA_USE],
        "roles/iam.securityReviewer" => &[RM_GET_IAM],
        "roles/iam.serviceAccountTokenCreator" => &[SA_TOKEN],
        "roles/iam.serviceAccountUser" => &[SA_USE],
        // Predefined roles that tests grant for a while.
        "roles/storage.admin" => &[STORAGE_READ, STORAGE_WRITE],
        "roles/storage.objectViewer" => &[&["storage.objects.get", "storage.objects.list"]],
        "roles/storage.objectAdmin" => &[&[
            "storage.objects.get",
            "storage.objects.list",
            "storage.objects.create",
            "storage.objects.delete",
            "storage.objects.update",
        ]],
        "roles/compute.viewer" => &[COMPUTE_READ],
        "roles/compute.admin" => &[COMPUTE_READ, COMPUTE_WRITE],
        "roles/bigquery.dataViewer" => &[BIGQUERY_READ, BIGQUERY_DATA],
        "roles/logging.viewer" => &[LOGGING_READ],
        // issue 9 (kindsemu): each service's admin role.
        "roles/secretmanager.admin" => &[SECRET_ADMIN],
        "roles/iam.serviceAccountAdmin" => &[SA_ADMIN, SA_USE],
        "roles/cloudkms.admin" => &[KMS_ADMIN],
        "roles/run.admin" => &[RUN_ADMIN],
        _ => &[],
    }
}

/// True when `role` grants `permission`.
pub fn grants(role: &str, permission: &str) -> bool {
    groups(role).iter().any(|g| g.contains(&permission))
}

/// Every permission `role` grants.
pub fn permissions(role: &str) -> Vec<&'static str> {
    groups(role).iter().flat_map(|g| g.iter().copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_roles_grant_what_their_names_say() {
        assert!(grants("roles/resourcemanager.projectIamAdmin", "resourcemanager.projects.setIamPolicy"));
        assert!(!grants("roles/resourcemanager.projectIamAdmin", "resourcemanager.folders.setIamPolicy"));
        assert!(grants("roles/iam.securityAdmin", "resourcemanager.organizations.setIamPolicy"));
        assert!(!grants("roles/editor", "resourcemanager.projects.setIamPolicy"));
        assert!(grants("roles/viewer", "resourcemanager.projects.getIamPolicy"));
        assert!(grants("roles/storage.admin", "storage.buckets.list"));
        assert!(permissions("roles/unknown.role").is_empty());
    }
}
