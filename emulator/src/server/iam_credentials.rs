//! IAM Credentials: `generateAccessToken`, the impersonation call.

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::wire::ApiError;
use super::{Req, Routed, Shared, lock, ok};
use crate::state::{Caller, Kind};

/// IAM Credentials `projects/-/serviceAccounts/EMAIL:generateAccessToken`: impersonation. The caller
/// needs `iam.serviceAccounts.getAccessToken` (roles/iam.serviceAccountTokenCreator) on the account
/// itself (its own allow policy, issue 9), its project or above. With `delegates` (a delegation
/// chain, `projects/-/serviceAccounts/EMAIL` each), the caller needs it on the first delegate,
/// each delegate on the next, and the last on the account itself; any broken link is the same
/// 403 (<https://cloud.google.com/iam/docs/create-short-lived-credentials-delegated>: "each
/// service account must be granted the roles/iam.serviceAccountTokenCreator role on its next
/// service account in the chain").
pub(crate) fn generate_access_token(
    shared: &Shared,
    caller: &Caller,
    email: &str,
    req: &Req,
) -> Result<Routed, ApiError> {
    let body = req.json()?;
    let lifetime = body
        .get("lifetime")
        .and_then(Value::as_str)
        .and_then(|s| s.trim_end_matches('s').parse::<f64>().ok())
        .map(|s| s as i64)
        .unwrap_or(3600);
    if !(1..=43200).contains(&lifetime) {
        return Err(ApiError::invalid(format!("Invalid lifetime: {lifetime}s")));
    }
    let wall = Utc::now();
    let mut store = lock(&shared.store);
    let now = store.now(wall);
    let permission = "iam.serviceAccounts.getAccessToken";
    let denied = || ApiError::iam_denied(permission);
    let mut chain: Vec<String> = Vec::new();
    if let Some(delegates) = body.get("delegates").filter(|d| !d.is_null()) {
        let Some(delegates) = delegates.as_array() else {
            return Err(ApiError::invalid("Invalid value at 'delegates': a list of strings is expected"));
        };
        for d in delegates {
            let name = d.as_str().unwrap_or_default();
            match name.strip_prefix("projects/-/serviceAccounts/").filter(|e| e.contains('@')) {
                Some(e) => chain.push(e.to_string()),
                None => {
                    return Err(ApiError::invalid(format!(
                        "Invalid form of delegates: {name}; expected projects/-/serviceAccounts/ACCOUNT"
                    )));
                }
            }
        }
    }
    chain.push(email.to_string());
    // Each link: who asks (the caller, then each delegate in turn) for a token of the next.
    let mut asking = caller.clone();
    for account in &chain {
        let key =
            store.find(Kind::ServiceAccount, &format!("projects/-/serviceAccounts/{account}")).map(|f| f.key);
        let allowed = key.is_some_and(|k| store.has_permission(&asking, &k, permission, now));
        if !allowed {
            return Err(denied());
        }
        if *caller != Caller::Anyone {
            asking = Caller::Principal(format!("serviceAccount:{account}"));
        }
    }
    let token = store.issue_token(&format!("serviceAccount:{email}"), wall, lifetime);
    shared.persist(&store)?;
    let expire = token.expire_time.expect("issued tokens expire").to_rfc3339_opts(SecondsFormat::Secs, true);
    ok(json!({"accessToken": token.token, "expireTime": expire}))
}
