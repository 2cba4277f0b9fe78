//! PAM's grants as callers make them: create (the requester's checks), get, list, search,
//! approve and deny (the approver's checks), revoke, and the scope's onboarding status.

use super::common::*;
use super::entitlements::find_entitlement;

// ---- grants ----------------------------------------------------------------------------------

pub(super) fn grant_index(store: &Store, name: &str) -> Option<usize> {
    let wanted = canonical_name(store, name)?;
    store
        .data
        .pam
        .grants
        .iter()
        .position(|g| canonical_name(store, str_of(&g.grant, &["name"])).as_deref() == Some(&wanted))
}

pub(super) fn grants_of<'a>(
    store: &'a Store,
    entitlement: &'a str,
) -> impl Iterator<Item = &'a GrantRecord> + 'a {
    let prefix = canonical_name(store, entitlement).map(|n| format!("{n}/grants/"));
    store.data.pam.grants.iter().filter(move |g| {
        prefix.as_ref().is_some_and(|p| {
            canonical_name(store, str_of(&g.grant, &["name"])).is_some_and(|n| n.starts_with(p))
        })
    })
}

pub(super) fn push_event(grant: &mut Value, event: &str, body: Value, now: DateTime<Utc>) {
    let mut e = Map::new();
    e.insert(event.into(), body);
    e.insert("eventTime".into(), json!(time(now)));
    if let Some(events) = grant["timeline"]["events"].as_array_mut() {
        events.push(Value::Object(e));
    }
    grant["updateTime"] = json!(time(now));
}

pub(super) fn uuid() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!("{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

pub(super) const OPEN: [&str; 4] = ["APPROVAL_AWAITED", "SCHEDULED", "ACTIVATING", "ACTIVE"];

/// `grants.create`: the checks PAM makes. The requester must be eligible (in `eligibleUsers`,
/// directly or through a group); the requested duration at most the entitlement's
/// `maxRequestDuration` ("A requester can ask for a duration less than this, but never more"); a
/// justification when `requesterJustificationConfig.unstructured` is set; no second open grant of
/// the same requester on the entitlement ("You can't request a grant with the same scope as an
/// existing grant in the Active or Approval awaited state",
/// <https://cloud.google.com/iam/docs/pam-request-temporary-elevated-access>).
pub fn create_grant(
    store: &mut Store,
    caller: &Caller,
    entitlement: &str,
    body: Value,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let principal = principal_of(caller)?.to_string();
    let i = find_entitlement(store, entitlement);
    let eligible =
        i.is_some_and(|i| in_acl(store, &store.data.pam.entitlements[i]["eligibleUsers"], &principal));
    let Some(i) = i.filter(|_| eligible) else {
        // An ineligible caller learns nothing about the entitlement.
        return Err(PamError::forbidden(format!(
            "You are not eligible to request grants against the entitlement `{entitlement}` (or it may not exist)."
        )));
    };
    let ent = store.data.pam.entitlements[i].clone();
    if str_of(&ent, &["state"]) != "AVAILABLE" {
        return Err(PamError::failed_precondition(format!(
            "Entitlement `{entitlement}` is {}; grants can be requested only when it is AVAILABLE.",
            str_of(&ent, &["state"])
        )));
    }
    let requested = str_of(&body, &["requestedDuration"]);
    if requested.is_empty() {
        return Err(PamError::invalid("`requestedDuration` is required."));
    }
    let nanos = parse_duration(requested)
        .ok_or_else(|| PamError::invalid(format!("`requestedDuration` `{requested}` is not a duration.")))?;
    let max = str_of(&ent, &["maxRequestDuration"]);
    let max_nanos = parse_duration(max).unwrap_or(0);
    if nanos <= 0 {
        return Err(PamError::invalid("`requestedDuration` must be more than 0."));
    }
    if nanos > max_nanos {
        return Err(PamError::invalid(format!(
            "The requested duration {requested} is more than the entitlement's maximum request duration {max}."
        )));
    }
    let justification = str_of(&body, &["justification", "unstructuredJustification"]);
    if ent["requesterJustificationConfig"]["unstructured"].is_object() && justification.trim().is_empty() {
        return Err(PamError::invalid(
            "A justification is required by the entitlement: set `justification.unstructuredJustification`.",
        ));
    }
    let who = email(&principal).to_string();
    let ent_name = str_of(&ent, &["name"]).to_string();
    if grants_of(store, &ent_name).any(|g| {
        str_of(&g.grant, &["requester"]).eq_ignore_ascii_case(&who)
            && OPEN.contains(&str_of(&g.grant, &["state"]))
    }) {
        return Err(PamError::failed_precondition(format!(
            "You already have an open grant (approval awaited, scheduled or active) against the entitlement `{ent_name}`."
        )));
    }
    let name = format!("{}/grants/{}", entitlement, uuid());
    let mut grant = json!({
        "name": name,
        "createTime": time(now),
        "updateTime": time(now),
        "requester": who,
        "requestedDuration": requested,
        "state": "APPROVAL_AWAITED",
        "timeline": {"events": []},
        "privilegedAccess": ent["privilegedAccess"],
    });
    if !justification.is_empty() {
        grant["justification"] = json!({"unstructuredJustification": justification});
    }
    if let Some(r) = body["additionalEmailRecipients"].as_array().filter(|r| !r.is_empty()) {
        grant["additionalEmailRecipients"] = json!(r);
    }
    if has_workflow(&ent) {
        let expire = now + Duration::hours(APPROVAL_WINDOW_HOURS);
        push_event(&mut grant, "requested", json!({"expireTime": time(expire)}), now);
    } else {
        push_event(&mut grant, "requested", json!({}), now);
        grant["state"] = json!("SCHEDULED");
        push_event(&mut grant, "scheduled", json!({"scheduledActivationTime": time(now)}), now);
    }
    store.data.pam.grants.push(GrantRecord { grant: grant.clone(), ..GrantRecord::default() });
    let (scope, _) = scope_of_name(store, &name);
    audit(
        store,
        Some(&principal),
        &format!("{METHOD_PREFIX}CreateGrant"),
        None,
        (&name, &scope),
        json!({"request": {"parent": entitlement, "grant": body}, "response": grant_response(&grant)}),
        now,
    );
    Ok(grant)
}

/// The scope's canonical key of a PAM resource name, and the name's rest.
pub(super) fn scope_of_name(store: &Store, name: &str) -> (String, String) {
    let canonical = canonical_name(store, name).unwrap_or_default();
    let (scope, rest) = canonical.split_once("/locations/").unwrap_or_default();
    (scope.to_string(), rest.to_string())
}

pub(super) fn entitlement_of_grant(name: &str) -> &str {
    name.rsplit_once("/grants/").map_or(name, |(e, _)| e)
}

/// Who may read a grant: its requester, its entitlement's approvers, or a holder of
/// `privilegedaccessmanager.grants.get` on the scope.
pub(super) fn may_read(
    store: &Store,
    caller: &Caller,
    g: &GrantRecord,
    permission: &str,
    now: DateTime<Utc>,
) -> bool {
    let (scope, _) = scope_of_name(store, str_of(&g.grant, &["name"]));
    if store.has_permission(caller, &scope, permission, now) {
        return true;
    }
    let Caller::Principal(p) = caller else { return true };
    if str_of(&g.grant, &["requester"]).eq_ignore_ascii_case(email(p)) {
        return true;
    }
    find_entitlement(store, entitlement_of_grant(str_of(&g.grant, &["name"])))
        .is_some_and(|i| in_acl(store, approvers(&store.data.pam.entitlements[i]), p))
}

/// `grants.get`.
pub fn get_grant(store: &Store, caller: &Caller, name: &str, now: DateTime<Utc>) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.grants.get";
    match grant_index(store, name) {
        Some(i) if may_read(store, caller, &store.data.pam.grants[i], permission, now) => {
            Ok(store.data.pam.grants[i].grant.clone())
        }
        _ => Err(PamError::denied(permission, name)),
    }
}

/// `grants.list` (`privilegedaccessmanager.grants.list` on the scope), oldest first.
pub fn list_grants(
    store: &Store,
    caller: &Caller,
    entitlement: &str,
    now: DateTime<Utc>,
) -> PamResult<Vec<Value>> {
    let permission = "privilegedaccessmanager.grants.list";
    let (scope, _) = scope_of_name(store, entitlement);
    require(store, caller, &scope, permission, entitlement, now)?;
    if find_entitlement(store, entitlement).is_none() {
        return Err(PamError::not_found(format!("Entitlement `{entitlement}` not found.")));
    }
    Ok(grants_of(store, entitlement).map(|g| g.grant.clone()).collect())
}

/// `grants.search` by `callerRelationship`: `HAD_CREATED` (the caller requested it), `CAN_APPROVE`
/// (awaiting approval, the caller is an approver and not the requester) and `HAD_APPROVED` (the
/// caller approved or denied it).
pub fn search_grants(
    store: &Store,
    caller: &Caller,
    entitlement: &str,
    relationship: &str,
) -> PamResult<Vec<Value>> {
    let principal = principal_of(caller)?;
    let me = email(principal);
    let Some(i) = find_entitlement(store, entitlement) else {
        return Err(PamError::not_found(format!("Entitlement `{entitlement}` not found.")));
    };
    let ent = &store.data.pam.entitlements[i];
    let acted = |g: &Value| {
        g["timeline"]["events"].as_array().into_iter().flatten().any(|e| {
            ["approved", "denied"]
                .iter()
                .any(|k| e[*k]["actor"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(me)))
        })
    };
    let mine = |g: &Value| str_of(g, &["requester"]).eq_ignore_ascii_case(me);
    let keep: Box<dyn Fn(&Value) -> bool> = match relationship {
        "HAD_CREATED" => Box::new(mine),
        "CAN_APPROVE" => Box::new(|g: &Value| {
            str_of(g, &["state"]) == "APPROVAL_AWAITED"
                && !mine(g)
                && in_acl(store, approvers(ent), principal)
        }),
        "HAD_APPROVED" => Box::new(acted),
        "" | "CALLER_RELATIONSHIP_TYPE_UNSPECIFIED" => {
            return Err(PamError::invalid(
                "`callerRelationship` is required: HAD_CREATED, CAN_APPROVE or HAD_APPROVED.",
            ));
        }
        other => {
            return Err(PamError::invalid(format!("Invalid value for `callerRelationship`: `{other}`.")));
        }
    };
    Ok(grants_of(store, entitlement).map(|g| &g.grant).filter(|g| keep(g)).cloned().collect())
}

/// `grants.approve` and `grants.deny`: only on an `APPROVAL_AWAITED` grant ("This method can only
/// be called on a grant when it's in the `APPROVAL_AWAITED` state"), by an approver the workflow
/// names who is not the requester, with a reason when `requireApproverJustification` is set.
pub fn decide(
    store: &mut Store,
    caller: &Caller,
    name: &str,
    approve: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let principal = principal_of(caller)?.to_string();
    let Some(gi) = grant_index(store, name) else {
        return Err(PamError::forbidden(format!(
            "You cannot act on the grant `{name}` (or it may not exist)."
        )));
    };
    let grant = store.data.pam.grants[gi].grant.clone();
    let ent = find_entitlement(store, entitlement_of_grant(str_of(&grant, &["name"])))
        .map(|i| store.data.pam.entitlements[i].clone())
        .unwrap_or(Value::Null);
    let me = email(&principal);
    if str_of(&grant, &["requester"]).eq_ignore_ascii_case(me) {
        return Err(PamError::forbidden(format!(
            "You cannot {} your own grant `{name}`: a requester cannot approve or deny their own request.",
            if approve { "approve" } else { "deny" }
        )));
    }
    if !in_acl(store, approvers(&ent), &principal) {
        return Err(PamError::forbidden(format!(
            "You are not an approver of the entitlement of the grant `{name}`."
        )));
    }
    in_state(name, &grant, &["APPROVAL_AWAITED"], "approved or denied")?;
    if ent["approvalWorkflow"]["manualApprovals"]["requireApproverJustification"] == json!(true)
        && reason.trim().is_empty()
    {
        return Err(PamError::invalid("The entitlement requires approvers to give a `reason`."));
    }
    let actor = actor(me, reason);
    let g = &mut store.data.pam.grants[gi].grant;
    if approve {
        push_event(g, "approved", actor, now);
        g["state"] = json!("SCHEDULED");
        push_event(g, "scheduled", json!({"scheduledActivationTime": time(now)}), now);
    } else {
        push_event(g, "denied", actor, now);
        g["state"] = json!("DENIED");
    }
    let out = g.clone();
    let (scope, _) = scope_of_name(store, name);
    let method = if approve { "ApproveGrant" } else { "DenyGrant" };
    audit(
        store,
        Some(&principal),
        &format!("{METHOD_PREFIX}{method}"),
        None,
        (str_of(&out, &["name"]), &scope),
        json!({"request": {"name": name, "reason": reason}, "response": grant_response(&out)}),
        now,
    );
    Ok(out)
}

/// `grants.revoke` (`privilegedaccessmanager.grants.revoke`): "can be called when the grant is in
/// a non-terminal state". The grant is `REVOKING` and the operation not done; at the next request
/// the bindings are removed, the grant is `REVOKED` and the operation done.
pub fn revoke_grant(
    store: &mut Store,
    caller: &Caller,
    name: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.grants.revoke";
    let (scope, _) = scope_of_name(store, name);
    require(store, caller, &scope, permission, name, now)?;
    let gi =
        grant_index(store, name).ok_or_else(|| PamError::not_found(format!("Grant `{name}` not found.")))?;
    in_state(name, &store.data.pam.grants[gi].grant, &OPEN, "revoked")?;
    let grant_name = str_of(&store.data.pam.grants[gi].grant, &["name"]).to_string();
    let loc_name = grant_name.split("/entitlements/").next().unwrap_or_default().to_string();
    let mut op = new_operation(&loc_name, &grant_name, "revoke", now);
    let who = principal_of(caller).unwrap_or_default().to_string();
    op["starter"] = json!(who);
    let actor = actor(email(&who), reason);
    let record = &mut store.data.pam.grants[gi];
    record.grant["state"] = json!("REVOKING");
    record.grant["updateTime"] = json!(time(now));
    record.revoke_actor = Some(actor);
    record.revoke_operation = Some(str_of(&op, &["name"]).to_string());
    store.data.pam.operations.push(op.clone());
    audit(
        store,
        principal_of(caller).ok(),
        &format!("{METHOD_PREFIX}RevokeGrant"),
        Some(permission),
        (&grant_name, &scope),
        json!({"request": {"name": name, "reason": reason}, "operation": lro(&op, true)}),
        now,
    );
    op.as_object_mut().map(|m| m.remove("starter"));
    Ok(op)
}

/// PAM's refusal of an action on a grant in a state that does not allow it ("This method can only
/// be called on a grant when it's in the `APPROVAL_AWAITED` state"; revoke: "in a non-terminal
/// state"): 400 `FAILED_PRECONDITION` naming the state.
fn in_state(name: &str, grant: &Value, allowed: &[&str], action: &str) -> PamResult<()> {
    let state = str_of(grant, &["state"]);
    if allowed.contains(&state) {
        return Ok(());
    }
    let allowed = match allowed {
        [one] => one.to_string(),
        [first @ .., last] => format!("{} or {last}", first.join(", ")),
        [] => "never".to_string(),
    };
    Err(PamError::failed_precondition(format!(
        "The grant `{name}` is {state}; it can be {action} only while {allowed}."
    )))
}

/// An `Approved`, `Denied` or `Revoked` event's body: who, and why when they said.
fn actor(email: &str, reason: &str) -> Value {
    let mut actor = json!({"actor": email});
    if !reason.is_empty() {
        actor["reason"] = json!(reason);
    }
    actor
}

/// A grant as an audit entry's `response`: the method's answer, with its `@type`.
pub(super) fn grant_response(grant: &Value) -> Value {
    let mut r = grant.clone();
    r["@type"] = json!("type.googleapis.com/google.cloud.privilegedaccessmanager.v1.Grant");
    r
}

/// `checkOnboardingStatus` (`privilegedaccessmanager.locations.checkOnboardingStatus`): the
/// scope's PAM service agent, and a finding when it lacks the permissions to change the
/// resource's allow policy. The emulator's PAM acts on its own authority, so it reports the
/// agent's IAM permissions as they are in the policies it serves.
pub fn check_onboarding(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.locations.checkOnboardingStatus";
    require(store, caller, &loc.key, permission, &loc.name(), now)?;
    let agent = service_agent(store, &loc.key);
    Ok(json!({"serviceAccount": agent}))
}
