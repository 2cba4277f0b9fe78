//! The IAM API's role routes, served from the catalog (`state::catalog`) and the seed's custom
//! roles: `roles.get`, `roles.list`, `roles.queryGrantableRoles`, and `projects.roles` /
//! `organizations.roles` `get` and `list`
//! (<https://cloud.google.com/iam/docs/reference/rest/v1/roles>).
//!
//! Page sizes are those of IAM's discovery document (`iam/v1/iam-api.json`, as generated into
//! gcloud's `iam_v1_messages.py`): `roles.list` "The default is 300, and the maximum is 1,000",
//! `queryGrantableRoles` "The default is 300, and the maximum is 1,000" (the current
//! `iam/v1/iam-api.json` in googleapis/google-api-go-client; gcloud 528's generated copy still
//! says 2,000); a larger size is served as the maximum.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::wire::ApiError;
use super::{Req, Routed, Shared, lock, ok};
use crate::state::applies;
use crate::state::catalog::{self, Catalog, PredefinedRole};
use crate::state::{Caller, CustomRole, Kind, Store};

const LIST_DEFAULT: usize = 300;
const LIST_MAX: usize = 1000;
const GRANTABLE_DEFAULT: usize = 300;
const GRANTABLE_MAX: usize = 1000;

/// The etag Google answers for every predefined role (`gcloud iam roles describe roles/viewer`
/// shows `etag: AA==`): predefined roles cannot be updated, so it never changes.
pub const PREDEFINED_ETAG: &str = "AA==";

/// `view`: BASIC (the default) or FULL; FULL adds `includedPermissions`.
fn full_view(value: Option<&str>) -> Result<bool, ApiError> {
    match value.unwrap_or("BASIC") {
        "" | "BASIC" | "0" => Ok(false),
        "FULL" | "1" => Ok(true),
        other => Err(ApiError::invalid(format!(
            "Invalid value at 'view' (type.googleapis.com/google.iam.admin.v1.RoleView), \"{other}\""
        ))),
    }
}

/// A predefined role in Google's shape. `stage` is left out for ALPHA ("If the ALPHA launch stage
/// has been selected for a role, the stage field will not be included", `Role.stage`).
/// `description` is not in the snapshot and so never sent.
fn predefined_json(c: &Catalog, r: &PredefinedRole, full: bool) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(r.name));
    o.insert("title".into(), json!(r.title));
    if full {
        o.insert("includedPermissions".into(), json!(c.permissions_of(r).collect::<Vec<_>>()));
    }
    if r.stage != "ALPHA" {
        o.insert("stage".into(), json!(r.stage));
    }
    o.insert("etag".into(), json!(PREDEFINED_ETAG));
    Value::Object(o)
}

/// A custom role in Google's shape, with an etag derived from its content.
fn custom_json(r: &CustomRole, full: bool) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(r.name));
    if !r.title.is_empty() {
        o.insert("title".into(), json!(r.title));
    }
    if !r.description.is_empty() {
        o.insert("description".into(), json!(r.description));
    }
    if full && !r.included_permissions.is_empty() {
        o.insert("includedPermissions".into(), json!(r.included_permissions));
    }
    if r.stage() != "ALPHA" {
        o.insert("stage".into(), json!(r.stage()));
    }
    let digest = Sha256::digest(serde_json::to_vec(r).expect("a role serialises"));
    o.insert("etag".into(), json!(STANDARD.encode(&digest[..8])));
    if r.deleted {
        o.insert("deleted".into(), json!(true));
    }
    Value::Object(o)
}

/// `pageSize` within `[1, max]` (0 or absent: `default`).
fn page_size(value: Option<Value>, default: usize, max: usize) -> Result<usize, ApiError> {
    let n = match value {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    match n {
        Some(n) if (0..=i64::from(i32::MAX)).contains(&n) => {
            Ok(if n == 0 { default } else { (n as usize).min(max) })
        }
        _ => Err(ApiError::invalid(format!(
            "Invalid value at 'page_size' (TYPE_INT32), {}",
            n.map_or_else(|| "\"not a number\"".to_string(), |n| n.to_string())
        ))),
    }
}

/// A page of `items` from the offset in `token` (`emu-N`, as the emulator's other lists).
fn page(items: Vec<Value>, token: Option<&str>, size: usize) -> Result<Value, ApiError> {
    let start = match token.filter(|t| !t.is_empty()) {
        Some(t) => t
            .strip_prefix("emu-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::invalid("Invalid page token."))?,
        None => 0,
    };
    let end = start.saturating_add(size).min(items.len());
    let mut out = Map::new();
    if end > start {
        out.insert("roles".into(), Value::Array(items[start..end].to_vec()));
    }
    if end < items.len() {
        out.insert("nextPageToken".into(), json!(format!("emu-{end}")));
    }
    Ok(Value::Object(out))
}

/// A boolean query parameter: gcloud sends Python's `True` / `False`, other clients `true`.
fn truthy(value: Option<String>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// 404 for a role that does not exist.
fn role_not_found(name: &str) -> ApiError {
    ApiError::new(404, "NOT_FOUND", "notFound", format!("The role named {name} was not found."))
}

/// `GET /v1/roles/{id}`: any authenticated caller may read a predefined role.
pub(crate) fn get_predefined(id: &str) -> Result<Routed, ApiError> {
    let c = catalog::catalog();
    let name = format!("roles/{id}");
    let role = c.role(&name).ok_or_else(|| role_not_found(&name))?;
    ok(predefined_json(c, role, true))
}

/// `GET /v1/roles`: every predefined role, sorted by name. `showDeleted` changes nothing: the
/// snapshot holds no deleted predefined role.
pub(crate) fn list_predefined(req: &Req) -> Result<Routed, ApiError> {
    let full = full_view(req.query_param("view").as_deref())?;
    let size = page_size(req.query_param("pageSize").map(Value::String), LIST_DEFAULT, LIST_MAX)?;
    let c = catalog::catalog();
    let items = c.roles().iter().map(|r| predefined_json(c, r, full)).collect();
    ok(page(items, req.query_param("pageToken").as_deref(), size)?)
}

/// The parent of a custom role (`projects/ID`, `organizations/N`), found, with the caller's
/// permission on it checked (`iam.roles.get` or `iam.roles.list`, as the IAM reference lists for
/// `projects.roles.get` and `.list`). An unknown parent is denied as Google denies it.
fn authorize_parent(
    store: &Store,
    caller: &Caller,
    kind: Kind,
    id: &str,
    permission: &str,
) -> Result<String, ApiError> {
    // IAM's words, as for `generateAccessToken` (`iam_credentials`).
    let denied = || ApiError::iam_denied(permission);
    let now = store.now(chrono::Utc::now());
    let found = store.find(kind, id).ok_or_else(denied)?;
    if !store.has_permission(caller, &found.key, permission, now) {
        return Err(denied());
    }
    Ok(found.key)
}

/// `GET /v1/projects/P/roles/X` and `/v1/organizations/N/roles/X`.
pub(crate) fn get_custom(
    shared: &Shared,
    caller: &Caller,
    kind: Kind,
    id: &str,
    role: &str,
) -> Result<Routed, ApiError> {
    let store = lock(&shared.store);
    let parent = authorize_parent(&store, caller, kind, id, "iam.roles.get")?;
    let name = format!("{parent}/roles/{role}");
    let r = store
        .data
        .custom_roles
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| role_not_found(&format!("{}/{id}/roles/{role}", kind.collection())))?;
    ok(custom_json(r, true))
}

/// `GET /v1/projects/P/roles` and `/v1/organizations/N/roles`: the parent's custom roles, deleted
/// ones only with `showDeleted=true`.
pub(crate) fn list_custom(
    shared: &Shared,
    caller: &Caller,
    kind: Kind,
    id: &str,
    req: &Req,
) -> Result<Routed, ApiError> {
    let full = full_view(req.query_param("view").as_deref())?;
    let size = page_size(req.query_param("pageSize").map(Value::String), LIST_DEFAULT, LIST_MAX)?;
    let show_deleted = truthy(req.query_param("showDeleted"));
    let store = lock(&shared.store);
    let parent = authorize_parent(&store, caller, kind, id, "iam.roles.list")?;
    let mut roles: Vec<&CustomRole> = store
        .data
        .custom_roles
        .iter()
        .filter(|r| r.parent() == parent && (show_deleted || !r.deleted))
        .collect();
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    let items = roles.into_iter().map(|r| custom_json(r, full)).collect();
    ok(page(items, req.query_param("pageToken").as_deref(), size)?)
}

/// True when a predefined role is grantable on a resource of `kind`: one of its permissions
/// applies to the resource or beneath it (`state::applies`, the same rule `setIamPolicy` applies).
/// So `roles/resourcemanager.organizationViewer` is grantable on an organization only, and
/// `roles/secretmanager.secretAccessor` on a secret but not on a bucket.
pub fn grantable(c: &Catalog, r: &PredefinedRole, kind: Kind) -> bool {
    applies::role_applies(c.permissions_of(r), kind)
}

/// The resource a `fullResourceName` names, as the kind and the name the store finds it by:
/// `//cloudresourcemanager.googleapis.com/projects/ID` (folders, organizations),
/// `//storage.googleapis.com/projects/_/buckets/B`, `//secretmanager.googleapis.com/projects/P/secrets/S`,
/// `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL`,
/// `//cloudkms.googleapis.com/projects/P/locations/L/keyRings/R[/cryptoKeys/K]`,
/// `//run.googleapis.com/projects/P/locations/L/services/S`
/// (<https://cloud.google.com/iam/docs/full-resource-names>).
fn target(name: &str) -> Option<(Kind, String)> {
    let rest = name.strip_prefix("//")?;
    let (host, path) = rest.split_once('/')?;
    if host == "cloudresourcemanager.googleapis.com" {
        let (coll, id) = path.split_once('/')?;
        let kind = Kind::from_collection(coll)?;
        return (!id.is_empty() && !id.contains('/')).then(|| (kind, id.to_string()));
    }
    let kind = Kind::of_key(path).filter(|k| !k.is_hierarchy())?;
    if super::wire::service_host(kind) != host {
        return None;
    }
    Some(match kind {
        Kind::Bucket => (kind, path.rsplit_once('/')?.1.to_string()),
        _ => (kind, path.to_string()),
    })
}

/// `POST /v1/roles:queryGrantableRoles` for a project, folder or organization
/// (`//cloudresourcemanager.googleapis.com/projects/ID`): the predefined roles [`grantable`] on it
/// and the custom roles defined on it or above it, sorted by name.
pub(crate) fn query_grantable(shared: &Shared, req: &Req) -> Result<Routed, ApiError> {
    let body = req.json()?;
    // An enum in JSON is its name or its number (proto3 JSON mapping).
    let view = body.get("view").map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    let full = full_view(view.as_deref().filter(|v| *v != "null"))?;
    let size = page_size(body.get("pageSize").cloned(), GRANTABLE_DEFAULT, GRANTABLE_MAX)?;
    let token = body.get("pageToken").and_then(Value::as_str);
    let name = body.get("fullResourceName").and_then(Value::as_str).unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::invalid("fullResourceName is required."));
    }
    let Some((kind, id)) = target(name) else {
        return Err(ApiError::invalid(format!(
            "The emulator serves grantable roles for the full resource names of projects, folders, \
             organizations, buckets, secrets, service accounts, KMS key rings and keys and Cloud Run \
             services, not {name}."
        )));
    };
    let store = lock(&shared.store);
    let found = store.find(kind, &id).ok_or_else(|| {
        ApiError::new(404, "NOT_FOUND", "notFound", format!("The resource {name} was not found."))
    })?;
    let c = catalog::catalog();
    let mut items: Vec<(String, Value)> = c
        .roles()
        .iter()
        .filter(|r| grantable(c, r, kind))
        .map(|r| (r.name.clone(), predefined_json(c, r, full)))
        .collect();
    items.extend(
        store
            .data
            .custom_roles
            .iter()
            .filter(|r| {
                !r.deleted
                    && store.custom_role_in_hierarchy(&found.key, &r.name)
                    && applies::role_applies(r.included_permissions.iter().map(String::as_str), kind)
            })
            .map(|r| (r.name.clone(), custom_json(r, full))),
    );
    items.sort_by(|a, b| a.0.cmp(&b.0));
    ok(page(items.into_iter().map(|(_, v)| v).collect(), token, size)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> &'static PredefinedRole {
        catalog::catalog().role(name).expect("a predefined role")
    }

    #[test]
    fn grantability_follows_the_hierarchy() {
        let c = catalog::catalog();
        let org_viewer = role("roles/resourcemanager.organizationViewer");
        assert!(grantable(c, org_viewer, Kind::Organization));
        assert!(!grantable(c, org_viewer, Kind::Folder));
        assert!(!grantable(c, org_viewer, Kind::Project));
        let folder_viewer = role("roles/resourcemanager.folderViewer");
        // Its `resourcemanager.projects.get` applies beneath a folder.
        assert!(grantable(c, folder_viewer, Kind::Folder));
        assert!(grantable(c, folder_viewer, Kind::Project));
        let billing = role("roles/billing.creator");
        assert!(grantable(c, billing, Kind::Organization));
        assert!(!grantable(c, billing, Kind::Project));
        for r in ["roles/owner", "roles/storage.objectViewer", "roles/secretmanager.secretAccessor"] {
            assert!(grantable(c, role(r), Kind::Project), "{r}");
        }
        assert!(!grantable(c, role("roles/secretmanager.secretAccessor"), Kind::Bucket));
        assert!(grantable(c, role("roles/storage.objectViewer"), Kind::Bucket));
    }

    #[test]
    fn every_kind_is_named_by_its_full_resource_name() {
        assert_eq!(
            target("//cloudresourcemanager.googleapis.com/projects/p"),
            Some((Kind::Project, "p".into()))
        );
        assert_eq!(target("//storage.googleapis.com/projects/_/buckets/b"), Some((Kind::Bucket, "b".into())));
        assert_eq!(
            target("//secretmanager.googleapis.com/projects/p/secrets/s"),
            Some((Kind::Secret, "projects/p/secrets/s".into()))
        );
        assert_eq!(
            target("//run.googleapis.com/projects/p/locations/l/services/s").map(|t| t.0),
            Some(Kind::RunService)
        );
        assert_eq!(target("//storage.googleapis.com/projects/p/secrets/s"), None);
        assert_eq!(target("//cloudresourcemanager.googleapis.com/projects/p/x"), None);
    }

    #[test]
    fn page_sizes_follow_the_discovery_document() {
        assert_eq!(page_size(None, 300, 1000).unwrap(), 300);
        assert_eq!(page_size(Some(json!("0")), 300, 1000).unwrap(), 300);
        assert_eq!(page_size(Some(json!(5000)), 300, 1000).unwrap(), 1000);
        assert_eq!(page_size(Some(json!("7")), 300, 1000).unwrap(), 7);
        let e = page_size(Some(json!("-1")), 300, 1000).unwrap_err();
        assert_eq!(e.message, "Invalid value at 'page_size' (TYPE_INT32), -1");
        let e = page_size(Some(json!("x")), 300, 1000).unwrap_err();
        assert_eq!(e.code, 400);
    }

    #[test]
    fn a_predefined_role_has_googles_shape() {
        let c = catalog::catalog();
        let v = predefined_json(c, role("roles/storage.objectViewer"), false);
        assert_eq!(
            v,
            json!({"name": "roles/storage.objectViewer", "title": "Storage Object Viewer", "stage": "GA", "etag": "AA=="})
        );
        let alpha = c.roles().iter().find(|r| r.stage == "ALPHA").expect("an alpha role");
        assert!(predefined_json(c, alpha, false).get("stage").is_none());
        assert_eq!(full_view(Some("FULLY")).unwrap_err().code, 400);
    }

    #[test]
    fn pages_are_bounded_and_bad_tokens_refused() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        assert_eq!(page(items.clone(), None, 2).unwrap(), json!({"roles": [0, 1], "nextPageToken": "emu-2"}));
        assert_eq!(page(items.clone(), Some("emu-4"), 2).unwrap(), json!({"roles": [4]}));
        assert_eq!(page(items.clone(), Some("emu-9"), 2).unwrap_err().message, "Invalid page token.");
        assert_eq!(page(items, Some("nope"), 2).unwrap_err().code, 400);
    }
}
