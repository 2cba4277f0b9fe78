//! [`ResourceId`]'s checked constructors, one per kind, and the reading of a full resource name:
//! a name is checked here, at the edge, and exists only in valid form past it.

use std::str::FromStr;

use super::{Kind, ROWS, ResourceId, is_domain, is_number};
use crate::error::Error;

impl ResourceId {
    pub fn project(id: &str) -> Result<Self, Error> {
        if !ResourceId::project_ok(id) {
            return Err(Error::usage_hint(
                format!("`{id}` is not a valid project ID"),
                "project IDs are 6 to 30 lowercase letters, digits and hyphens, starting with a letter",
            ));
        }
        Ok(ResourceId { kind: Kind::Project, id: id.to_string() })
    }

    pub fn folder(n: &str) -> Result<Self, Error> {
        let n = n.strip_prefix("folders/").unwrap_or(n);
        if !is_number(n) {
            return Err(Error::usage_hint(
                format!("`{n}` is not a folder number"),
                "folders are named by number: `--folder 123456789012`",
            ));
        }
        Ok(ResourceId { kind: Kind::Folder, id: n.to_string() })
    }

    pub fn organization(n: &str) -> Result<Self, Error> {
        let n = n.strip_prefix("organizations/").unwrap_or(n);
        if !is_number(n) {
            return Err(Error::usage_hint(
                format!("`{n}` is not an organization number"),
                "organizations are named by number: `--organization 123456789012`",
            ));
        }
        Ok(ResourceId { kind: Kind::Organization, id: n.to_string() })
    }

    /// Project IDs: 6–30 characters of lowercase letters, digits and hyphens, starting with a
    /// letter and not ending with a hyphen; legacy domain-scoped IDs (`example.com:my-proj`) and
    /// project numbers are accepted too, as Google's API accepts them.
    pub fn project_ok(id: &str) -> bool {
        if is_number(id) {
            return true;
        }
        let id = match id.split_once(':') {
            Some((domain, rest)) if is_domain(domain) => rest,
            Some(_) => return false,
            None => id,
        };
        let b = id.as_bytes();
        (6..=30).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b[b.len() - 1] != b'-'
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
    }
}

impl FromStr for ResourceId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.split_once('/') {
            Some(("projects", id)) => ResourceId::project(id),
            Some(("folders", n)) => ResourceId::folder(n),
            Some(("organizations", n)) => ResourceId::organization(n),
            _ => Err(Error::usage_hint(
                format!("`{s}` is not a resource name"),
                "use projects/ID, folders/NUMBER or organizations/NUMBER",
            )),
        }
    }
}

fn bad(what: &str, given: &str, hint: String) -> Error {
    Error::usage_hint(format!("`{given}` is not a valid {what}"), hint)
}

/// `[a-zA-Z0-9_-]{1,max}`.
fn is_id(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A location: `us-central1`, `europe-west4`, `global`, `us`.
fn is_location(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn project_part(p: &str) -> bool {
    ResourceId::project_ok(p)
}

impl ResourceId {
    /// A bucket: `NAME` or `gs://NAME`. Names: 3–63 characters (222 with dots) of lowercase
    /// letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit
    /// (<https://cloud.google.com/storage/docs/buckets#naming>).
    pub fn bucket(s: &str) -> Result<ResourceId, Error> {
        let name = s.strip_prefix("gs://").unwrap_or(s).trim_end_matches('/');
        let b = name.as_bytes();
        let max = if name.contains('.') { 222 } else { 63 };
        let ok = (3..=max).contains(&b.len())
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.".contains(c))
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && name.split('.').all(|part| !part.is_empty() && part.len() <= 63);
        if !ok {
            return Err(bad(
                "bucket name",
                s,
                "bucket names are 3 to 63 lowercase letters, digits, `-`, `_` and `.`: `--bucket my-bucket` or `gs://my-bucket`"
                    .into(),
            ));
        }
        Ok(ResourceId { kind: Kind::Bucket, id: name.to_string() })
    }

    /// A secret: `projects/P/secrets/S`, or `S` in `default_project`. Secret IDs are up to 255
    /// letters, digits, `-` and `_` (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create>).
    pub fn secret(s: &str, default_project: Option<&str>) -> Result<ResourceId, Error> {
        let hint = || "use `projects/PROJECT/secrets/NAME`, or NAME with a default project".to_string();
        let parts: Vec<&str> = s.split('/').collect();
        let (project, secret) = match parts.as_slice() {
            ["projects", p, "secrets", id] => (p.to_string(), *id),
            [id] => match default_project {
                Some(p) => (p.to_string(), *id),
                None => {
                    return Err(Error::usage_hint(
                        format!("the secret `{s}` names no project, and there is no default project"),
                        "use `projects/PROJECT/secrets/NAME`, pass --project PROJECT, or set a default project \
                         (CLOUDSDK_CORE_PROJECT or `gcloud config set project`)",
                    ));
                }
            },
            _ => return Err(bad("secret name", s, hint())),
        };
        if !project_part(&project) || !is_id(secret, 255) {
            return Err(bad("secret name", s, hint()));
        }
        Ok(ResourceId { kind: Kind::Secret, id: format!("projects/{project}/secrets/{secret}") })
    }

    /// A service account: its e-mail (`NAME@PROJECT.iam.gserviceaccount.com`, or a Google-managed
    /// `…@developer.gserviceaccount.com` / `…@appspot.gserviceaccount.com`), its numeric unique ID,
    /// or `projects/P/serviceAccounts/EMAIL`. Google accepts `-` for the project
    /// (<https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/getIamPolicy>),
    /// as gcloud sends it.
    pub fn service_account(s: &str) -> Result<ResourceId, Error> {
        let account = match s.split('/').collect::<Vec<_>>().as_slice() {
            ["projects", p, "serviceAccounts", a] if *p == "-" || project_part(p) => a.to_string(),
            [a] => a.to_string(),
            _ => String::new(),
        };
        let ok = match account.rsplit_once('@') {
            Some((local, domain)) => {
                is_id(local, 64) && domain.ends_with(".gserviceaccount.com") && is_domain(domain)
            }
            // A unique ID: 21 digits (IAM's `ServiceAccount.uniqueId`, e.g. `104635123456789012345`),
            // one more than a project or folder number.
            None => !account.is_empty() && account.len() <= 21 && account.bytes().all(|b| b.is_ascii_digit()),
        };
        if !ok {
            return Err(bad(
                "service account",
                s,
                "name it by e-mail: `--service-account ci@my-project.iam.gserviceaccount.com`".into(),
            ));
        }
        Ok(ResourceId { kind: Kind::ServiceAccount, id: account.to_ascii_lowercase() })
    }

    /// A key ring: `projects/P/locations/L/keyRings/R`.
    pub fn kms_keyring(s: &str) -> Result<ResourceId, Error> {
        match s.split('/').collect::<Vec<_>>().as_slice() {
            ["projects", p, "locations", l, "keyRings", r]
                if project_part(p) && is_location(l) && is_id(r, 63) =>
            {
                Ok(ResourceId { kind: Kind::KmsKeyRing, id: s.to_string() })
            }
            _ => Err(bad("KMS key ring", s, "use the full name: `projects/P/locations/L/keyRings/R`".into())),
        }
    }

    /// A crypto key: `projects/P/locations/L/keyRings/R/cryptoKeys/K`.
    pub fn kms_key(s: &str) -> Result<ResourceId, Error> {
        match s.split('/').collect::<Vec<_>>().as_slice() {
            ["projects", p, "locations", l, "keyRings", r, "cryptoKeys", k]
                if project_part(p) && is_location(l) && is_id(r, 63) && is_id(k, 63) =>
            {
                Ok(ResourceId { kind: Kind::KmsCryptoKey, id: s.to_string() })
            }
            _ => Err(bad(
                "KMS crypto key",
                s,
                "use the full name: `projects/P/locations/L/keyRings/R/cryptoKeys/K`".into(),
            )),
        }
    }

    /// A Cloud Run service: `projects/P/locations/L/services/S`, or `S` with `region` in
    /// `default_project`. Service names are up to 49 lowercase letters, digits and hyphens,
    /// starting with a letter and not ending with a hyphen
    /// (<https://cloud.google.com/run/docs/reference/rest/v1/namespaces.services#ObjectMeta>).
    pub fn run_service(
        s: &str,
        region: Option<&str>,
        default_project: Option<&str>,
    ) -> Result<ResourceId, Error> {
        let hint = || "use `projects/P/locations/REGION/services/NAME`, or NAME with --region".to_string();
        let (project, location, name) = match s.split('/').collect::<Vec<_>>().as_slice() {
            ["projects", p, "locations", l, "services", n] => (p.to_string(), l.to_string(), n.to_string()),
            [n] => {
                let Some(region) = region else {
                    return Err(Error::usage_hint(
                        format!("the Cloud Run service `{s}` needs a region"),
                        "pass --region REGION, or the full name `projects/P/locations/REGION/services/NAME`",
                    ));
                };
                let Some(project) = default_project else {
                    return Err(Error::usage_hint(
                        format!(
                            "the Cloud Run service `{s}` names no project, and there is no default project"
                        ),
                        "use `projects/P/locations/REGION/services/NAME`, pass --project P, or set a default \
                         project (CLOUDSDK_CORE_PROJECT or `gcloud config set project`)",
                    ));
                };
                (project.to_string(), region.to_string(), n.to_string())
            }
            _ => return Err(bad("Cloud Run service", s, hint())),
        };
        let b = name.as_bytes();
        let name_ok = (1..=49).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b[b.len() - 1] != b'-'
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if !project_part(&project) || !is_location(&location) || !name_ok {
            return Err(bad("Cloud Run service", s, hint()));
        }
        Ok(ResourceId {
            kind: Kind::RunService,
            id: format!("projects/{project}/locations/{location}/services/{name}"),
        })
    }

    /// A full resource name, as Cloud Asset Inventory and Cloud Audit Logs write them
    /// (<https://cloud.google.com/asset-inventory/docs/resource-name-format>):
    /// `//cloudresourcemanager.googleapis.com/projects/P`, `//storage.googleapis.com/projects/_/buckets/B`,
    /// `//secretmanager.googleapis.com/projects/P/secrets/S`,
    /// `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL`,
    /// `//cloudkms.googleapis.com/projects/P/locations/L/keyRings/R[/cryptoKeys/K]`,
    /// `//run.googleapis.com/projects/P/locations/L/services/S`.
    pub fn full_name(s: &str) -> Result<ResourceId, Error> {
        let unknown = || {
            Error::usage_hint(
                format!("`{s}` is not a full resource name jit knows"),
                "use //SERVICE.googleapis.com/NAME for a project, folder, organization, bucket, secret, \
                 service account, KMS key ring or key, or Cloud Run service",
            )
        };
        let Some((host, name)) = s.strip_prefix("//").and_then(|r| r.split_once('/')) else {
            return Err(unknown());
        };
        // Each kind of the host reads the name, or says it is not one of its own.
        ROWS.iter()
            .filter(|row| row.host == host)
            .find_map(|row| (row.from_full_name)(name))
            .unwrap_or_else(|| Err(unknown()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_every_form() {
        let b = ResourceId::bucket("gs://my-bucket/").unwrap();
        assert_eq!((b.id.as_str(), b.name()), ("my-bucket", "projects/_/buckets/my-bucket".to_string()));
        assert_eq!(b.to_full_name(), "//storage.googleapis.com/projects/_/buckets/my-bucket");
        let s = ResourceId::secret("db-password", Some("my-project")).unwrap();
        assert_eq!(s.name(), "projects/my-project/secrets/db-password");
        assert_eq!(
            ResourceId::secret("projects/p-123456/secrets/x_1", None).unwrap().name(),
            "projects/p-123456/secrets/x_1"
        );
        let sa = ResourceId::service_account("CI@my-project.iam.gserviceaccount.com").unwrap();
        assert_eq!(sa.name(), "projects/-/serviceAccounts/ci@my-project.iam.gserviceaccount.com");
        let r = ResourceId::run_service("api", Some("europe-west4"), Some("my-project")).unwrap();
        assert_eq!(r.name(), "projects/my-project/locations/europe-west4/services/api");
        let k = "projects/my-project/locations/global/keyRings/ring/cryptoKeys/key";
        assert_eq!(ResourceId::kms_key(k).unwrap().name(), k);
        for full in [
            "//cloudresourcemanager.googleapis.com/projects/my-project",
            "//cloudresourcemanager.googleapis.com/folders/123",
            "//storage.googleapis.com/projects/_/buckets/my-bucket",
            "//secretmanager.googleapis.com/projects/my-project/secrets/s",
            "//iam.googleapis.com/projects/-/serviceAccounts/ci@my-project.iam.gserviceaccount.com",
            "//cloudkms.googleapis.com/projects/my-project/locations/global/keyRings/ring",
            "//cloudkms.googleapis.com/projects/my-project/locations/global/keyRings/ring/cryptoKeys/key",
            "//run.googleapis.com/projects/my-project/locations/europe-west4/services/api",
        ] {
            assert_eq!(ResourceId::full_name(full).unwrap().to_full_name(), full);
        }
    }

    #[test]
    fn bad_names_are_usage_errors_with_the_name() {
        let cases: [(Result<ResourceId, Error>, &str); 9] = [
            (ResourceId::bucket("ab"), "`ab` is not a valid bucket name"),
            (ResourceId::bucket("gs://My_Bucket"), "`gs://My_Bucket` is not a valid bucket name"),
            (ResourceId::secret("a/b", Some("my-project")), "`a/b` is not a valid secret name"),
            (
                ResourceId::secret("s", None),
                "the secret `s` names no project, and there is no default project",
            ),
            (
                ResourceId::service_account("bob@example.com"),
                "`bob@example.com` is not a valid service account",
            ),
            (
                ResourceId::kms_key("projects/p/keyRings/r"),
                "`projects/p/keyRings/r` is not a valid KMS crypto key",
            ),
            (
                ResourceId::run_service("api", None, Some("my-project")),
                "the Cloud Run service `api` needs a region",
            ),
            (
                ResourceId::full_name("//compute.googleapis.com/projects/p/zones/z/instances/i"),
                "`//compute.googleapis.com/projects/p/zones/z/instances/i` is not a full resource name jit knows",
            ),
            (ResourceId::full_name("projects/p"), "`projects/p` is not a full resource name jit knows"),
        ];
        for (result, want) in cases {
            let e = result.unwrap_err();
            assert_eq!(e.to_string(), want);
            assert_eq!(e.exit_code(), 2, "{want}");
        }
    }
}
