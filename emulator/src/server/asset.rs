//! Cloud Asset Inventory's `searchAllIamPolicies` (issue 10): the allow policies of every resource
//! below a scope, every kind the emulator serves, in Google's response shape, paged; read from an
//! index that may lag the live policies by a set time (`--asset-lag`, `POST /_emulator/asset`),
//! as Google's does ("Due to delays in resource data collection and indexing, there is a volatile
//! window", cloudasset v1 discovery document, `assets.list.readTime`).
//!
//! The method, its parameters and the result's fields are those of the discovery document
//! (googleapis/google-api-go-client `cloudasset/v1/cloudasset-api.json`, `v1.searchAllIamPolicies`,
//! schema `IamPolicySearchResult`). What the emulator does not implement (a non-empty `query`,
//! `orderBy`, regular expressions beyond RE2 that `regex-automata` parses) is a 400 naming it,
//! never a silent match-all.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::resource_manager::policy_json;
pub use super::shared::{AssetIndex, Cache, Entry};
use super::wire::ApiError;
use super::{Req, Routed, Shared, lock, ok};
use crate::state::{Caller, Kind, Policy, Store};

/// The permission the caller needs on the scope ("The caller must be granted the
/// `cloudasset.assets.searchAllIamPolicies` permission on the desired scope", discovery document).
pub const PERMISSION: &str = "cloudasset.assets.searchAllIamPolicies";

/// "Page size is capped at 500 even if a larger value is given." (discovery document, `pageSize`).
pub const MAX_PAGE_SIZE: usize = 500;

/// "If set to zero or a negative value, server will pick an appropriate default." The value
/// Google picks is not documented; 100 is the emulator's (the default of `assets.list`, the one
/// Cloud Asset method whose default is documented: "Default is 100").
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// A kind's asset type and full resource name as Cloud Asset Inventory writes them
/// (<https://cloud.google.com/asset-inventory/docs/resource-name-format>, "supported asset
/// types"): projects and secrets by project number, buckets by name alone
/// (`//storage.googleapis.com/BUCKET`, seen in GoogleCloudPlatform/nodejs-docs-samples#3417),
/// service accounts by unique ID, KMS and Run resources by project ID.
pub fn asset_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Organization => "cloudresourcemanager.googleapis.com/Organization",
        Kind::Folder => "cloudresourcemanager.googleapis.com/Folder",
        Kind::Project => "cloudresourcemanager.googleapis.com/Project",
        Kind::Bucket => "storage.googleapis.com/Bucket",
        Kind::Secret => "secretmanager.googleapis.com/Secret",
        Kind::ServiceAccount => "iam.googleapis.com/ServiceAccount",
        Kind::KeyRing => "cloudkms.googleapis.com/KeyRing",
        Kind::CryptoKey => "cloudkms.googleapis.com/CryptoKey",
        Kind::RunService => "run.googleapis.com/Service",
    }
}

const KINDS: [Kind; 9] = [
    Kind::Organization,
    Kind::Folder,
    Kind::Project,
    Kind::Bucket,
    Kind::Secret,
    Kind::ServiceAccount,
    Kind::KeyRing,
    Kind::CryptoKey,
    Kind::RunService,
];

fn skeleton(shared: &Shared, store: &Store) -> std::sync::Arc<Vec<Entry>> {
    let mut cache = lock(&shared.asset_cache);
    if let Some((generation, entries)) = &cache.built
        && *generation == store.generation()
    {
        return entries.clone();
    }
    let entries = std::sync::Arc::new(entries(store));
    cache.built = Some((store.generation(), entries.clone()));
    entries
}

/// The hierarchy as maps, built once per request: a search walks every resource, and the store's
/// own lookups are linear.
struct Hierarchy<'a> {
    /// Project ID → (number, parent).
    projects: HashMap<&'a str, (&'a str, &'a str)>,
    /// Folder name → parent.
    folders: HashMap<&'a str, &'a str>,
}

impl<'a> Hierarchy<'a> {
    fn new(store: &'a Store) -> Hierarchy<'a> {
        let d = &store.data;
        Hierarchy {
            projects: d
                .projects
                .iter()
                .map(|p| (p.project_id.as_str(), (p.project_number.as_str(), p.parent.as_str())))
                .collect(),
            folders: d.folders.iter().map(|f| (f.name.as_str(), f.parent.as_str())).collect(),
        }
    }

    /// The chain above a project (`projects/ID`, then folders, then the organization).
    fn above_project(&self, id: &str) -> Vec<String> {
        let mut chain = vec![format!("projects/{id}")];
        let mut next = self.projects.get(id).map(|(_, parent)| *parent).unwrap_or("");
        while !next.is_empty() && chain.len() < 32 {
            chain.push(next.to_string());
            next = self.folders.get(next).copied().unwrap_or("");
        }
        chain
    }
}

/// The project ID of a policy key below a project (`projects/ID/...`), or of a bucket.
fn owner_project<'a>(store: &'a Store, key: &'a str) -> Option<&'a str> {
    if let Some(b) = key.strip_prefix("projects/_/buckets/") {
        return store.data.buckets.iter().find(|x| x.name == b).map(|x| x.project.as_str());
    }
    key.strip_prefix("projects/").map(|r| r.split('/').next().unwrap_or(r))
}

/// Every resource of every kind, sorted by full resource name.
fn entries(store: &Store) -> Vec<Entry> {
    let h = Hierarchy::new(store);
    let d = &store.data;
    let mut keys: Vec<(Kind, String)> = Vec::new();
    keys.extend(d.organizations.iter().map(|o| (Kind::Organization, o.name.clone())));
    keys.extend(d.folders.iter().map(|f| (Kind::Folder, f.name.clone())));
    keys.extend(d.projects.iter().map(|p| (Kind::Project, format!("projects/{}", p.project_id))));
    keys.extend(d.buckets.iter().map(|b| (Kind::Bucket, format!("projects/_/buckets/{}", b.name))));
    keys.extend(d.secrets.iter().map(|s| (Kind::Secret, s.name.clone())));
    keys.extend(d.service_accounts.iter().filter_map(|sa| {
        let pid = sa.project_id()?;
        h.projects
            .contains_key(pid)
            .then(|| (Kind::ServiceAccount, format!("projects/{pid}/serviceAccounts/{}", sa.email)))
    }));
    for r in &d.key_rings {
        keys.push((Kind::KeyRing, r.name.clone()));
        keys.extend(r.crypto_keys.iter().map(|k| (Kind::CryptoKey, format!("{}/cryptoKeys/{k}", r.name))));
    }
    keys.extend(d.run_services.iter().map(|r| (Kind::RunService, r.name.clone())));
    let mut out = Vec::new();
    for (kind, key) in keys {
        let (chain, project_number) = match kind {
            Kind::Organization => (vec![key.clone()], None),
            Kind::Folder => {
                let mut chain = vec![key.clone()];
                let mut next = h.folders.get(key.as_str()).copied().unwrap_or("");
                while !next.is_empty() && chain.len() < 32 {
                    chain.push(next.to_string());
                    next = h.folders.get(next).copied().unwrap_or("");
                }
                (chain, None)
            }
            _ => {
                let Some(pid) = owner_project(store, &key) else { continue };
                let Some((number, _)) = h.projects.get(pid) else { continue };
                let mut chain = h.above_project(pid);
                if kind != Kind::Project {
                    chain.insert(0, key.clone());
                }
                (chain, Some(number.to_string()))
            }
        };
        let Some(name) = full_name(store, kind, &key, project_number.as_deref()) else { continue };
        out.push(Entry { name, kind, key, chain, project_number });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The full resource name of a policy key, in Cloud Asset Inventory's format (see [`asset_type`]).
fn full_name(store: &Store, kind: Kind, key: &str, number: Option<&str>) -> Option<String> {
    let below = |service: &str| format!("//{service}/{key}");
    Some(match kind {
        Kind::Organization | Kind::Folder => below("cloudresourcemanager.googleapis.com"),
        Kind::Project => format!("//cloudresourcemanager.googleapis.com/projects/{}", number?),
        Kind::Bucket => format!("//storage.googleapis.com/{}", key.rsplit_once('/')?.1),
        Kind::Secret => {
            let secret = key.rsplit_once("/secrets/")?.1;
            format!("//secretmanager.googleapis.com/projects/{}/secrets/{secret}", number?)
        }
        Kind::ServiceAccount => {
            let (project, email) = key.split_once("/serviceAccounts/")?;
            let sa = store.service_account(email)?;
            format!("//iam.googleapis.com/{project}/serviceAccounts/{}", sa.unique_id())
        }
        Kind::KeyRing | Kind::CryptoKey => below("cloudkms.googleapis.com"),
        Kind::RunService => below("run.googleapis.com"),
    })
}

/// An `assetTypes` value: an RE2 expression matched against the whole asset type ("`.*Instance`
/// snapshots IAM policies attached to asset type ends with `Instance`"). The emulator evaluates
/// the part of RE2 the documented examples use (literal characters, `\.`, `.` and `.*`); any
/// other operator is a 400 naming it, never a guess.
fn type_filter(patterns: &[String]) -> Result<Option<Vec<Kind>>, ApiError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut kinds = Vec::new();
    for p in patterns {
        let atoms = parse_pattern(p).map_err(|op| {
            ApiError::invalid(format!(
                "The emulator evaluates literal characters, `.` and `.*` in asset types, not `{op}` (in `{p}`)."
            ))
        })?;
        let matched: Vec<Kind> =
            KINDS.into_iter().filter(|k| matches(&atoms, asset_type(*k).as_bytes())).collect();
        if matched.is_empty() {
            // "If the regular expression does not match any supported asset type, an
            // INVALID_ARGUMENT error will be returned." The emulator's supported types are the
            // kinds it serves; the wording is the emulator's.
            return Err(ApiError::invalid(format!(
                "Asset type `{p}` does not match any supported asset type. The emulator serves {}.",
                KINDS.map(asset_type).join(", ")
            )));
        }
        kinds.extend(matched);
    }
    Ok(Some(kinds))
}

/// One element of an asset-type pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Atom {
    Byte(u8),
    Any,
    AnyRun,
}

/// Literal bytes, `\` escapes of punctuation, `.` and `.*`; `Err(operator)` for anything else.
fn parse_pattern(p: &str) -> Result<Vec<Atom>, String> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 < b.len() && b[i + 1].is_ascii_punctuation() => {
                out.push(Atom::Byte(b[i + 1]));
                i += 2;
                continue;
            }
            b'.' if b.get(i + 1) == Some(&b'*') => {
                out.push(Atom::AnyRun);
                i += 2;
                continue;
            }
            b'.' => out.push(Atom::Any),
            c @ (b'\\' | b'*' | b'+' | b'?' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'|' | b'^'
            | b'$') => {
                return Err((c as char).to_string());
            }
            c => out.push(Atom::Byte(c)),
        }
        i += 1;
    }
    Ok(out)
}

/// Whether `atoms` match the whole of `s`.
fn matches(atoms: &[Atom], s: &[u8]) -> bool {
    match atoms.split_first() {
        None => s.is_empty(),
        Some((Atom::AnyRun, rest)) => (0..=s.len()).any(|i| matches(rest, &s[i..])),
        Some((Atom::Any, rest)) => !s.is_empty() && matches(rest, &s[1..]),
        Some((Atom::Byte(c), rest)) => s.first() == Some(c) && matches(rest, &s[1..]),
    }
}

/// What a page token carries: where the last page ended, and a digest of the request's other
/// parameters ("The values of all other method parameters must be identical to those in the
/// previous call").
#[derive(Serialize, Deserialize)]
struct Token {
    after: String,
    digest: String,
}

fn digest(scope: &str, types: &[String], query: &str) -> String {
    let mut h = Sha256::new();
    for part in std::iter::once(scope).chain(types.iter().map(String::as_str)).chain([query]) {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

/// `GET /v1/{scope}:searchAllIamPolicies`: `collection` and `id` are the scope's two segments.
pub(crate) fn search(
    shared: &Shared,
    caller: &Caller,
    collection: &str,
    id: &str,
    req: &Req,
) -> Result<Routed, ApiError> {
    let pairs = req.query_pairs();
    let param = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let types: Vec<String> =
        pairs.iter().filter(|(k, _)| k == "assetTypes").map(|(_, v)| v.clone()).collect();
    let query = param("query").unwrap_or_default();
    if !query.trim().is_empty() {
        // jit sends no query (it reads every binding and decides itself); a query the emulator
        // cannot evaluate must not match everything.
        return Err(ApiError::invalid(format!(
            "The emulator does not implement the query language of searchAllIamPolicies; it serves only an \
             empty query (every policy), not `{query}`."
        )));
    }
    if param("orderBy").is_some_and(|o| !o.trim().is_empty()) {
        return Err(ApiError::invalid(
            "The emulator does not implement `orderBy`; results come ordered by resource name.",
        ));
    }
    let page_size = match param("pageSize") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n <= 0 => DEFAULT_PAGE_SIZE,
            Ok(n) => usize::try_from(n).unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE),
            // The wording of Google's JSON transcoding for a malformed integer.
            Err(_) => {
                return Err(ApiError::invalid(format!("Invalid value at 'page_size' (TYPE_INT32), \"{v}\"")));
            }
        },
    };
    let kinds = type_filter(&types)?;
    let scope_text = format!("{collection}/{id}");
    let dig = digest(&scope_text, &types, &query);
    let after = match param("pageToken").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => {
            let token: Option<Token> =
                URL_SAFE_NO_PAD.decode(t.as_bytes()).ok().and_then(|b| serde_json::from_slice(&b).ok());
            match token {
                Some(tok) if tok.digest == dig => Some(tok.after),
                // The wording is the emulator's.
                _ => return Err(ApiError::invalid(format!("Invalid page token: {t}"))),
            }
        }
    };
    let index = lock(&shared.asset).clone();
    check_consumer(shared, caller, req, &index)?;
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let scope_key = Kind::from_collection(collection).and_then(|k| store.find(k, id)).map(|f| f.key);
    let allowed = scope_key.as_deref().is_some_and(|k| store.has_permission(caller, k, PERMISSION, now));
    let Some(scope_key) = scope_key.filter(|_| allowed) else {
        // An unknown scope and a missing permission answer alike. Google's words for a denied
        // Cloud Asset call (somethingnew2-0/SimpleCSPM#1: `{"code": 403, "message": "Request denied
        // by Cloud IAM.", "status": "PERMISSION_DENIED", "details": […]}`: `status` follows the
        // message, so no `errors[]`).
        let mut e = ApiError::new(403, "PERMISSION_DENIED", "forbidden", "Request denied by Cloud IAM.");
        e.errors_array = false;
        e.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "IAM_PERMISSION_DENIED",
            "domain": "cloudasset.googleapis.com",
            "metadata": {"permission": PERMISSION, "resource": scope_text}
        }));
        return Err(e);
    };
    let when = now - TimeDelta::seconds(i64::try_from(index.lag_seconds).unwrap_or(0));
    let mut results = Vec::new();
    let mut next = None;
    let all = skeleton(shared, &store);
    // The entries after the token (the list is sorted by name).
    let start = after.as_deref().map_or(0, |a| all.partition_point(|e| e.name.as_str() <= a));
    for e in &all[start..] {
        if !e.chain.contains(&scope_key) || kinds.as_ref().is_some_and(|ks| !ks.contains(&e.kind)) {
            continue;
        }
        let Some(policy) = store.policy_as_of(&e.key, when).filter(|p| !p.bindings.is_empty()) else {
            continue;
        };
        if results.len() == page_size {
            next = results.last().map(|r: &Value| r["resource"].as_str().unwrap_or_default().to_string());
            break;
        }
        results.push(result_json(e, policy));
    }
    let mut body = Map::new();
    if !results.is_empty() {
        body.insert("results".into(), Value::Array(results));
    }
    if let Some(after) = next {
        let token = serde_json::to_vec(&Token { after, digest: dig }).expect("a token serialises");
        body.insert("nextPageToken".into(), json!(URL_SAFE_NO_PAD.encode(token)));
    }
    ok(Value::Object(body))
}

/// An `IamPolicySearchResult`: `resource`, `assetType`, `project` (`projects/NUMBER`, "available
/// when the IAM policy belongs to a project"), `folders` ("directly or cascadingly"),
/// `organization`, and `policy` ("The IAM policy directly set on the given resource"; bindings
/// only: no etag or version, which a search result never lets anyone write back).
fn result_json(e: &Entry, policy: &Policy) -> Value {
    let mut m = Map::new();
    m.insert("resource".into(), json!(e.name));
    m.insert("assetType".into(), json!(asset_type(e.kind)));
    if let Some(n) = &e.project_number {
        m.insert("project".into(), json!(format!("projects/{n}")));
    }
    let folders: Vec<&String> = e.chain.iter().filter(|k| k.starts_with("folders/")).collect();
    if !folders.is_empty() {
        m.insert("folders".into(), json!(folders));
    }
    if let Some(o) = e.chain.iter().find(|k| k.starts_with("organizations/")) {
        m.insert("organization".into(), json!(o));
    }
    let policy = Policy { version: None, etag: None, ..policy.clone() };
    m.insert("policy".into(), policy_json(&policy, false));
    Value::Object(m)
}

/// The quota project (`x-goog-user-project`) must be one the caller may use
/// (`serviceusage.services.use`), and the API enabled there.
fn check_consumer(shared: &Shared, caller: &Caller, req: &Req, index: &AssetIndex) -> Result<(), ApiError> {
    let header = req.headers.get("x-goog-user-project").and_then(|v| v.to_str().ok()).map(str::to_string);
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let number = match &header {
        Some(p) => {
            let project = store.project(p).filter(|project| {
                store.has_permission(
                    caller,
                    &format!("projects/{}", project.project_id),
                    "serviceusage.services.use",
                    now,
                )
            });
            let Some(project) = project else {
                // The USER_PROJECT_DENIED text googleapis.com APIs give; from memory of Google's
                // answers, not checked against a capture (docs/emulator.md: assumed).
                let mut e = ApiError::new(
                    403,
                    "PERMISSION_DENIED",
                    "forbidden",
                    format!(
                        "Caller does not have required permission to use project {p}. Grant the caller the \
                         roles/serviceusage.serviceUsageConsumer role, or a custom role with the \
                         serviceusage.services.use permission, by visiting \
                         https://console.developers.google.com/iam-admin/iam/project?project={p} and then retry. \
                         Propagation of the new permission may take a few minutes."
                    ),
                );
                e.details.push(json!({
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "USER_PROJECT_DENIED",
                    "domain": "googleapis.com",
                    "metadata": {"consumer": format!("projects/{p}"), "service": "cloudasset.googleapis.com"}
                }));
                return Err(e);
            };
            Some(project.project_number.clone())
        }
        None => None,
    };
    if index.api_enabled {
        return Ok(());
    }
    // The SERVICE_DISABLED answer googleapis.com APIs give (reason and domain as Google's
    // ErrorInfo; the text from memory of Google's answers: docs/emulator.md, assumed). Without a
    // quota project the consumer is the OAuth client's project, which the emulator does not
    // model; the message then says so.
    let (message, consumer) = match &number {
        Some(n) => (
            format!(
                "Cloud Asset API has not been used in project {n} before or it is disabled. Enable it by visiting \
                 https://console.developers.google.com/apis/api/cloudasset.googleapis.com/overview?project={n} then \
                 retry. If you enabled this API recently, wait a few minutes for the action to propagate to our \
                 systems and retry."
            ),
            format!("projects/{n}"),
        ),
        None => (
            "Cloud Asset API has not been used in the quota project of this request before or it is disabled."
                .to_string(),
            "projects/unknown".to_string(),
        ),
    };
    let mut e = ApiError::new(403, "PERMISSION_DENIED", "accessNotConfigured", message);
    e.details.push(json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "SERVICE_DISABLED",
        "domain": "googleapis.com",
        "metadata": {"consumer": consumer, "service": "cloudasset.googleapis.com"}
    }));
    Err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_types_are_whole_matches_of_re2_expressions() {
        assert_eq!(type_filter(&[]).unwrap(), None);
        assert_eq!(
            type_filter(&["cloudkms.googleapis.com.*".into()]).unwrap(),
            Some(vec![Kind::KeyRing, Kind::CryptoKey])
        );
        assert_eq!(type_filter(&[".*Key".into()]).unwrap(), Some(vec![Kind::CryptoKey]));
        assert_eq!(type_filter(&["storage.googleapis.com/Bucket".into()]).unwrap(), Some(vec![Kind::Bucket]));
        let e = type_filter(&["compute.googleapis.com/Instance".into()]).unwrap_err();
        assert_eq!(e.code, 400);
        assert!(
            e.message.starts_with("Asset type `compute.googleapis.com/Instance` does not match"),
            "{}",
            e.message
        );
        assert_eq!(
            type_filter(&["storage.googleapis.com/(Bucket)".into()]).unwrap_err().message,
            "The emulator evaluates literal characters, `.` and `.*` in asset types, not `(` (in \
             `storage.googleapis.com/(Bucket)`)."
        );
        assert_eq!(
            type_filter(&["secretmanager\\.googleapis\\.com/Secret".into()]).unwrap(),
            Some(vec![Kind::Secret])
        );
    }

    #[test]
    fn lags_past_35_days_are_refused() {
        assert_eq!(AssetIndex { lag_seconds: 3_024_000, api_enabled: true }.check(), Ok(()));
        assert_eq!(
            AssetIndex { lag_seconds: 3_024_001, api_enabled: true }.check(),
            Err("`lagSeconds` must be at most 3024000 (35 days), not 3024001".into())
        );
    }
}
