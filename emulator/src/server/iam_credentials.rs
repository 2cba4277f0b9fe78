//! IAM Credentials: `generateAccessToken`, the impersonation call.

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::wire::ApiError;
use super::{Req, Routed, Shared, lock, ok};
use crate::state::{Caller, Kind};

/// IAM Credentials `projects/-/serviceAccounts/EMAIL:generateAccessToken`: impersonation. The caller
/// needs `iam.serviceAccounts.getAccessToken` (roles/iam.serviceAccountTokenCreator) on the account
/// itself (its own allow policy, issue 9), its project or above.
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
    let key = store.find(Kind::ServiceAccount, &format!("projects/-/serviceAccounts/{email}")).map(|f| f.key);
    let allowed = key.is_some_and(|k| store.has_permission(caller, &k, permission, now));
    if !allowed {
        return Err(denied());
    }
    let token = store.issue_token(&format!("serviceAccount:{email}"), wall, lifetime);
    shared.persist(&store)?;
    let expire = token.expire_time.expect("issued tokens expire").to_rfc3339_opts(SecondsFormat::Secs, true);
    ok(json!({"accessToken": token.token, "expireTime": expire}))
}
