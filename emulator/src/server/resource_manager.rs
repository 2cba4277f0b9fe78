//! Cloud Resource Manager v1/v2/v3: allow policies (get, set, testIamPermissions), projects,
//! folders and organizations. Handlers take the store's lock, call the store and return a value;
//! `wire` renders errors.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::faults::take_fault;
use super::wire::{self, ApiError, Surface};
use super::{Req, Routed, Shared, lock, ok};
use crate::state::{Caller, Folder, Kind, Organization, Policy, Project, Store, StoreError};

fn surface_of(req: &Req) -> Surface {
    if req.path.starts_with("/v3/") { Surface::V3 } else { Surface::V1 }
}

/// The JSON of a policy as Google sends it: version, etag, bindings, then the rest.
pub(crate) fn policy_json(p: &Policy, int: bool) -> Value {
    let mut m = Map::new();
    if let Some(v) = p.version {
        m.insert("version".into(), json!(v));
    }
    if let Some(e) = &p.etag {
        m.insert("etag".into(), json!(e));
    }
    if !p.bindings.is_empty() {
        m.insert("bindings".into(), serde_json::to_value(&p.bindings).expect("bindings serialise"));
    }
    for (k, v) in &p.extra {
        m.insert(k.clone(), v.clone());
    }
    let mut v = Value::Object(m);
    wire::policy_enums(&mut v, int);
    v
}

/// `getIamPolicy`, `setIamPolicy`, `testIamPermissions`, `getAncestry`.
pub(crate) fn iam(
    shared: &Shared,
    caller: &Caller,
    kind: Kind,
    id: &str,
    verb: &str,
    req: &Req,
    int: bool,
) -> Result<Routed, ApiError> {
    let surface = surface_of(req);
    let body = req.json()?;
    let wall = Utc::now();
    let se = |e: StoreError| ApiError::from_store(e, surface);
    match verb {
        "getIamPolicy" => {
            let requested = body.pointer("/options/requestedPolicyVersion").and_then(as_i64).unwrap_or(0);
            let store = lock(&shared.store);
            let now = store.now(wall);
            let p = store.get_policy(caller, kind, id, requested, now).map_err(se)?;
            ok(policy_json(&p, int))
        }
        "setIamPolicy" => {
            let policy_value = body.get("policy").cloned().unwrap_or(json!({}));
            let incoming = parse_policy(policy_value)?;
            let mask = body.get("updateMask").and_then(Value::as_str).map(str::to_string);
            let mut store = lock(&shared.store);
            let now = store.now(wall);
            // An injected conflict answers like a real one, after the permission check.
            store.authorize(caller, kind, id, "setIamPolicy", now).map_err(se)?;
            let conflict_rate = lock(&shared.faults).conflict_rate;
            if take_fault(shared, |f| &mut f.conflict_next, conflict_rate) {
                return Err(ApiError::aborted());
            }
            let p = store.set_policy(caller, kind, id, incoming, mask.as_deref(), now).map_err(se)?;
            shared.persist(&store)?;
            ok(policy_json(&p, int))
        }
        "testIamPermissions" => {
            let permissions: Vec<String> = body
                .get("permissions")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let store = lock(&shared.store);
            let now = store.now(wall);
            let held = store.test_permissions(caller, kind, id, &permissions, now).map_err(se)?;
            ok(if held.is_empty() { json!({}) } else { json!({ "permissions": held }) })
        }
        "getAncestry" if kind == Kind::Project && surface == Surface::V1 => {
            let store = lock(&shared.store);
            let now = store.now(wall);
            let found = store.authorize(caller, kind, id, "get", now).map_err(se)?;
            let ancestors: Vec<Value> = store
                .ancestry(&found.key)
                .iter()
                .filter_map(|k| k.split_once('/'))
                .map(|(c, i)| json!({"resourceId": {"type": c.trim_end_matches('s'), "id": i}}))
                .collect();
            ok(json!({ "ancestor": ancestors }))
        }
        _ => Ok(Routed::Raw(wire::html_404(&req.path))),
    }
}

/// Numbers arrive as JSON numbers or, from some clients, as strings.
pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// A policy from a request body: Google's JSON, with `version` as a number and `logType` as a
/// name or a number.
pub(crate) fn parse_policy(mut v: Value) -> Result<Policy, ApiError> {
    if let Some(version) = v.get("version").and_then(as_i64) {
        v["version"] = json!(version);
    }
    if let Some(configs) = v.get_mut("auditConfigs").and_then(Value::as_array_mut) {
        for c in configs {
            for l in c.get_mut("auditLogConfigs").and_then(Value::as_array_mut).into_iter().flatten() {
                if let Some(n) = l.get("logType").and_then(Value::as_i64) {
                    l["logType"] = json!(
                        ["LOG_TYPE_UNSPECIFIED", "ADMIN_READ", "DATA_WRITE", "DATA_READ"]
                            .get(n as usize)
                            .copied()
                            .unwrap_or("LOG_TYPE_UNSPECIFIED")
                    );
                }
            }
        }
    }
    serde_json::from_value(v).map_err(|e| ApiError::invalid(format!("Invalid JSON payload received. {e}")))
}

fn fake_etag(v: &Value) -> String {
    let digest = Sha256::digest(v.to_string().as_bytes());
    format!("W/\"{}\"", hex::encode(&digest[..8]))
}

fn project_json(p: &Project, v3: bool, int: bool) -> Value {
    let created = p.create_time.clone().unwrap_or_else(|| "2021-01-01T00:00:00.000Z".into());
    if v3 {
        let mut m = json!({
            "name": format!("projects/{}", p.project_number),
            "parent": p.parent,
            "projectId": p.project_id,
            "state": wire::state_enum(p.state(), int),
            "displayName": p.display_name(),
            "createTime": created,
            "updateTime": created,
        });
        if p.parent.is_empty() {
            m.as_object_mut().expect("object").remove("parent");
        }
        m["etag"] = json!(fake_etag(&m));
        if !p.labels.is_empty() {
            m["labels"] = json!(p.labels);
        }
        m
    } else {
        let mut m = json!({
            "projectNumber": p.project_number,
            "projectId": p.project_id,
            "lifecycleState": p.state(),
            "name": p.display_name(),
            "createTime": created,
        });
        if !p.labels.is_empty() {
            m["labels"] = json!(p.labels);
        }
        if let Some((c, id)) = p.parent.split_once('/') {
            m["parent"] = json!({"type": c.trim_end_matches('s'), "id": id});
        }
        m
    }
}

pub(crate) fn get_project(
    shared: &Shared,
    caller: &Caller,
    id: &str,
    v3: bool,
    int: bool,
) -> Result<Routed, ApiError> {
    let surface = if v3 { Surface::V3 } else { Surface::V1 };
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    store.authorize(caller, Kind::Project, id, "get", now).map_err(|e| ApiError::from_store(e, surface))?;
    let p = store.project(id).expect("authorized projects exist");
    ok(project_json(p, v3, int))
}

/// Pages `items` with an offset token.
fn page(items: Vec<Value>, req: &Req, key: &str, default_size: usize) -> Result<Routed, ApiError> {
    page_of(&items, req, key, default_size, Value::clone)
}

/// The page size asked for (else `default_size`) and the offset the page token names.
fn page_window(req: &Req, default_size: usize) -> Result<(usize, usize), ApiError> {
    let size = req
        .query_param("pageSize")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default_size);
    let start = match req.query_param("pageToken").filter(|t| !t.is_empty()) {
        Some(t) => t
            .strip_prefix("emu-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::invalid("Invalid page token."))?,
        None => 0,
    };
    Ok((size, start))
}

/// [`page`] over items rendered only when they are on the page asked for.
fn page_of<T>(
    items: &[T],
    req: &Req,
    key: &str,
    default_size: usize,
    render: impl Fn(&T) -> Value,
) -> Result<Routed, ApiError> {
    let (size, start) = page_window(req, default_size)?;
    let end = (start + size).min(items.len());
    let mut out = Map::new();
    let chunk: Vec<Value> =
        items.get(start..end).map(|c| c.iter().map(&render).collect()).unwrap_or_default();
    if !chunk.is_empty() {
        out.insert(key.into(), Value::Array(chunk));
    }
    if end < items.len() {
        out.insert("nextPageToken".into(), json!(format!("emu-{end}")));
    }
    ok(Value::Object(out))
}

/// One term of a v1 `filter` or v3 `query`: `field:value` or `field=value`, `*` as a wildcard at
/// the end, case-insensitive.
fn term_matches(value: &str, pattern: &str) -> bool {
    let (v, p) = (value.to_ascii_lowercase(), pattern.trim_matches('"').to_ascii_lowercase());
    match p.strip_suffix('*') {
        Some(prefix) => v.starts_with(prefix),
        None => v == p,
    }
}

fn project_field(p: &Project, field: &str) -> Option<String> {
    let (pc, pid) = p.parent.split_once('/').unwrap_or(("", ""));
    Some(match field {
        "id" | "projectid" | "project_id" => p.project_id.clone(),
        "name" | "displayname" | "display_name" => p.display_name().to_string(),
        "projectnumber" | "number" => p.project_number.clone(),
        "lifecyclestate" | "state" => p.state().to_string(),
        "parent" => p.parent.clone(),
        "parent.id" => pid.to_string(),
        "parent.type" => pc.trim_end_matches('s').to_string(),
        f => return f.strip_prefix("labels.").and_then(|l| p.labels.get(l).cloned()),
    })
}

/// A filter or query: terms joined by spaces or `AND` (every one must hold).
fn project_matches(p: &Project, query: &str) -> Result<bool, ApiError> {
    Ok(project_terms(p, query)?.iter().all(|m| *m))
}

/// v3 `projects.search`'s `query`: "If multiple fields are included in the query, then it will
/// return results that match any of the fields" (the discovery document's `query`, with its
/// example `labels.color:red labels.size:big`, "`color` has the value `red` or its label `size`
/// has the value `big`"). No query matches every project.
fn project_matches_any(p: &Project, query: &str) -> Result<bool, ApiError> {
    let terms = project_terms(p, query)?;
    Ok(terms.is_empty() || terms.iter().any(|m| *m))
}

/// Whether `p` matches each term of a v1 `filter` or a v3 `query`.
fn project_terms(p: &Project, query: &str) -> Result<Vec<bool>, ApiError> {
    // gcloud wraps the user's filter in parentheses after its own `lifecycleState:ACTIVE AND`.
    let query = query.replace(['(', ')'], " ");
    let mut out = Vec::new();
    for term in query.split_whitespace().filter(|t| !t.eq_ignore_ascii_case("AND")) {
        let (field, value) = term
            .split_once(':')
            .or_else(|| term.split_once('='))
            .ok_or_else(|| ApiError::invalid(format!("Invalid filter or query term: {term}")))?;
        out.push(
            project_field(p, &field.to_ascii_lowercase()).is_some_and(|actual| term_matches(&actual, value)),
        );
    }
    Ok(out)
}

fn visible_projects<'a>(store: &'a Store, caller: &Caller, now: DateTime<Utc>) -> Vec<&'a Project> {
    let mut sight = Sight::new(store, caller, now);
    store.data.projects.iter().filter(|p| sight.sees(p)).collect()
}

/// Whether a caller may see projects (`resourcemanager.projects.get`), each checked on its
/// parent's chain, worked out once per parent, rather than a lookup of the project by name for
/// each ancestor: a listing of 10,000 projects stays linear.
struct Sight<'a> {
    store: &'a Store,
    caller: &'a Caller,
    now: DateTime<Utc>,
    parents: std::collections::HashMap<&'a str, Vec<String>>,
}

impl<'a> Sight<'a> {
    fn new(store: &'a Store, caller: &'a Caller, now: DateTime<Utc>) -> Sight<'a> {
        Sight { store, caller, now, parents: std::collections::HashMap::new() }
    }

    fn sees(&mut self, p: &'a Project) -> bool {
        let store = self.store;
        let above = self
            .parents
            .entry(p.parent.as_str())
            .or_insert_with(|| if p.parent.is_empty() { Vec::new() } else { store.ancestry(&p.parent) });
        let mut chain = Vec::with_capacity(above.len() + 1);
        chain.push(format!("projects/{}", p.project_id));
        chain.extend(above.iter().cloned());
        store.holds_on_chain(self.caller, &chain, "resourcemanager.projects.get", self.now, None)
    }
}

/// v1 `projects.list?filter=…` (gcloud sends `filter=lifecycleState:ACTIVE&pageSize=500`).
pub(crate) fn list_projects_v1(shared: &Shared, caller: &Caller, req: &Req) -> Result<Routed, ApiError> {
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let filter = req.query_param("filter").unwrap_or_default();
    let mut items = Vec::new();
    for p in visible_projects(&store, caller, now) {
        if project_matches(p, &filter)? {
            items.push(project_json(p, false, false));
        }
    }
    page(items, req, "projects", 500)
}

/// v3 `projects.list?parent=…`: the direct children of a folder or organization.
pub(crate) fn list_projects_v3(
    shared: &Shared,
    caller: &Caller,
    req: &Req,
    int: bool,
) -> Result<Routed, ApiError> {
    let parent = req
        .query_param("parent")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::invalid("Request contains an invalid argument."))?;
    let show_deleted = req.query_param("showDeleted").is_some_and(|v| v == "true");
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    authorize_parent(&store, caller, &parent, "resourcemanager.projects.list", now)?;
    let items = store
        .data
        .projects
        .iter()
        .filter(|p| p.parent == parent && (show_deleted || p.state() == "ACTIVE"))
        .map(|p| project_json(p, true, int))
        .collect();
    page(items, req, "projects", 500)
}

/// v3 `projects:search?query=…` over every project the caller may see.
pub(crate) fn search_projects_v3(
    shared: &Shared,
    caller: &Caller,
    req: &Req,
    int: bool,
) -> Result<Routed, ApiError> {
    let query = req.query_param("query").unwrap_or_default();
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    // Scanned from where the last page stopped (the token is an offset into every project, not
    // only the visible ones), so that a page costs its own projects, not the whole list.
    let (size, start) = page_window(req, 500)?;
    let mut sight = Sight::new(&store, caller, now);
    let mut items = Vec::new();
    let mut at = start;
    let all = &store.data.projects;
    while at < all.len() && items.len() < size {
        let p = &all[at];
        at += 1;
        if sight.sees(p) && project_matches_any(p, &query)? {
            items.push(project_json(p, true, int));
        }
    }
    let mut out = Map::new();
    if !items.is_empty() {
        out.insert("projects".into(), Value::Array(items));
    }
    if at < all.len() {
        out.insert("nextPageToken".into(), json!(format!("emu-{at}")));
    }
    ok(Value::Object(out))
}

fn authorize_parent(
    store: &Store,
    caller: &Caller,
    parent: &str,
    permission: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let denied = || {
        ApiError::from_store(
            StoreError::Denied { permission: permission.into(), resource: parent.into() },
            Surface::V3,
        )
    };
    let (c, id) =
        parent.split_once('/').ok_or_else(|| ApiError::invalid(format!("Invalid parent: {parent}")))?;
    let kind = Kind::from_collection(c)
        .filter(|k| *k != Kind::Project)
        .ok_or_else(|| ApiError::invalid(format!("Invalid parent: {parent}")))?;
    let found = store.find(kind, id).ok_or_else(denied)?;
    if store.has_permission(caller, &found.key, permission, now) { Ok(()) } else { Err(denied()) }
}

fn folder_json(f: &Folder, v3: bool, int: bool) -> Value {
    let created = f.create_time.clone().unwrap_or_else(|| "2020-01-01T00:00:00.000Z".into());
    if v3 {
        let mut m = json!({
            "name": f.name, "parent": f.parent, "displayName": f.display_name,
            "state": wire::state_enum("ACTIVE", int), "createTime": created, "updateTime": created,
        });
        m["etag"] = json!(fake_etag(&m));
        m
    } else {
        json!({"name": f.name, "parent": f.parent, "displayName": f.display_name, "lifecycleState": "ACTIVE", "createTime": created})
    }
}

pub(crate) fn get_folder(
    shared: &Shared,
    caller: &Caller,
    id: &str,
    v3: bool,
    int: bool,
) -> Result<Routed, ApiError> {
    let surface = if v3 { Surface::V3 } else { Surface::V1 };
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    store.authorize(caller, Kind::Folder, id, "get", now).map_err(|e| ApiError::from_store(e, surface))?;
    ok(folder_json(store.folder(id).expect("authorized folders exist"), v3, int))
}

pub(crate) fn list_folders(
    shared: &Shared,
    caller: &Caller,
    req: &Req,
    v3: bool,
    int: bool,
) -> Result<Routed, ApiError> {
    let parent = req
        .query_param("parent")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::invalid("Request contains an invalid argument."))?;
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    authorize_parent(&store, caller, &parent, "resourcemanager.folders.list", now).map_err(|mut e| {
        if !v3 {
            e = ApiError::from_store(
                StoreError::Denied { permission: String::new(), resource: String::new() },
                Surface::V1,
            );
        }
        e
    })?;
    let items =
        store.data.folders.iter().filter(|f| f.parent == parent).map(|f| folder_json(f, v3, int)).collect();
    page(items, req, "folders", 100)
}

fn organization_json(o: &Organization, v3: bool, int: bool) -> Value {
    let created = o.create_time.clone().unwrap_or_else(|| "2019-01-01T00:00:00.000Z".into());
    let customer = o.directory_customer_id.clone().unwrap_or_else(|| "C00000000".into());
    if v3 {
        let mut m = json!({
            "name": o.name, "displayName": o.display_name, "directoryCustomerId": customer,
            "state": wire::state_enum("ACTIVE", int), "createTime": created, "updateTime": created,
        });
        m["etag"] = json!(fake_etag(&m));
        m
    } else {
        json!({
            "name": o.name, "displayName": o.display_name, "owner": {"directoryCustomerId": customer},
            "creationTime": created, "lifecycleState": "ACTIVE",
        })
    }
}

pub(crate) fn get_organization(
    shared: &Shared,
    caller: &Caller,
    id: &str,
    v3: bool,
    int: bool,
) -> Result<Routed, ApiError> {
    let surface = if v3 { Surface::V3 } else { Surface::V1 };
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    store
        .authorize(caller, Kind::Organization, id, "get", now)
        .map_err(|e| ApiError::from_store(e, surface))?;
    ok(organization_json(store.organization(id).expect("authorized organizations exist"), v3, int))
}

pub(crate) fn search_organizations(
    shared: &Shared,
    caller: &Caller,
    v3: bool,
    int: bool,
) -> Result<Routed, ApiError> {
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let items: Vec<Value> = store
        .data
        .organizations
        .iter()
        .filter(|o| store.has_permission(caller, &o.name, "resourcemanager.organizations.get", now))
        .map(|o| organization_json(o, v3, int))
        .collect();
    ok(if items.is_empty() { json!({}) } else { json!({ "organizations": items }) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_queries() {
        let p = Project {
            project_id: "jit-demo-prod".into(),
            project_number: "1".into(),
            parent: "folders/2".into(),
            labels: [("env".to_string(), "prod".to_string())].into(),
            ..Project::default()
        };
        assert!(project_matches(&p, "lifecycleState:ACTIVE").unwrap());
        assert!(project_matches(&p, "parent:folders/2 id:jit-*").unwrap());
        assert!(project_matches(&p, "parent.type:folder parent.id:2").unwrap());
        assert!(project_matches(&p, "labels.env:prod").unwrap());
        assert!(
            project_matches(&p, "lifecycleState:ACTIVE AND (parent.id=2 AND parent.type=folder)").unwrap()
        );
        assert!(project_matches(&p, "lifecycleState:ACTIVE AND (name:\"jit*\")").unwrap());
        assert!(!project_matches(&p, "state:DELETE_REQUESTED").unwrap());
        assert!(project_matches(&p, "garbage").is_err());
        // v3's query: any term; v1's filter: every term.
        assert!(project_matches_any(&p, "labels.env:dev labels.env:prod").unwrap());
        assert!(!project_matches(&p, "labels.env:dev labels.env:prod").unwrap());
        assert!(!project_matches_any(&p, "labels.env:dev id:other").unwrap());
        assert!(project_matches_any(&p, "").unwrap());
    }
}
