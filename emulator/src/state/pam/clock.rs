//! What the emulator's clock does to PAM ([`tick`], before every request): operations done, grants
//! scheduled, activated (their bindings written by the service agent), ended and expired.

use super::common::*;
use super::entitlements::find_entitlement;
use super::grants::{grant_index, push_event, scope_of_name};

// ---- the clock -------------------------------------------------------------------------------

pub(super) fn grant_policy_key(store: &Store, grant: &Value) -> Option<(Kind, String)> {
    let resource = str_of(grant, &["privilegedAccess", "gcpIamAccess", "resource"]);
    scope_key(store, resource.strip_prefix("//cloudresourcemanager.googleapis.com/")?)
}

/// The bindings a grant activated at `start` writes: one per role, for the requester, with PAM's
/// condition (`request.time < timestamp("END")`, whole seconds, double quotes, title `Created by:
/// PAM`, no description), and the entitlement's own `conditionExpression` joined with `&&`.
pub(super) fn grant_bindings(grant: &Value, start: DateTime<Utc>) -> (Vec<Binding>, DateTime<Utc>) {
    let nanos = parse_duration(str_of(grant, &["requestedDuration"])).unwrap_or(0);
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).unwrap_or(0);
    let end = start + Duration::seconds(secs);
    let expr = format!("request.time < timestamp(\"{}\")", crate::state::model::format_time(end));
    let member = format!("user:{}", str_of(grant, &["requester"]));
    let member = if member.contains(".iam.gserviceaccount.com") {
        member.replacen("user:", "serviceAccount:", 1)
    } else {
        member
    };
    let bindings = grant["privilegedAccess"]["gcpIamAccess"]["roleBindings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rb| {
            let extra = str_of(rb, &["conditionExpression"]);
            let expression = if extra.is_empty() { expr.clone() } else { format!("{expr} && ({extra})") };
            Binding {
                role: str_of(rb, &["role"]).to_string(),
                members: vec![member.clone()],
                condition: Some(Expr { expression, title: Some(PAM_TITLE.into()), ..Expr::default() }),
                ..Binding::default()
            }
        })
        .collect();
    (bindings, end)
}

/// Writes (`add`) or removes the grant's bindings on the resource's policy, as PAM's service agent:
/// a version-3 read-modify-write that leaves every other binding as it was. Returns false when
/// the removal found a binding changed outside PAM.
pub(super) fn write_bindings(
    store: &mut Store,
    key: &(Kind, String),
    bindings: &[Binding],
    add: bool,
    agent: &str,
    now: DateTime<Utc>,
) -> Result<bool, String> {
    let current = store.stored(&key.1);
    let mut next: Policy = current.clone();
    let mut intact = true;
    for b in bindings {
        let pos = next.bindings.iter().position(|x| x.same_target(b));
        match (add, pos) {
            (true, Some(p)) => {
                for m in &b.members {
                    if !next.bindings[p].members.contains(m) {
                        next.bindings[p].members.push(m.clone());
                    }
                }
            }
            (true, None) => next.bindings.push(b.clone()),
            (false, Some(p)) => {
                let before = next.bindings[p].members.len();
                next.bindings[p].members.retain(|m| !b.members.contains(m));
                intact &= next.bindings[p].members.len() < before;
                if next.bindings[p].members.is_empty() {
                    next.bindings.remove(p);
                }
            }
            (false, None) => intact = false,
        }
    }
    if next.bindings == current.bindings {
        return Ok(intact);
    }
    next.version = Some(3);
    let id = key.1.split_once('/').map(|(_, id)| id.to_string()).unwrap_or_default();
    store.set_policy(&Caller::Anyone, key.0, &id, next, None, now).map_err(|e| format!("{e:?}"))?;
    // The write is the service agent's: its Admin Activity entry names it.
    if let Some(mut entry) = store.pop_log_entry() {
        entry["protoPayload"]["authenticationInfo"] = json!({"principalEmail": agent});
        store.push_log_entry(entry);
    }
    Ok(intact)
}

/// Moves every grant and operation on to `now`: see the module's documentation. Returns true when
/// anything changed.
pub fn tick(store: &mut Store, now: DateTime<Utc>) -> bool {
    let pam = &store.data.pam;
    if pam.grants.is_empty() && pam.operations.iter().all(|o| o["done"] == json!(true)) {
        return false;
    }
    let mut changed = false;
    // Operations started by an earlier request are done.
    let pending: Vec<usize> = (0..store.data.pam.operations.len())
        .filter(|i| store.data.pam.operations[*i]["done"] != json!(true))
        .collect();
    for i in pending {
        changed = true;
        let op = store.data.pam.operations[i].clone();
        let target = str_of(&op, &["metadata", "target"]).to_string();
        let verb = str_of(&op, &["metadata", "verb"]).to_string();
        let response = match verb.as_str() {
            "create" | "update" => find_entitlement(store, &target).map(|e| {
                let ent = &mut store.data.pam.entitlements[e];
                ent["state"] = json!("AVAILABLE");
                let mut r = ent.clone();
                r["@type"] = json!("type.googleapis.com/google.cloud.privilegedaccessmanager.v1.Entitlement");
                r
            }),
            "delete" => {
                if let Some(e) = find_entitlement(store, &target) {
                    store.data.pam.entitlements.remove(e);
                    let prefix = canonical_name(store, &target).map(|n| format!("{n}/grants/"));
                    let names: Vec<bool> = store
                        .data
                        .pam
                        .grants
                        .iter()
                        .map(|g| {
                            prefix.as_ref().is_some_and(|p| {
                                canonical_name(store, str_of(&g.grant, &["name"]))
                                    .is_some_and(|n| n.starts_with(p))
                            })
                        })
                        .collect();
                    let mut k = 0;
                    store.data.pam.grants.retain(|_| {
                        let keep = !names[k];
                        k += 1;
                        keep
                    });
                }
                Some(json!({"@type": "type.googleapis.com/google.protobuf.Empty"}))
            }
            "revoke" => grant_index(store, &target).map(|gi| {
                end_access(store, gi, now, "revoked");
                let mut r = store.data.pam.grants[gi].grant.clone();
                r["@type"] = json!("type.googleapis.com/google.cloud.privilegedaccessmanager.v1.Grant");
                r
            }),
            _ => None,
        };
        let op = &mut store.data.pam.operations[i];
        op["done"] = json!(true);
        op["metadata"]["endTime"] = json!(time(now));
        match response {
            Some(r) => op["response"] = r,
            None => op["error"] = json!({"code": 5, "message": format!("`{target}` no longer exists.")}),
        }
        let op = op.clone();
        closing_entry(store, &op, &verb, &target, now);
    }
    for gi in 0..store.data.pam.grants.len() {
        let state = str_of(&store.data.pam.grants[gi].grant, &["state"]).to_string();
        match state.as_str() {
            "SCHEDULED" => {
                let g = &mut store.data.pam.grants[gi].grant;
                g["state"] = json!("ACTIVATING");
                g["updateTime"] = json!(time(now));
                changed = true;
            }
            "ACTIVATING" => {
                activate(store, gi, now);
                changed = true;
            }
            "ACTIVE" if store.data.pam.grants[gi].access_ends.is_some_and(|e| e <= now) => {
                end_access(store, gi, now, "ended");
                changed = true;
            }
            "APPROVAL_AWAITED" => {
                let created =
                    DateTime::parse_from_rfc3339(str_of(&store.data.pam.grants[gi].grant, &["createTime"]))
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or(now);
                if now >= created + Duration::hours(APPROVAL_WINDOW_HOURS) {
                    let g = &mut store.data.pam.grants[gi].grant;
                    g["state"] = json!("EXPIRED");
                    push_event(g, "expired", json!({}), now);
                    let name = str_of(g, &["name"]).to_string();
                    let (scope, _) = scope_of_name(store, &name);
                    audit(store, None, "PAMExpireGrant", None, (&name, &scope), json!({}), now);
                    changed = true;
                }
            }
            _ => {}
        }
    }
    changed
}

pub(super) fn activate(store: &mut Store, gi: usize, now: DateTime<Utc>) {
    let grant = store.data.pam.grants[gi].grant.clone();
    let name = str_of(&grant, &["name"]).to_string();
    let (scope, _) = scope_of_name(store, &name);
    let agent = service_agent(store, &scope);
    let (bindings, end) = grant_bindings(&grant, now);
    let written = match grant_policy_key(store, &grant) {
        Some(key) => write_bindings(store, &key, &bindings, true, &agent, now),
        None => Err("the grant's resource no longer exists".to_string()),
    };
    let record = &mut store.data.pam.grants[gi];
    match written {
        Ok(_) => {
            record.grant["state"] = json!("ACTIVE");
            push_event(&mut record.grant, "activated", json!({}), now);
            record.grant["auditTrail"] = json!({"accessGrantTime": time(now)});
            record.access_ends = Some(end);
            record.bindings = bindings;
            audit(store, None, "PAMActivateGrant", None, (&name, &scope), json!({}), now);
        }
        Err(e) => {
            record.grant["state"] = json!("ACTIVATION_FAILED");
            push_event(
                &mut record.grant,
                "activationFailed",
                json!({"error": {"code": 9, "message": e}}),
                now,
            );
            let status = json!({"status": {"code": 9, "message": e}});
            audit(store, None, "PAMActivateGrant", None, (&name, &scope), status, now);
        }
    }
}

/// Ends a grant's access: `ended` (its duration is over) or `revoked`. Removes exactly the
/// bindings activation wrote; a binding found changed outside PAM marks the grant
/// `externallyModified` ("this flag remains set forever").
pub(super) fn end_access(store: &mut Store, gi: usize, now: DateTime<Utc>, how: &str) {
    let record = store.data.pam.grants[gi].clone();
    let name = str_of(&record.grant, &["name"]).to_string();
    let (scope, _) = scope_of_name(store, &name);
    let agent = service_agent(store, &scope);
    let mut intact = true;
    if !record.bindings.is_empty()
        && let Some(key) = grant_policy_key(store, &record.grant)
    {
        intact = write_bindings(store, &key, &record.bindings, false, &agent, now).unwrap_or(false);
    }
    let was_active = record.access_ends.is_some();
    let r = &mut store.data.pam.grants[gi];
    if !intact {
        r.grant["externallyModified"] = json!(true);
        push_event(&mut r.grant, "externallyModified", json!({}), now);
    }
    let actor = r.revoke_actor.take().unwrap_or(json!({}));
    let g = &mut r.grant;
    if how == "revoked" {
        g["state"] = json!("REVOKED");
        push_event(g, "revoked", actor.clone(), now);
    } else {
        g["state"] = json!("ENDED");
        push_event(g, "ended", json!({}), now);
    }
    if was_active {
        g["auditTrail"]["accessRemoveTime"] = json!(time(now));
    }
    r.revoke_operation = None;
    if how != "revoked" {
        // A revocation's entries are its operation's (`closing_entry`).
        audit(store, None, "PAMEndGrant", None, (&name, &scope), json!({}), now);
    }
}

/// The second audit entry of a long-running method, when its operation ends ("one when the
/// operation starts and another when it ends"): the same method, caller and permission, with
/// `operation.last` (and the operation's error as `status` when it failed).
fn closing_entry(store: &mut Store, op: &Value, verb: &str, target: &str, now: DateTime<Utc>) {
    let (method, permission) = match verb {
        "create" => ("CreateEntitlement", "privilegedaccessmanager.entitlements.create"),
        "update" => ("UpdateEntitlement", "privilegedaccessmanager.entitlements.update"),
        "delete" => ("DeleteEntitlement", "privilegedaccessmanager.entitlements.delete"),
        "revoke" => ("RevokeGrant", "privilegedaccessmanager.grants.revoke"),
        _ => return,
    };
    let (scope, _) = scope_of_name(store, str_of(op, &["name"]));
    let who = str_of(op, &["starter"]).to_string();
    let mut fields = json!({"operation": lro(op, false)});
    if let Some(e) = op.get("error") {
        fields["status"] = e.clone();
    }
    let method = format!("{METHOD_PREFIX}{method}");
    let caller = Some(who.as_str()).filter(|w| !w.is_empty());
    audit(store, caller, &method, Some(permission), (target, &scope), fields, now);
}
