//! The emulator's own routes under `/_emulator/`: the clock, faults, quotas, the asset index, tokens, keys, the request
//! log, the state and a reset. Every input is checked before anything changes: a value the
//! emulator could not serve afterwards (a clock past year 9999, a rate above 1) is a 400 naming
//! the valid range, and the state stays as it was.

use axum::body::Body;
use axum::http::Response;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::asset::AssetIndex;
use super::wire::{self, ApiError, Surface};
use super::{Faults, Req, Shared, lock};
use crate::auth;
use crate::state::model::{format_time, max_time, min_time};
use crate::state::validation::{self, MemberKind};
use crate::state::{Clock, Kind, Store, Token};

pub(crate) fn control(shared: &Shared, req: &Req) -> Response<Body> {
    match control_inner(shared, req) {
        Ok(v) => wire::json_response(200, &v),
        Err(e) => e.response(Surface::V3),
    }
}

/// The valid range of the clock, for error messages.
fn clock_range() -> String {
    format!("{}..{}", format_time(min_time()), format_time(max_time()))
}

fn control_inner(shared: &Shared, req: &Req) -> Result<Value, ApiError> {
    let path = req.path.trim_start_matches("/_emulator").trim_matches('/');
    let body = || req.json();
    let wall = Utc::now();
    match (req.method.as_str(), path) {
        ("GET", "clock") => {
            let store = lock(&shared.store);
            Ok(clock_json(&store, wall))
        }
        ("POST" | "PUT", "clock") => {
            let b = body()?;
            let time = b
                .get("time")
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| ApiError::invalid("clock: `time` must be an RFC 3339 timestamp"))?;
            let frozen = b.get("frozen").and_then(Value::as_bool).unwrap_or(false);
            let clock = clock_at(time, frozen, wall).map_err(ApiError::invalid)?;
            let mut store = lock(&shared.store);
            store.data.clock = Some(clock);
            shared.persist(&store)?;
            Ok(clock_json(&store, wall))
        }
        ("POST", "clock/advance" | "clock:advance") => {
            let b = body()?;
            let seconds = b
                .get("seconds")
                .and_then(as_i64)
                .ok_or_else(|| ApiError::invalid("clock: `seconds` must be a whole number of seconds"))?;
            let mut store = lock(&shared.store);
            let now = store.now(wall);
            // The furthest the clock may move either way from where it is now.
            let back = (now - min_time()).num_seconds();
            let ahead = (max_time() - now).num_seconds();
            if !(-back..=ahead).contains(&seconds) {
                return Err(ApiError::invalid(format!(
                    "clock: `seconds` must be between -{back} and {ahead}: the clock stays within {}, the times CEL \
                     can represent",
                    clock_range()
                )));
            }
            let target = now + TimeDelta::seconds(seconds);
            let frozen = store.data.clock.as_ref().is_some_and(|c| c.frozen_at.is_some());
            store.data.clock = Some(clock_at(target, frozen, wall).map_err(ApiError::invalid)?);
            shared.persist(&store)?;
            Ok(clock_json(&store, wall))
        }
        ("POST", "reset") => {
            let mut store = lock(&shared.store);
            store.reset(shared.initial.clone());
            shared.persist(&store)?;
            lock(&shared.log).clear();
            Ok(json!({}))
        }
        ("GET", "requests") => Ok(serde_json::to_value(lock(&shared.log).entries.iter().collect::<Vec<_>>())
            .expect("log serialises")),
        ("DELETE", "requests") => {
            lock(&shared.log).clear();
            Ok(json!({}))
        }
        ("GET", "asset") => {
            Ok(serde_json::to_value(lock(&shared.asset).clone()).expect("the index serialises"))
        }
        ("POST" | "PUT", "asset") => {
            let index: AssetIndex =
                serde_json::from_value(body()?).map_err(|e| ApiError::invalid(format!("asset: {e}")))?;
            index.check().map_err(|e| ApiError::invalid(format!("asset: {e}")))?;
            *lock(&shared.asset) = index.clone();
            Ok(serde_json::to_value(index).expect("the index serialises"))
        }
        (_, "quotas") => super::quota::control(shared, req),
        ("GET", "faults") => {
            Ok(serde_json::to_value(lock(&shared.faults).clone()).expect("faults serialise"))
        }
        // POST changes the faults it names and keeps the others (issue 12 item 10: one fault
        // posted used to reset every other); PUT replaces them all; DELETE clears them.
        ("POST" | "PUT", "faults") => {
            let given = body()?;
            let mut faults = lock(&shared.faults);
            let merged = if req.method.as_str() == "POST" {
                let mut current = serde_json::to_value(faults.clone()).expect("faults serialise");
                let (Some(into), Some(from)) = (current.as_object_mut(), given.as_object()) else {
                    return Err(ApiError::invalid("faults: expected a JSON object"));
                };
                for (key, value) in from {
                    if !into.contains_key(key) {
                        let known: Vec<&str> = into.keys().map(String::as_str).collect();
                        return Err(ApiError::invalid(format!(
                            "faults: unknown field `{key}`, expected one of {}",
                            known.join(", ")
                        )));
                    }
                    into.insert(key.clone(), value.clone());
                }
                current
            } else {
                given
            };
            let f: Faults =
                serde_json::from_value(merged).map_err(|e| ApiError::invalid(format!("faults: {e}")))?;
            f.check().map_err(|e| ApiError::invalid(format!("faults: {e}")))?;
            *faults = f.clone();
            Ok(serde_json::to_value(f).expect("faults serialise"))
        }
        ("DELETE", "faults") => {
            *lock(&shared.faults) = Faults::default();
            Ok(serde_json::to_value(Faults::default()).expect("faults serialise"))
        }
        ("POST", "tokens") => {
            let t: Token =
                serde_json::from_value(body()?).map_err(|e| ApiError::invalid(format!("tokens: {e}")))?;
            if t.token.is_empty() || t.token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ApiError::invalid(
                    "tokens: `token` must be non-empty, without spaces or controls",
                ));
            }
            if validation::member_kind(&t.principal) != Some(MemberKind::Email) {
                return Err(ApiError::invalid(
                    "tokens: `principal` must be user:EMAIL, group:EMAIL or serviceAccount:EMAIL",
                ));
            }
            let mut store = lock(&shared.store);
            store.add_token(t.clone());
            shared.persist(&store)?;
            Ok(serde_json::to_value(t).expect("tokens serialise"))
        }
        ("GET", "state") => Ok(serde_json::to_value(&lock(&shared.store).data).expect("state serialises")),
        ("GET", "policy") => {
            let resource = req.query_param("resource").unwrap_or_default();
            let store = lock(&shared.store);
            if Kind::of_key(&resource).is_none() {
                return Err(ApiError::invalid(
                    "policy: `resource` is projects/ID, folders/N, organizations/N or a resource's full name \
                     (projects/_/buckets/B, projects/ID/secrets/S, …)",
                ));
            }
            let found = store.find_key(&resource).ok_or_else(|| {
                ApiError::new(404, "NOT_FOUND", "notFound", format!("no resource {resource}"))
            })?;
            Ok(super::resource_manager::policy_json(&store.stored(&found.key), false))
        }
        ("POST", "keys") => {
            let b = body()?;
            let email = b
                .get("serviceAccount")
                .and_then(Value::as_str)
                .filter(|e| {
                    validation::member_kind(&format!("serviceAccount:{e}")) == Some(MemberKind::Email)
                })
                .ok_or_else(|| ApiError::invalid("keys: `serviceAccount` (an email) is required"))?
                .to_string();
            let (file, key) = auth::new_key(&email, &format!("{}/token", shared.url))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let mut store = lock(&shared.store);
            store.add_service_account_key(&email, key);
            shared.persist(&store)?;
            Ok(file)
        }
        _ => Err(ApiError::new(
            404,
            "NOT_FOUND",
            "notFound",
            format!("no control route {} {}", req.method, req.path),
        )),
    }
}

/// Numbers arrive as JSON numbers or as strings.
fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// A clock that shows `time` now (ticking from there, or frozen); refused outside the times CEL
/// can represent.
pub fn clock_at(time: DateTime<Utc>, frozen: bool, wall: DateTime<Utc>) -> Result<Clock, String> {
    if !(min_time()..=max_time()).contains(&time) {
        return Err(format!(
            "clock: `{}` is outside {}, the times CEL can represent",
            format_time(time),
            clock_range()
        ));
    }
    Ok(if frozen {
        Clock { offset_seconds: 0, frozen_at: Some(time) }
    } else {
        Clock { offset_seconds: (time - wall).num_seconds(), frozen_at: None }
    })
}

fn clock_json(store: &Store, wall: DateTime<Utc>) -> Value {
    let clock = store.data.clock.clone().unwrap_or_default();
    json!({
        "time": format_time(store.now(wall)),
        "frozen": clock.frozen_at.is_some(),
        "offsetSeconds": clock.offset_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn clocks_outside_cel_are_refused() {
        let wall = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        assert_eq!(
            clock_at(max_time(), true, wall),
            Ok(Clock { offset_seconds: 0, frozen_at: Some(max_time()) })
        );
        let late = max_time() + TimeDelta::seconds(1);
        assert_eq!(
            clock_at(late, false, wall),
            Err("clock: `+10000-01-01T00:00:00Z` is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z, the times \
                 CEL can represent"
                .to_string())
        );
    }
}
