//! Privileged Access Manager v1 (issue 21 item 6): entitlements, grants, their long-running
//! operations and the grant's state machine, driven by the emulator's clock. No HTTP: the handlers
//! in `server::pam` call these functions with the caller and the time, and render [`PamError`].
//!
//! Every path, field and enum is PAM's v1 discovery document's, as gcloud's generated client
//! (`generated_clients/apis/privilegedaccessmanager/v1`) carries it; entitlements, grants and
//! operations are kept in exactly their JSON shape on the wire. docs/emulator.md ("Privileged
//! Access Manager") lists each rule with its source.
//!
//! How time moves a grant: [`tick`] runs before every request the emulator serves. A grant that a
//! request left `SCHEDULED` becomes `ACTIVATING` at the next request, and `ACTIVE` (its bindings
//! written) at the one after; an `ACTIVE` grant whose requested duration is over on the clock is
//! `ENDED` and its bindings removed; an `APPROVAL_AWAITED` grant 24 hours old is `EXPIRED`. A
//! long-running operation a request started is done at the next request.

mod clock;
mod common;
mod entitlements;
mod grants;

pub use self::clock::*;
pub use self::common::*;
pub use self::entitlements::*;
pub use self::grants::*;

/// `operations.get`: an operation by name. The emulator lets the caller who started it, and any
/// holder of `privilegedaccessmanager.operations.get` on the scope, read it.
pub fn get_operation(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.operations.get";
    let wanted = canonical_name(store, name);
    let op = store
        .data
        .pam
        .operations
        .iter()
        .find(|o| canonical_name(store, str_of(o, &["name"])) == wanted && wanted.is_some());
    let allowed = store.has_permission(caller, &loc.key, permission, now)
        || op.is_some_and(|o| matches!(caller, Caller::Principal(p) if o["starter"] == json!(p)));
    match op {
        Some(o) if allowed => {
            let mut o = o.clone();
            o.as_object_mut().map(|m| m.remove("starter"));
            Ok(o)
        }
        Some(_) => Err(PamError::denied(permission, name)),
        None if allowed || store.has_permission(caller, &loc.key, permission, now) => {
            Err(PamError::not_found(format!("Operation `{name}` not found.")))
        }
        None => Err(PamError::denied(permission, name)),
    }
}

/// `operations.list` on a location (permission `privilegedaccessmanager.operations.list`).
pub fn list_operations(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    now: DateTime<Utc>,
) -> PamResult<Vec<Value>> {
    let permission = "privilegedaccessmanager.operations.list";
    require(store, caller, &loc.key, permission, &loc.name(), now)?;
    let prefix = format!("{}/locations/{}/operations/", loc.key, loc.location);
    Ok(store
        .data
        .pam
        .operations
        .iter()
        .filter(|o| canonical_name(store, str_of(o, &["name"])).is_some_and(|n| n.starts_with(&prefix)))
        .map(|o| {
            let mut o = o.clone();
            o.as_object_mut().map(|m| m.remove("starter"));
            o
        })
        .collect())
}

/// `operations.delete`: forgets an operation (it does not cancel it).
pub fn delete_operation(
    store: &mut Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    now: DateTime<Utc>,
) -> PamResult<()> {
    let permission = "privilegedaccessmanager.operations.delete";
    require(store, caller, &loc.key, permission, name, now)?;
    let wanted = canonical_name(store, name);
    let before = store.data.pam.operations.len();
    let names: Vec<Option<String>> =
        store.data.pam.operations.iter().map(|o| canonical_name(store, str_of(o, &["name"]))).collect();
    let mut i = 0;
    store.data.pam.operations.retain(|_| {
        let keep = wanted.is_none() || names[i] != wanted;
        i += 1;
        keep
    });
    if store.data.pam.operations.len() == before {
        return Err(PamError::not_found(format!("Operation `{name}` not found.")));
    }
    Ok(())
}

// ---- seed ------------------------------------------------------------------------------------

/// Checks the entitlements a seed or state file brings, as `entitlements.create` would.
pub fn check_seed(store: &Store) -> Result<(), String> {
    for e in &store.data.pam.entitlements {
        let name = str_of(e, &["name"]);
        let parts: Vec<&str> = name.split('/').collect();
        let [coll, id, "locations", loc, "entitlements", eid] = parts.as_slice() else {
            return Err(format!(
                "the entitlement `{name}` is not named SCOPE/locations/global/entitlements/ID"
            ));
        };
        let loc = location(store, &format!("{coll}/{id}"), loc, "")
            .map_err(|e| format!("entitlement `{name}`: {}", e.message))?;
        if !valid_entitlement_id(eid) {
            return Err(format!("entitlement `{name}`: the ID `{eid}` is not valid"));
        }
        check_entitlement(store, &loc, e).map_err(|err| format!("entitlement `{name}`: {}", err.message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_google_writes_them() {
        assert_eq!(parse_duration("3600s"), Some(3_600_000_000_000));
        assert_eq!(parse_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_duration("3600"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("1.0000000001s"), None);
    }

    #[test]
    fn service_agents_are_named_per_scope() {
        let store = Store::new(crate::state::demo_seed());
        assert_eq!(
            service_agent(&store, "projects/jit-demo-prod"),
            "service-100000000001@gcp-sa-pam.iam.gserviceaccount.com"
        );
        assert_eq!(
            service_agent(&store, "folders/234567890123"),
            "service-folder-234567890123@gcp-sa-pam.iam.gserviceaccount.com"
        );
        assert_eq!(
            service_agent(&store, "organizations/123456789012"),
            "service-org-123456789012@gcp-sa-pam.iam.gserviceaccount.com"
        );
    }

    #[test]
    fn entitlement_ids_follow_the_discovery_document() {
        assert!(valid_entitlement_id("prod-debug"));
        assert!(!valid_entitlement_id("abc"));
        assert!(!valid_entitlement_id("1abc"));
        assert!(!valid_entitlement_id("Prod-debug"));
        assert!(!valid_entitlement_id(&"a".repeat(64)));
    }
}
