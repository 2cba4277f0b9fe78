//! Pure: Google's predefined roles as jit's copy knows them (data/gcp-roles.json, turned into
//! static tables by build.rs), the check a role name passes before jit writes it, "did you mean"
//! suggestions, and which permissions make a role a path to more access.
//!
//! Nothing is parsed or allocated at start-up: the tables are offsets into one string and one byte
//! array in the binary's read-only data, touched only by the commands that look a role up.

use std::fmt;

use crate::error::Error;

/// `text[start..start + len]` of the generated string table.
#[derive(Clone, Copy)]
struct Str(u32, u32);

/// One predefined role: name, title and stage in the string table, and `(start, count)` of its
/// permission indexes in the pair table.
struct Row {
    name: Str,
    title: Str,
    stage: Str,
    permissions: (u32, u32),
}

#[allow(clippy::unreadable_literal)]
mod table {
    use super::{Row, Str};
    include!(concat!(env!("OUT_DIR"), "/roles_table.rs"));
}

fn text(s: Str) -> &'static str {
    &table::STRINGS[s.0 as usize..(s.0 + s.1) as usize]
}

/// The permission with this index in the sorted list of every permission.
fn permission(index: usize) -> &'static str {
    &table::STRINGS[table::PERMISSIONS[index] as usize..table::PERMISSIONS[index + 1] as usize]
}

/// A binary search over `0..len`: `compare(i)` orders what lies at `i` against the target.
fn bisect(len: usize, compare: impl Fn(usize) -> std::cmp::Ordering) -> Option<usize> {
    let (mut low, mut high) = (0, len);
    while low < high {
        let middle = low + (high - low) / 2;
        match compare(middle) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return Some(middle),
        }
    }
    None
}

/// Where jit's copy of Google's roles came from, and when (data/README.md).
pub fn source() -> &'static str {
    table::SOURCE
}

/// The date of jit's copy of Google's roles (YYYY-MM-DD).
pub fn date() -> &'static str {
    table::DATE
}

/// A predefined role in jit's copy of Google's list.
#[derive(Clone, Copy)]
pub struct CatalogRole(&'static Row);

impl CatalogRole {
    /// `roles/storage.objectViewer`.
    pub fn name(self) -> &'static str {
        text(self.0.name)
    }

    /// `Storage Object Viewer`.
    pub fn title(self) -> &'static str {
        text(self.0.title)
    }

    /// Google's launch stage: `GA`, `BETA`, `ALPHA`, `DEPRECATED`…
    pub fn stage(self) -> &'static str {
        text(self.0.stage)
    }

    pub fn permission_count(self) -> usize {
        self.0.permissions.1 as usize
    }

    /// The role's permissions, sorted by name.
    pub fn permissions(self) -> impl ExactSizeIterator<Item = &'static str> {
        self.indexes().map(permission)
    }

    /// Whether the role includes `name` (a bisection: indexes are sorted, and so are the names).
    pub fn has_permission(self, name: &str) -> bool {
        let Some(wanted) = bisect(table::PERMISSIONS.len() - 1, |i| permission(i).cmp(name)) else {
            return false;
        };
        let pairs = self.pairs();
        let index = |i: usize| usize::from(u16::from_le_bytes([pairs[i * 2], pairs[i * 2 + 1]]));
        bisect(pairs.len() / 2, |i| index(i).cmp(&wanted)).is_some()
    }

    /// The role's permission indexes, two little-endian bytes each.
    fn pairs(self) -> &'static [u8] {
        let (start, count) = (self.0.permissions.0 as usize, self.0.permissions.1 as usize);
        &table::PAIRS[start * 2..(start + count) * 2]
    }

    fn indexes(self) -> impl ExactSizeIterator<Item = usize> {
        self.pairs().chunks_exact(2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    }
}

impl PartialEq for CatalogRole {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for CatalogRole {}

impl fmt::Debug for CatalogRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every predefined role, sorted by name.
pub fn all() -> impl ExactSizeIterator<Item = CatalogRole> {
    table::ROLES.iter().map(CatalogRole)
}

/// The predefined role named exactly `name` (a binary search over the sorted table).
pub fn get(name: &str) -> Option<CatalogRole> {
    table::ROLES.binary_search_by(|r| text(r.name).cmp(name)).ok().map(|i| CatalogRole(&table::ROLES[i]))
}

/// The predefined roles whose names start with `prefix`, in order (two bisections).
pub fn with_prefix(prefix: &str) -> impl Iterator<Item = CatalogRole> {
    let start = table::ROLES.partition_point(|r| text(r.name) < prefix);
    table::ROLES[start..].iter().take_while(move |r| text(r.name).starts_with(prefix)).map(CatalogRole)
}

/// What jit knows about a role name that passed [`check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleCheck {
    /// In jit's copy of Google's predefined roles.
    Predefined(CatalogRole),
    /// Not in jit's copy, but Google said it exists: a role newer than the copy.
    Confirmed,
    /// A well-formed custom role name; only Google can say whether the role exists.
    Custom,
}

/// Google's answer about a role, when jit could ask it (`roles.get`, or whether the role is among
/// `roles.queryGrantableRoles` on the scope). `None` where [`check`] takes one means offline, or
/// Google did not answer: jit's copy decides then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Online {
    Exists,
    NotFound,
}

/// The check a role name passes before jit writes a binding of it (issue 13): a predefined role
/// in jit's copy, or a custom role name of the form Google gives them. Anything else is a usage
/// error with the closest roles by name and title; nothing has been sent then. An `online` answer
/// from Google decides over jit's copy, which can be older than a new role.
pub fn check(raw: &str, online: Option<Online>) -> Result<RoleCheck, Error> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::usage_hint(
            "the role name is empty",
            "name a role such as `roles/storage.objectViewer`; `jit roles list` shows Google's predefined roles",
        ));
    }
    if name.chars().any(crate::text::is_terminal_control) || crate::policy::is_version1_role(name) {
        // Not a name someone misspelled: `Role`'s own message says what it is (a control
        // character, a version-1 view of a conditional binding).
        name.parse::<crate::iam::Role>()?;
    }
    if let Some(rest) = name.strip_prefix("roles/")
        && (rest.starts_with("projects/") || rest.starts_with("organizations/"))
    {
        return Err(Error::usage_hint(
            format!("`{name}` is not a role name: custom roles have no `roles/` prefix"),
            format!("name it `{rest}`"),
        ));
    }
    if name.contains('/') && !name.starts_with("roles/") {
        custom(name)?;
        return match online {
            Some(Online::NotFound) => Err(Error::usage_hint(
                format!("custom role `{name}` does not exist"),
                "Google's IAM API does not know it; `gcloud iam roles list --project ID` shows a project's",
            )),
            _ => Ok(RoleCheck::Custom),
        };
    }
    match (get(name), online) {
        (Some(role), None | Some(Online::Exists)) => Ok(RoleCheck::Predefined(role)),
        (None, Some(Online::Exists)) => Ok(RoleCheck::Confirmed),
        (_, Some(Online::NotFound)) => Err(unknown(name, true)),
        (None, None) => Err(unknown(name, false)),
    }
}

/// Custom roles are `projects/PROJECT_ID/roles/ROLE_ID` or `organizations/NUMBER/roles/ROLE_ID`,
/// and a role ID matches `[a-zA-Z0-9_\.]{3,64}`:
/// <https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles/create> (`roleId`).
fn custom(name: &str) -> Result<(), Error> {
    let form = "custom roles are `projects/PROJECT_ID/roles/ROLE_ID` or `organizations/NUMBER/roles/ROLE_ID`";
    let parts: Vec<&str> = name.split('/').collect();
    let id = match parts.as_slice() {
        ["projects", project, "roles", id] => {
            if !crate::iam::ResourceId::project_ok(project) {
                return Err(Error::usage_hint(
                    format!("`{project}` in role `{name}` is not a valid project ID"),
                    form,
                ));
            }
            id
        }
        ["organizations", number, "roles", id] => {
            if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::usage_hint(
                    format!("`{number}` in role `{name}` is not an organization number"),
                    form,
                ));
            }
            id
        }
        ["folders", ..] => {
            return Err(Error::usage_hint(
                format!("`{name}` is not a role name: folders have no custom roles"),
                form,
            ));
        }
        _ => {
            return Err(Error::usage_hint(
                format!("`{name}` is not a role name"),
                format!("predefined roles are `roles/NAME`; {form}"),
            ));
        }
    };
    let id_ok = (3..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if !id_ok {
        return Err(Error::usage_hint(
            format!("`{id}` in role `{name}` is not a valid custom role ID"),
            "a role ID is 3 to 64 letters, digits, `_` and `.` (Google's roles.create)",
        ));
    }
    Ok(())
}

/// The error for a name that is no predefined role, with up to three suggestions.
fn unknown(name: &str, google_said_so: bool) -> Error {
    let what = if name.starts_with("roles/") { "is not a predefined role" } else { "is not a role name" };
    let mut message = format!("`{name}` {what}");
    let suggestions = suggest(name);
    if !suggestions.is_empty() {
        let list: Vec<String> =
            suggestions.iter().map(|r| format!("`{}` ({})", r.name(), r.title())).collect();
        let list = match list.as_slice() {
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
            [] => unreachable!("not empty"),
        };
        message.push_str(&format!("; did you mean {list}?"));
    }
    let hint = if google_said_so {
        "Google's IAM API does not define it; `jit roles list` shows the predefined roles".to_string()
    } else {
        format!(
            "`jit roles list` shows the {} roles of jit's copy of Google's list ({}); for a newer role, \
             pass --no-role-check",
            table::ROLES.len(),
            date()
        )
    };
    Error::usage_hint(message, hint)
}

/// Up to three predefined roles closest to `input`: first by the edit distance of the part after
/// `roles/` (an optimal-string-alignment Damerau–Levenshtein distance, case-insensitive, so a
/// swapped or missing letter costs one), then by the words of the input found in a role's title
/// (`secretAccessor` finds "Secret Manager Secret Accessor").
pub fn suggest(input: &str) -> Vec<CatalogRole> {
    let query = input.trim();
    let query = query.strip_prefix("roles/").unwrap_or(query);
    if query.is_empty() {
        return Vec::new();
    }
    let lower = query.to_ascii_lowercase();
    let limit = (lower.len() / 5).clamp(1, 4);
    let words = words(query);
    let mut scored: Vec<((usize, usize, usize), CatalogRole)> = Vec::new();
    let mut name = String::new();
    for role in all() {
        name.clear();
        name.push_str(role.name().trim_start_matches("roles/"));
        name.make_ascii_lowercase();
        // The whole name, or (for an input without a service) the part after the service.
        let mut distance = within(&lower, &name, limit);
        if !lower.contains('.')
            && let Some((_, after)) = name.split_once('.')
            && let Some(d) = within(&lower, after, limit)
        {
            distance = Some(distance.map_or(d + 1, |whole| whole.min(d + 1)));
        }
        let titled = !words.is_empty() && words.iter().all(|w| title_has(role.title(), w));
        match distance {
            Some(d) => scored.push(((0, d, 0), role)),
            None if titled => scored.push(((1, role.title().len(), role.name().len()), role)),
            None => {}
        }
    }
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name().cmp(b.1.name())));
    scored.into_iter().take(3).map(|(_, role)| role).collect()
}

/// The distance between `a` and `b` if it is at most `limit`.
fn within(a: &str, b: &str, limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    Some(osa_distance(a.as_bytes(), b.as_bytes())).filter(|&d| d <= limit)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
/// two adjacent bytes each cost one.
fn osa_distance(a: &[u8], b: &[u8]) -> usize {
    let mut two_back = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(two_back[j - 2] + 1);
            }
        }
        std::mem::swap(&mut two_back, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The lowercase words of a role name as people type it: split at anything not a letter or digit
/// and where a capital follows a lowercase letter (`objectViewer` → `object`, `viewer`). At most
/// eight, of two letters or more.
fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in s.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out.retain(|w| w.len() >= 2);
    out.truncate(8);
    out
}

/// Whether a title has this word: the same, a word it starts (`admin` → "Administrator"), or, for
/// five letters or more, one typo away.
fn title_has(title: &str, word: &str) -> bool {
    title.split(|c: char| !c.is_ascii_alphanumeric()).any(|t| {
        let t = t.to_ascii_lowercase();
        t == word
            || (word.len() >= 4 && t.starts_with(word))
            || (word.len() >= 5 && within(word, &t, 1).is_some())
    })
}

/// Why a permission matters for escalation: it lets whoever holds it reach more access than the
/// role itself describes. Sources, Google's:
/// - <https://cloud.google.com/iam/docs/service-account-permissions> (Service Account User's
///   `actAs`; Service Account Token Creator's `getAccessToken`, `getOpenIdToken`,
///   `implicitDelegation`, `signBlob`, `signJwt`; Service Account Key Admin's keys);
/// - <https://cloud.google.com/iam/docs/service-account-impersonation> (impersonation and the
///   short-lived credentials those permissions create);
/// - <https://cloud.google.com/iam/docs/keys-upload> (an uploaded public key authenticates as the
///   service account);
/// - <https://cloud.google.com/iam/docs/creating-custom-roles> (`iam.roles.update`
///   changes the permissions of everyone who holds the custom role);
/// - <https://cloud.google.com/deployment-manager/docs/access-control> (Deployment Manager creates
///   resources "on your behalf" as the Google APIs service agent, by default an Editor of the
///   project).
///
/// - <https://cloud.google.com/build/docs/cloud-build-service-account> and
///   <https://cloud.google.com/build/docs/securing-builds/configure-access-for-cloud-build-service-account>
///   (a build runs as the Cloud Build service account, with that account's access: Cloud Build
///   Editor's `cloudbuild.builds.create` is a path to it; issue 17 item 5);
/// - <https://cloud.google.com/iam/docs/tags-access-control> and
///   <https://cloud.google.com/resource-manager/docs/tags/tags-overview#iam-conditions> (a condition
///   can test a resource's tags, so Tag User's `tagValueBindings.create` and `.delete` can make
///   such a condition true, or a deny rule's tag test false);
/// - <https://cloud.google.com/iam/docs/deny-overview> (a deny rule holds "regardless of the roles
///   they're granted": Deny Admin's update and delete of deny policies give denied permissions
///   back);
/// - <https://cloud.google.com/resource-manager/docs/organization-policy/overview> (Organization
///   Policy Administrator's `orgpolicy.policy.set` lifts constraints such as
///   `iam.disableServiceAccountKeyCreation` and `iam.allowedPolicyMemberDomains`);
/// - <https://cloud.google.com/compute/docs/connect/add-ssh-keys> and
///   <https://cloud.google.com/compute/docs/access/service-accounts> (an SSH key added to instance
///   or project metadata is a shell on VMs that run as their service accounts);
/// - <https://cloud.google.com/storage/docs/authentication/hmackeys> (an HMAC key for a service
///   account is a long-lived credential that acts as it);
/// - Google's own summary of these paths: "Privilege escalation" in
///   <https://cloud.google.com/iam/docs/best-practices-service-accounts> (service accounts as a
///   way to more access) and <https://cloud.google.com/iam/docs/service-account-permissions>.
///
/// Any `*.setIamPolicy` changes who may use the resource, the caller included
/// (<https://cloud.google.com/iam/docs/granting-changing-revoking-access>).
const ESCALATION: [(&str, &str); 20] = [
    ("iam.serviceAccounts.actAs", "run code as a service account, with all of its access"),
    ("iam.serviceAccounts.getAccessToken", "mint OAuth access tokens for a service account"),
    ("iam.serviceAccounts.getOpenIdToken", "mint OpenID Connect ID tokens for a service account"),
    ("iam.serviceAccounts.implicitDelegation", "mint a service account's tokens through a delegation chain"),
    ("iam.serviceAccounts.signBlob", "sign bytes as a service account (e.g. signed URLs, self-made tokens)"),
    ("iam.serviceAccounts.signJwt", "sign JWTs as a service account, which authenticate as it"),
    ("iam.serviceAccountKeys.create", "create a long-lived key for a service account"),
    ("iam.serviceAccountKeys.upload", "upload a public key that then authenticates as a service account"),
    ("iam.roles.update", "add permissions to a custom role, for everyone who holds it"),
    ("deploymentmanager.deployments.create", "create resources as the Google APIs service agent (Editor)"),
    ("deploymentmanager.deployments.update", "change resources as the Google APIs service agent (Editor)"),
    ("cloudbuild.builds.create", "run a build as the Cloud Build service account, with all of its access"),
    ("resourcemanager.tagValueBindings.create", "attach a tag that makes a tag-based IAM condition hold"),
    ("resourcemanager.tagValueBindings.delete", "detach a tag that a deny rule or a condition depends on"),
    ("iam.denypolicies.update", "change a deny policy, giving denied permissions back"),
    ("iam.denypolicies.delete", "delete a deny policy, giving denied permissions back"),
    ("orgpolicy.policy.set", "lift organization policy constraints (key creation, allowed domains, ...)"),
    ("compute.instances.setMetadata", "add an SSH key to a VM, a shell as its service account"),
    ("compute.projects.setCommonInstanceMetadata", "add an SSH key to every VM of the project"),
    ("storage.hmacKeys.create", "create a long-lived HMAC key for a service account"),
];

/// Why `permission` is a path to more access, or `None` if it is not one jit knows of.
pub fn escalation_reason(permission: &str) -> Option<&'static str> {
    if permission.ends_with(".setIamPolicy") {
        return Some("change who has access to the resource, the caller included");
    }
    ESCALATION.iter().find(|(p, _)| *p == permission).map(|(_, why)| *why)
}

/// The permissions of `role` that lead to more access than the role describes ([`ESCALATION`] and
/// any `*.setIamPolicy`), sorted by name: what `roles show`, and later `delegate` and `audit`,
/// look at.
pub fn escalation_permissions(role: CatalogRole) -> Vec<&'static str> {
    role.permissions().filter(|p| escalation_reason(p).is_some()).collect()
}

/// The resource types (`SERVICE.RESOURCE` of a permission's name) whose permissions apply to a
/// resource of `kind`: its own type (but `create` and `list`, which are checked on the parent)
/// and the types beneath it. `None` for the hierarchy, where every role applies but those of
/// what lies above ([`above`]). jit's own reading, for the check before a write (issue 18 item
/// 3), the emulator's too (emulator/src/state/applies.rs); Google refuses a role none of whose
/// permissions applies with "Role R is not supported for this resource."
fn kind_types(kind: crate::iam::Kind) -> Option<(&'static str, &'static [&'static str])> {
    use crate::iam::Kind;
    Some(match kind {
        Kind::Organization | Kind::Folder | Kind::Project => return None,
        Kind::Bucket => (
            "storage.buckets",
            &[
                "storage.objects",
                "storage.managedFolders",
                "storage.folders",
                "storage.multipartUploads",
                "storage.anywhereCaches",
                "storage.bucketOperations",
                "storage.intelligenceConfigs",
            ],
        ),
        Kind::Secret => ("secretmanager.secrets", &["secretmanager.versions"]),
        Kind::ServiceAccount => {
            ("iam.serviceAccounts", &["iam.serviceAccountKeys", "iam.serviceAccountApiKeyBindings"])
        }
        Kind::KmsKeyRing => (
            "cloudkms.keyRings",
            &["cloudkms.cryptoKeys", "cloudkms.cryptoKeyVersions", "cloudkms.importJobs"],
        ),
        Kind::KmsCryptoKey => ("cloudkms.cryptoKeys", &["cloudkms.cryptoKeyVersions"]),
        Kind::RunService => ("run.services", &["run.routes", "run.revisions", "run.configurations"]),
    })
}

/// Permissions of what lies above (or beside) a resource of the hierarchy, none of which applies
/// to it: a project holds no organization, folder or billing account, and is created and listed
/// in its parent (`roles/resourcemanager.organizationViewer` or `projectCreator` on a project).
fn above(kind: crate::iam::Kind, permission: &str) -> bool {
    use crate::iam::Kind;
    let prefixes: &[&str] = match kind {
        Kind::Project => &["resourcemanager.organizations.", "resourcemanager.folders.", "billing.accounts."],
        Kind::Folder => &["resourcemanager.organizations.", "billing.accounts."],
        _ => &[],
    };
    prefixes.iter().any(|a| permission.starts_with(a))
        || (kind == Kind::Project
            && matches!(permission, "resourcemanager.projects.create" | "resourcemanager.projects.list"))
}

/// True when `role` (in jit's copy) can be bound on a resource of `kind`: it has no permission,
/// or one about the resource or what it holds (for the hierarchy: one not about what lies above).
pub fn applies_to(role: CatalogRole, kind: crate::iam::Kind) -> bool {
    if role.permission_count() == 0 {
        return true;
    }
    let Some((own, beneath)) = kind_types(kind) else {
        return role.permissions().any(|p| !above(kind, p));
    };
    role.permissions().any(|p| {
        let Some((ty, verb)) = p.rsplit_once('.') else { return false };
        (ty == own && verb != "create" && verb != "list") || beneath.contains(&ty)
    })
}

/// Refuses, before anything is read or sent, a role that does not apply to a resource it is to
/// be granted on: `roles/secretmanager.secretAccessor` on a bucket. Only the roles jit's copy
/// knows are judged (Google decides the others).
pub fn check_applies<'a>(
    roles: impl IntoIterator<Item = &'a str>,
    kinds: &[crate::iam::Kind],
) -> Result<(), Error> {
    for name in roles {
        let Some(role) = get(name) else { continue };
        if let Some(&kind) = kinds.iter().find(|&&k| !applies_to(role, k)) {
            let noun = crate::gcp::kinds::row(kind).noun;
            return Err(Error::usage_hint(
                format!(
                    "that role does not apply to a {noun}: none of the permissions of `{name}` is about a {noun} or \
                     what it holds (Google refuses it: \"Role {name} is not supported for this resource.\")"
                ),
                format!(
                    "grant it on the project instead, or pick a role for a {noun}; --no-role-check leaves the \
                     decision to Google"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_the_data_file() {
        assert_eq!(all().len(), 2461);
        assert_eq!(table::PERMISSIONS.len() - 1, 13790);
        assert_eq!(all().map(|r| r.permission_count()).sum::<usize>(), 165_179);
        assert!(all().zip(all().skip(1)).all(|(a, b)| a.name() < b.name()), "sorted for bisection");
        let viewer = get("roles/storage.objectViewer").unwrap();
        assert_eq!(viewer.title(), "Storage Object Viewer");
        assert_eq!(viewer.stage(), "GA");
        assert!(viewer.permissions().any(|p| p == "storage.objects.get"));
        assert!(viewer.has_permission("storage.objects.list"));
        assert!(!viewer.has_permission("storage.objects.delete"));
        assert_eq!(get("roles/storage.objectviewer"), None, "names are case-sensitive");
        assert_eq!(get(""), None);
        assert_eq!(date(), "2026-08-22");
        assert!(source().contains("iam-dataset"));
    }

    #[test]
    fn prefixes() {
        let storage: Vec<&str> = with_prefix("roles/storage.obj").map(|r| r.name()).collect();
        assert!(storage.contains(&"roles/storage.objectViewer"), "{storage:?}");
        assert!(storage.iter().all(|n| n.starts_with("roles/storage.obj")));
        assert_eq!(with_prefix("").count(), 2461);
        assert_eq!(with_prefix("roles/zzz").count(), 0);
    }

    #[test]
    fn distances() {
        assert_eq!(osa_distance(b"viewer", b"viwer"), 1);
        assert_eq!(osa_distance(b"ab", b"ba"), 1, "a transposition costs one");
        assert_eq!(osa_distance(b"", b"abc"), 3);
        assert_eq!(osa_distance(b"kitten", b"sitting"), 3);
        assert_eq!(words("secretmanager.secretAccessor"), ["secretmanager", "secret", "accessor"]);
    }

    fn names(input: &str) -> Vec<&'static str> {
        suggest(input).into_iter().map(|r| r.name()).collect()
    }

    #[test]
    fn suggestions() {
        assert_eq!(names("roles/storage.objectViwer")[0], "roles/storage.objectViewer");
        assert_eq!(names("roles/storage.object-viewer")[0], "roles/storage.objectViewer");
        assert_eq!(names("storage.admin")[0], "roles/storage.admin");
        assert_eq!(names("roles/storgae.admin")[0], "roles/storage.admin");
        assert!(names("roles/secretAccessor").contains(&"roles/secretmanager.secretAccessor"));
        assert!(names("roles/").is_empty());
        assert!(names("roles/zzzzzzzzzzzzzzzzzzzzzzzz").is_empty());
        assert!(names(&"x".repeat(100_000)).is_empty(), "a long input is cheap: lengths prune");
        assert!(names("roles/storage.objectViwer").len() <= 3);
    }

    #[test]
    fn check_accepts_predefined_and_custom_roles() {
        let viewer = get("roles/storage.objectViewer").unwrap();
        assert_eq!(check(" roles/storage.objectViewer ", None).unwrap(), RoleCheck::Predefined(viewer));
        assert_eq!(check("projects/my-proj/roles/custom_1", None).unwrap(), RoleCheck::Custom);
        assert_eq!(check("organizations/123/roles/a.b_c", None).unwrap(), RoleCheck::Custom);
        // Google's answer decides over the copy.
        assert_eq!(check("roles/brandNew.role", Some(Online::Exists)).unwrap(), RoleCheck::Confirmed);
        let gone = check("roles/storage.objectViewer", Some(Online::NotFound)).unwrap_err();
        assert!(gone.hint().unwrap().starts_with("Google's IAM API does not define it"));
        assert!(check("projects/my-proj/roles/gone", Some(Online::NotFound)).is_err());
    }

    #[track_caller]
    fn refused(input: &str) -> (String, String) {
        let e = check(input, None).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{input}");
        (e.to_string(), e.hint().unwrap_or_default().to_string())
    }

    #[test]
    fn check_refuses_with_suggestions() {
        let (message, hint) = refused("roles/storage.objectViwer");
        assert!(
            message.starts_with(
                "`roles/storage.objectViwer` is not a predefined role; did you mean \
                 `roles/storage.objectViewer` (Storage Object Viewer)"
            ),
            "{message}"
        );
        assert!(hint.contains("--no-role-check"), "{hint}");
        assert!(hint.contains("2026-08-22"), "{hint}");
        let (message, _) = refused("roles/zzzzzzzzzzzzzzzz");
        assert_eq!(message, "`roles/zzzzzzzzzzzzzzzz` is not a predefined role");
        assert_eq!(refused("  ").0, "the role name is empty");
        // Not misspellings: `Role` says what they are.
        assert_eq!(
            refused("roles/a\u{1b}[2J").0,
            "role `roles/a\\u{1b}[2J` contains the control character `\\u{1b}`"
        );
        assert!(refused("roles/a.b_withcond_0123456789abcdef0123").0.contains("version-1 view"));
        assert_eq!(refused("").0, "the role name is empty");
    }

    #[test]
    fn check_refuses_custom_roles_in_the_wrong_form() {
        let table = [
            (
                "roles/projects/p/roles/x",
                "`roles/projects/p/roles/x` is not a role name: custom roles have no `roles/` prefix",
            ),
            ("projects/my-proj/role/xyz", "`projects/my-proj/role/xyz` is not a role name"),
            (
                "projects/my-proj/roles/my-role",
                "`my-role` in role `projects/my-proj/roles/my-role` is not a valid custom role ID",
            ),
            (
                "projects/my-proj/roles/ab",
                "`ab` in role `projects/my-proj/roles/ab` is not a valid custom role ID",
            ),
            (
                "projects/My_Proj/roles/abc",
                "`My_Proj` in role `projects/My_Proj/roles/abc` is not a valid project ID",
            ),
            (
                "organizations/abc/roles/xyz",
                "`abc` in role `organizations/abc/roles/xyz` is not an organization number",
            ),
            ("folders/1/roles/xyz", "`folders/1/roles/xyz` is not a role name: folders have no custom roles"),
        ];
        for (input, want) in table {
            assert_eq!(refused(input).0, want, "{input}");
        }
        assert_eq!(refused("roles/projects/p/roles/x").1, "name it `projects/p/roles/x`");
        let long = format!("projects/my-proj/roles/{}", "a".repeat(65));
        assert!(refused(&long).0.contains("is not a valid custom role ID"));
        assert_eq!(
            check(&format!("projects/my-proj/roles/{}", "a".repeat(64)), None).unwrap(),
            RoleCheck::Custom
        );
    }

    #[test]
    fn escalation() {
        let token_creator = get("roles/iam.serviceAccountTokenCreator").unwrap();
        let found = escalation_permissions(token_creator);
        for p in [
            "iam.serviceAccounts.getAccessToken",
            "iam.serviceAccounts.getOpenIdToken",
            "iam.serviceAccounts.implicitDelegation",
            "iam.serviceAccounts.signBlob",
            "iam.serviceAccounts.signJwt",
        ] {
            assert!(found.contains(&p), "{p} missing from {found:?}");
        }
        assert_eq!(
            escalation_permissions(get("roles/iam.serviceAccountUser").unwrap()),
            ["iam.serviceAccounts.actAs"]
        );
        let admin = escalation_permissions(get("roles/resourcemanager.projectIamAdmin").unwrap());
        assert!(admin.contains(&"resourcemanager.projects.setIamPolicy"), "{admin:?}");
        assert!(escalation_permissions(get("roles/storage.objectViewer").unwrap()).is_empty());
        // Issue 17 item 5: the paths Google's guidance names beyond keys, tokens and policies.
        for (role, permission) in [
            ("roles/cloudbuild.builds.editor", "cloudbuild.builds.create"),
            ("roles/resourcemanager.tagUser", "resourcemanager.tagValueBindings.create"),
            ("roles/iam.denyAdmin", "iam.denypolicies.delete"),
            ("roles/orgpolicy.policyAdmin", "orgpolicy.policy.set"),
            ("roles/compute.instanceAdmin.v1", "compute.instances.setMetadata"),
            ("roles/storage.hmacKeyAdmin", "storage.hmacKeys.create"),
        ] {
            let found = escalation_permissions(get(role).unwrap());
            assert!(found.contains(&permission), "{role}: {found:?}");
        }
        assert_eq!(escalation_reason("storage.objects.get"), None);
    }

    #[test]
    fn a_role_applies_to_a_kind_when_one_of_its_permissions_does() {
        use crate::iam::Kind;
        let role = |n: &str| get(n).expect("in the copy");
        assert!(!applies_to(role("roles/secretmanager.secretAccessor"), Kind::Bucket));
        assert!(applies_to(role("roles/secretmanager.secretAccessor"), Kind::Secret));
        assert!(!applies_to(role("roles/container.clusterAdmin"), Kind::ServiceAccount));
        assert!(applies_to(role("roles/storage.objectViewer"), Kind::Bucket));
        assert!(applies_to(role("roles/container.clusterAdmin"), Kind::Project));
        // The hierarchy: all but what lies above.
        assert!(!applies_to(role("roles/resourcemanager.organizationViewer"), Kind::Project));
        assert!(!applies_to(role("roles/resourcemanager.organizationViewer"), Kind::Folder));
        assert!(applies_to(role("roles/resourcemanager.organizationViewer"), Kind::Organization));
        assert!(!applies_to(role("roles/resourcemanager.projectCreator"), Kind::Project));
        assert!(applies_to(role("roles/resourcemanager.projectCreator"), Kind::Folder));
        let e = check_applies(
            ["roles/storage.objectViewer", "roles/secretmanager.secretAccessor"],
            &[Kind::Bucket],
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().starts_with(
                "that role does not apply to a bucket: none of the permissions of \
             `roles/secretmanager.secretAccessor`"
            ),
            "{e}"
        );
        assert!(check_applies(["roles/not.inTheCopy"], &[Kind::Bucket]).is_ok());
    }
}
