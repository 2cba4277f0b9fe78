//! PAM's entitlements: the checks `entitlements.create` and `patch` make (PAM's limits, the
//! principals it accepts), and create, get, list, search, patch and delete.

use super::common::*;

// ---- validation of an entitlement -------------------------------------------------------------

/// "4-63 characters in length, and valid characters are "[a-z]", "[0-9]", and "-". The first
/// character should be from [a-z]" (`entitlementId`, PAM's discovery document).
pub fn valid_entitlement_id(id: &str) -> bool {
    (4..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(super) fn resource_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Organization => "cloudresourcemanager.googleapis.com/Organization",
        Kind::Folder => "cloudresourcemanager.googleapis.com/Folder",
        _ => "cloudresourcemanager.googleapis.com/Project",
    }
}

pub(super) fn check_principals(entries: &Value, field: &str) -> PamResult<()> {
    let Some(list) = entries.as_array() else {
        return Err(PamError::invalid(format!("`{field}` must be a list of access control entries.")));
    };
    if list.len() > 1 {
        // "This list should contain at most one entry." (eligibleUsers, Step.approvers)
        return Err(PamError::invalid(format!("`{field}` can contain at most one entry.")));
    }
    for e in list {
        let principals = e["principals"].as_array().cloned().unwrap_or_default();
        if principals.is_empty() {
            return Err(PamError::invalid(format!("`{field}.principals` must name at least one principal.")));
        }
        for p in principals {
            let p = p.as_str().unwrap_or_default();
            if p == "allUsers" || p == "allAuthenticatedUsers" {
                return Err(PamError::invalid(format!("`{field}` does not accept the principal `{p}`.")));
            }
            let ok = ["user:", "group:", "serviceAccount:", "domain:", "principal://", "principalSet://"]
                .iter()
                .any(|prefix| p.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty()));
            if !ok {
                return Err(PamError::invalid(format!(
                    "`{p}` in `{field}` is not a valid IAM principal identifier \
                     (https://cloud.google.com/iam/docs/principal-identifiers#v1)."
                )));
            }
        }
    }
    Ok(())
}

/// Checks an entitlement as a client sent it (create, or the result of a patch) against the
/// scope it lives in; fills nothing.
pub(super) fn check_entitlement(store: &Store, loc: &Location, e: &Value) -> PamResult<()> {
    let max = str_of(e, &["maxRequestDuration"]);
    if max.is_empty() {
        return Err(PamError::invalid("`maxRequestDuration` is required."));
    }
    let nanos = parse_duration(max)
        .ok_or_else(|| PamError::invalid(format!("`maxRequestDuration` `{max}` is not a duration.")))?;
    if nanos <= 0 || nanos > i128::from(MAX_ENTITLEMENT_SECONDS) * 1_000_000_000 {
        return Err(PamError::invalid(format!(
            "`maxRequestDuration` must be more than 0 and at most {MAX_ENTITLEMENT_SECONDS}s (7 days); got `{max}`."
        )));
    }
    let justification = &e["requesterJustificationConfig"];
    let kinds = ["notMandatory", "unstructured"].iter().filter(|k| justification[**k].is_object()).count();
    if kinds != 1 {
        return Err(PamError::invalid(
            "`requesterJustificationConfig` is required and must set exactly one of `notMandatory` and `unstructured`.",
        ));
    }
    let access = &e["privilegedAccess"]["gcpIamAccess"];
    if !access.is_object() {
        return Err(PamError::invalid("`privilegedAccess.gcpIamAccess` is required."));
    }
    let want_type = resource_type(loc.kind);
    if str_of(access, &["resourceType"]) != want_type {
        return Err(PamError::invalid(format!(
            "`privilegedAccess.gcpIamAccess.resourceType` must be `{want_type}` for an entitlement in `{}`.",
            loc.scope
        )));
    }
    let resource = str_of(access, &["resource"]);
    let named =
        resource.strip_prefix("//cloudresourcemanager.googleapis.com/").and_then(|s| scope_key(store, s));
    if named.as_ref().map(|(_, k)| k) != Some(&loc.key) {
        return Err(PamError::invalid(format!(
            "`privilegedAccess.gcpIamAccess.resource` must be the entitlement's own resource, \
             `//cloudresourcemanager.googleapis.com/{}`; got `{resource}`.",
            loc.scope
        )));
    }
    let bindings = access["roleBindings"].as_array().cloned().unwrap_or_default();
    if bindings.is_empty() {
        return Err(PamError::invalid(
            "`privilegedAccess.gcpIamAccess.roleBindings` must hold at least one role.",
        ));
    }
    for b in &bindings {
        let role = str_of(b, &["role"]);
        if role.is_empty() {
            return Err(PamError::invalid("Every role binding needs a `role`."));
        }
        if ["roles/owner", "roles/editor", "roles/viewer"].contains(&role) {
            // "You can't use basic roles in entitlements" (issue 21, "PAM's limits: no basic
            // roles"; observed: an entitlement offering `roles/owner` is refused).
            return Err(PamError::invalid(format!(
                "Basic role `{role}` is not supported in entitlements; use predefined or custom roles."
            )));
        }
        let known = if role.starts_with("roles/") {
            crate::state::catalog::catalog().role(role).is_some()
        } else {
            store.custom_role_in_hierarchy(&loc.key, role)
        };
        if !known {
            return Err(PamError::invalid(format!(
                "Role `{role}` does not exist or cannot be granted on `{}`.",
                loc.scope
            )));
        }
    }
    check_principals(&e["eligibleUsers"], "eligibleUsers")?;
    if e["eligibleUsers"].as_array().is_none_or(Vec::is_empty) {
        return Err(PamError::invalid("`eligibleUsers` must name who can request grants."));
    }
    if !e["approvalWorkflow"].is_null() {
        let manual = &e["approvalWorkflow"]["manualApprovals"];
        if !manual.is_object() {
            return Err(PamError::invalid("`approvalWorkflow` must be a `manualApprovals` workflow."));
        }
        let steps = manual["steps"].as_array().cloned().unwrap_or_default();
        if steps.len() != 1 {
            // "Only 1 step is supported."
            return Err(PamError::invalid(
                "`approvalWorkflow.manualApprovals.steps` must hold exactly 1 step.",
            ));
        }
        let needed = steps[0]["approvalsNeeded"].as_i64().unwrap_or(0);
        if needed != 1 {
            // "Should always be greater than 0. 1 is the only supported value."
            return Err(PamError::invalid("`approvalsNeeded` must be 1, the only supported value."));
        }
        check_principals(&steps[0]["approvers"], "approvers")?;
        if steps[0]["approvers"].as_array().is_none_or(Vec::is_empty) {
            return Err(PamError::invalid("The approval step must name its `approvers`."));
        }
    }
    Ok(())
}

/// The fields a client may set on an entitlement (the rest are output only).
pub(super) const INPUT_FIELDS: [&str; 6] = [
    "eligibleUsers",
    "approvalWorkflow",
    "privilegedAccess",
    "maxRequestDuration",
    "requesterJustificationConfig",
    "additionalNotificationTargets",
];

pub(super) fn new_etag() -> String {
    format!("\"{}\"", hex::encode(rand::random::<[u8; 8]>()))
}

// ---- entitlements ----------------------------------------------------------------------------

pub(super) fn find_entitlement(store: &Store, name: &str) -> Option<usize> {
    let wanted = canonical_name(store, name)?;
    store
        .data
        .pam
        .entitlements
        .iter()
        .position(|e| canonical_name(store, str_of(e, &["name"])).as_deref() == Some(&wanted))
}

/// `entitlements.create`: needs `privilegedaccessmanager.entitlements.create` and, as PAM's
/// "Required permissions" list (<https://cloud.google.com/iam/docs/pam-permissions-and-setup>),
/// the right to set the resource's allow policy. Returns the operation (not done: it is done at
/// the next request).
pub fn create_entitlement(
    store: &mut Store,
    caller: &Caller,
    loc: &Location,
    id: Option<&str>,
    body: Value,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.entitlements.create";
    require(store, caller, &loc.key, permission, &loc.name(), now)?;
    let set = loc.kind.permission("setIamPolicy");
    require(store, caller, &loc.key, &set, &loc.name(), now)?;
    let Some(id) = id.filter(|i| !i.is_empty()) else {
        return Err(PamError::invalid("`entitlementId` is required."));
    };
    if !valid_entitlement_id(id) {
        return Err(PamError::invalid(format!(
            "`entitlementId` `{id}` is not valid: it must be 4-63 characters of [a-z], [0-9] and `-`, starting with a letter."
        )));
    }
    let name = format!("{}/entitlements/{id}", loc.name());
    if find_entitlement(store, &name).is_some() {
        return Err(PamError::already_exists(format!("Entitlement `{name}` already exists.")));
    }
    let Value::Object(fields) = body else {
        return Err(PamError::invalid("The entitlement must be a JSON object."));
    };
    let mut ent = Map::new();
    for f in INPUT_FIELDS {
        if let Some(v) = fields.get(f).filter(|v| !v.is_null()) {
            ent.insert(f.into(), v.clone());
        }
    }
    let mut ent = Value::Object(ent);
    check_entitlement(store, loc, &ent)?;
    ent["name"] = json!(name);
    ent["createTime"] = json!(time(now));
    ent["updateTime"] = json!(time(now));
    ent["state"] = json!("CREATING");
    ent["etag"] = json!(new_etag());
    let mut op = new_operation(&loc.name(), &name, "create", now);
    op["starter"] = json!(principal_of(caller).unwrap_or_default());
    store.data.pam.entitlements.push(ent.clone());
    store.data.pam.operations.push(op.clone());
    audit(
        store,
        principal_of(caller).ok(),
        &format!("{METHOD_PREFIX}CreateEntitlement"),
        Some(permission),
        (&name, &loc.key),
        json!({"request": {"parent": loc.name(), "entitlementId": id, "entitlement": ent}, "operation": lro(&op, true)}),
        now,
    );
    op.as_object_mut().map(|m| m.remove("starter"));
    Ok(op)
}

/// `entitlements.get` (`privilegedaccessmanager.entitlements.get`).
pub fn get_entitlement(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.entitlements.get";
    require(store, caller, &loc.key, permission, name, now)?;
    find_entitlement(store, name)
        .map(|i| store.data.pam.entitlements[i].clone())
        .ok_or_else(|| PamError::not_found(format!("Entitlement `{name}` not found.")))
}

pub(super) fn entitlements_in<'a>(store: &'a Store, loc: &Location) -> impl Iterator<Item = &'a Value> + 'a {
    let prefix = format!("{}/locations/{}/entitlements/", loc.key, loc.location);
    store
        .data
        .pam
        .entitlements
        .iter()
        .filter(move |e| canonical_name(store, str_of(e, &["name"])).is_some_and(|n| n.starts_with(&prefix)))
}

/// `entitlements.list` (`privilegedaccessmanager.entitlements.list`), in name order.
pub fn list_entitlements(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    now: DateTime<Utc>,
) -> PamResult<Vec<Value>> {
    let permission = "privilegedaccessmanager.entitlements.list";
    require(store, caller, &loc.key, permission, &loc.name(), now)?;
    let mut out: Vec<Value> = entitlements_in(store, loc).cloned().collect();
    out.sort_by(|a, b| str_of(a, &["name"]).cmp(str_of(b, &["name"])));
    Ok(out)
}

/// `entitlements.search`: the entitlements on which the caller is a requester
/// (`GRANT_REQUESTER`) or an approver (`GRANT_APPROVER`); no IAM permission is needed
/// ("Principals requesting grants and approving or denying the grants don't require any
/// PAM-specific permissions", <https://cloud.google.com/iam/docs/pam-permissions-and-setup>).
pub fn search_entitlements(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    access: &str,
) -> PamResult<Vec<Value>> {
    let principal = principal_of(caller)?;
    let mut out: Vec<Value> = match access {
        "GRANT_REQUESTER" => entitlements_in(store, loc)
            .filter(|e| in_acl(store, &e["eligibleUsers"], principal))
            .cloned()
            .collect(),
        "GRANT_APPROVER" => {
            entitlements_in(store, loc).filter(|e| in_acl(store, approvers(e), principal)).cloned().collect()
        }
        "" | "CALLER_ACCESS_TYPE_UNSPECIFIED" => {
            return Err(PamError::invalid(
                "`callerAccessType` is required: GRANT_REQUESTER or GRANT_APPROVER.",
            ));
        }
        other => return Err(PamError::invalid(format!("Invalid value for `callerAccessType`: `{other}`."))),
    };
    out.retain(|e| str_of(e, &["state"]) == "AVAILABLE");
    out.sort_by(|a, b| str_of(a, &["name"]).cmp(str_of(b, &["name"])));
    Ok(out)
}

/// `entitlements.patch` with `updateMask` (`*` for every field, as gcloud sends). What the
/// discovery document forbids: changing the resource or its type, adding or removing the approval
/// workflow, adding or removing a step. The etag, when sent, must match.
pub fn patch_entitlement(
    store: &mut Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    mask: Option<&str>,
    body: Value,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.entitlements.update";
    require(store, caller, &loc.key, permission, name, now)?;
    let set = loc.kind.permission("setIamPolicy");
    require(store, caller, &loc.key, &set, name, now)?;
    let i = find_entitlement(store, name)
        .ok_or_else(|| PamError::not_found(format!("Entitlement `{name}` not found.")))?;
    let current = store.data.pam.entitlements[i].clone();
    if str_of(&current, &["state"]) != "AVAILABLE" {
        return Err(PamError::failed_precondition(format!(
            "Entitlement `{name}` is {}; it can be updated only when AVAILABLE.",
            str_of(&current, &["state"])
        )));
    }
    let etag = str_of(&body, &["etag"]);
    if !etag.is_empty() && etag != str_of(&current, &["etag"]) {
        return Err(PamError::aborted(
            "The etag does not match the entitlement's current etag; read it again and retry.",
        ));
    }
    let mask = mask
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| PamError::invalid("`updateMask` is required."))?;
    let paths: Vec<&str> =
        if mask == "*" { INPUT_FIELDS.to_vec() } else { mask.split(',').map(str::trim).collect() };
    let mut next = current.clone();
    for path in &paths {
        let top = path.split('.').next().unwrap_or_default();
        if !INPUT_FIELDS.contains(&top) {
            return Err(PamError::invalid(format!("`{path}` cannot be updated (updateMask).")));
        }
        // A dotted path replaces that field only.
        let mut src = &body;
        let segments: Vec<&str> = path.split('.').collect();
        for s in &segments {
            src = &src[*s];
        }
        let mut dst = &mut next;
        for s in &segments[..segments.len() - 1] {
            dst = &mut dst[*s];
        }
        let last = segments[segments.len() - 1];
        if let Some(obj) = dst.as_object_mut() {
            if src.is_null() {
                obj.remove(last);
            } else {
                obj.insert(last.to_string(), src.clone());
            }
        }
    }
    let access = |v: &Value| v["privilegedAccess"]["gcpIamAccess"].clone();
    if access(&next)["resource"] != access(&current)["resource"]
        || access(&next)["resourceType"] != access(&current)["resourceType"]
    {
        return Err(PamError::invalid("The entitlement's resource and resource type cannot be updated."));
    }
    if has_workflow(&next) != has_workflow(&current) {
        return Err(PamError::invalid(
            "An approval workflow cannot be added to or removed from an existing entitlement.",
        ));
    }
    check_entitlement(store, loc, &next)?;
    next["updateTime"] = json!(time(now));
    next["state"] = json!("UPDATING");
    next["etag"] = json!(new_etag());
    store.data.pam.entitlements[i] = next.clone();
    let mut op = new_operation(&loc.name(), str_of(&current, &["name"]), "update", now);
    op["starter"] = json!(principal_of(caller).unwrap_or_default());
    store.data.pam.operations.push(op.clone());
    audit(
        store,
        principal_of(caller).ok(),
        &format!("{METHOD_PREFIX}UpdateEntitlement"),
        Some(permission),
        (str_of(&current, &["name"]), &loc.key),
        json!({"request": {"entitlement": next, "updateMask": mask}, "operation": lro(&op, true)}),
        now,
    );
    op.as_object_mut().map(|m| m.remove("starter"));
    Ok(op)
}

/// `entitlements.delete`: "can only be called when there are no in-progress
/// (`ACTIVE`/`ACTIVATING`/`REVOKING`) grants under the entitlement"; without `force`, only when it
/// has no grant at all.
pub fn delete_entitlement(
    store: &mut Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    force: bool,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.entitlements.delete";
    require(store, caller, &loc.key, permission, name, now)?;
    let i = find_entitlement(store, name)
        .ok_or_else(|| PamError::not_found(format!("Entitlement `{name}` not found.")))?;
    let ent_name = str_of(&store.data.pam.entitlements[i], &["name"]).to_string();
    let canonical = canonical_name(store, &ent_name).unwrap_or_default();
    let grants: Vec<&GrantRecord> = store
        .data
        .pam
        .grants
        .iter()
        .filter(|g| {
            canonical_name(store, str_of(&g.grant, &["name"]))
                .is_some_and(|n| n.starts_with(&format!("{canonical}/grants/")))
        })
        .collect();
    if grants.iter().any(|g| ["ACTIVE", "ACTIVATING", "REVOKING"].contains(&str_of(&g.grant, &["state"]))) {
        return Err(PamError::failed_precondition(format!(
            "Entitlement `{name}` has grants in progress (ACTIVE, ACTIVATING or REVOKING); revoke them or wait for them to end."
        )));
    }
    if !grants.is_empty() && !force {
        return Err(PamError::failed_precondition(format!(
            "Entitlement `{name}` has grants; delete it with `force` to delete them too."
        )));
    }
    store.data.pam.entitlements[i]["state"] = json!("DELETING");
    let mut op = new_operation(&loc.name(), &ent_name, "delete", now);
    op["starter"] = json!(principal_of(caller).unwrap_or_default());
    store.data.pam.operations.push(op.clone());
    audit(
        store,
        principal_of(caller).ok(),
        &format!("{METHOD_PREFIX}DeleteEntitlement"),
        Some(permission),
        (&ent_name, &loc.key),
        json!({"request": {"name": ent_name, "force": force}, "operation": lro(&op, true)}),
        now,
    );
    op.as_object_mut().map(|m| m.remove("starter"));
    Ok(op)
}
