//! Google's rate quotas (issue 22), off by default, set by `jit emulator --quota-…` flags or by
//! `POST /_emulator/quotas`: writes (`setIamPolicy`) a minute per quota project per service, one
//! metadata update a second per bucket, and `searchAllIamPolicies` calls a minute per quota
//! project. Over quota a call is answered as Google answers it, without being served:
//!
//! - **Resource Manager, Secret Manager, IAM, Cloud KMS, Cloud Run and Cloud Asset** (the
//!   googleapis.com front end): `429 RESOURCE_EXHAUSTED`, "Quota exceeded for quota metric 'Write
//!   requests' and limit 'Write requests per minute' of service 'S' for consumer
//!   'project_number:N'.", with an `ErrorInfo` (reason `RATE_LIMIT_EXCEEDED`, domain
//!   `googleapis.com`, metadata `consumer`, `service`, `quota_metric`, `quota_limit`,
//!   `quota_limit_value`, `quota_location`) and a `Help` link — the shape of a captured Resource
//!   Manager answer (<https://gist.github.com/danjamesmay/ce3e049831e6f6bb323964717d9f02b6>) and of
//!   the `RATE_LIMIT_EXCEEDED` example in google/api/error_reason.proto. The v1/v2 surface adds its
//!   `errors[]` item (`domain: global`, `reason: rateLimitExceeded`) as for every other error.
//!   No `Retry-After`: the captured answer has none (a per-minute quota refills continuously).
//! - **Cloud Storage** (its JSON API's own shape): `429` with `errors[]` of domain `usageLimits`,
//!   reason `rateLimitExceeded`, no `status` and no `details`, as Storage answers its other rate
//!   limits (<https://github.com/googleapis/google-cloud-python/pull/2161>: "The project exceeded
//!   the rate limit for creating and deleting buckets."). The limit itself: "Maximum rate of
//!   bucket metadata updates per bucket: One update per second"
//!   (<https://cloud.google.com/storage/quotas>); an IAM policy is bucket metadata.
//!
//! The windows run on the emulator's clock, so a test can use up a quota and then move the clock
//! a minute on instead of waiting for it. A call refused over quota is not counted (Google's
//! quota server charges only the calls it admits).

use axum::body::Body;
use axum::http::Response;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::shared::Metric;
pub use super::shared::{Meter, Quotas};
use super::wire::{self, ApiError, Surface};
use super::{Req, Shared, lock};
use crate::state::Kind;

impl Meter {
    pub fn new(quotas: Quotas) -> Meter {
        Meter { quotas, ..Meter::default() }
    }

    /// Sets new quotas and forgets every window.
    pub fn set(&mut self, quotas: Quotas) {
        *self = Meter::new(quotas);
    }

    /// Admits one call at `now` into the window of `(metric, key)` of `limit` calls per `window`,
    /// or refuses it. The window is half-open, `(now - window, now]`: calls spaced exactly
    /// `window / limit` apart are all admitted. A clock moved back drops the times after it.
    fn admit(
        &mut self,
        metric: Metric,
        key: &str,
        limit: u32,
        window: TimeDelta,
        now: DateTime<Utc>,
    ) -> bool {
        let log = self.windows.entry((metric, key.to_string())).or_default();
        while log.front().is_some_and(|t| *t <= now - window) {
            log.pop_front();
        }
        while log.back().is_some_and(|t| *t > now) {
            log.pop_back();
        }
        if log.len() >= limit as usize {
            *self.refused.entry(metric).or_default() += 1;
            return false;
        }
        log.push_back(now);
        true
    }

    /// Calls refused over quota since the quotas were last set.
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }

    fn json(&self) -> Value {
        let mut v = serde_json::to_value(self.quotas).expect("quotas serialise");
        let refused: serde_json::Map<String, Value> =
            [Metric::Writes, Metric::BucketUpdates, Metric::Searches]
                .iter()
                .map(|m| (m.name().to_string(), json!(self.refused.get(m).copied().unwrap_or(0))))
                .collect();
        v["refused"] = Value::Object(refused);
        v
    }
}

/// What a call costs, by its route: `Some((metric, key, service))` for the calls a quota counts.
fn metric_of(req: &Req, segments: &[&str], verb: Option<&str>) -> Option<(Metric, String, &'static str)> {
    match (req.method.as_str(), segments, verb) {
        ("PUT", ["storage", "v1", "b", bucket, "iam"], None) => {
            Some((Metric::BucketUpdates, (*bucket).to_string(), "storage.googleapis.com"))
        }
        ("GET", ["v1", _, _], Some("searchAllIamPolicies")) => {
            Some((Metric::Searches, String::new(), "cloudasset.googleapis.com"))
        }
        ("POST", [_, rest @ ..], Some("setIamPolicy")) => {
            let kind = match rest {
                ["projects" | "folders" | "organizations", _] => Kind::Project,
                _ => super::service_kind(rest)?,
            };
            Some((Metric::Writes, String::new(), wire::service_host(kind)))
        }
        _ => None,
    }
}

/// The hook: `Some(answer)` when the call is over one of the quotas (the call is then not
/// served), `None` when it may go on. Called once the caller is known, as Google checks quota
/// after authentication.
pub(crate) fn over_quota(
    shared: &Shared,
    req: &Req,
    segments: &[&str],
    verb: Option<&str>,
) -> Option<Response<Body>> {
    let quotas = lock(&shared.quota).quotas;
    if !quotas.enforced() {
        return None;
    }
    let (metric, key, service) = metric_of(req, segments, verb)?;
    let (limit, window) = match metric {
        Metric::Writes => (quotas.writes_per_minute, TimeDelta::minutes(1)),
        Metric::BucketUpdates => (quotas.bucket_updates_per_second, TimeDelta::seconds(1)),
        Metric::Searches => (quotas.searches_per_minute, TimeDelta::minutes(1)),
    };
    if limit == 0 {
        return None;
    }
    let (consumer, now) = {
        let store = lock(&shared.store);
        (consumer(&store, req), store.now(Utc::now()))
    };
    let key = match metric {
        Metric::BucketUpdates => key,
        _ => format!("{consumer} {service}"),
    };
    if lock(&shared.quota).admit(metric, &key, limit, window, now) {
        return None;
    }
    Some(match metric {
        Metric::BucketUpdates => storage_rate_limited(&key),
        Metric::Writes => quota_exceeded(
            ("Write requests", "Write requests per minute"),
            &format!("{service}/write_requests"),
            "WriteRequestsPerMinutePerProject",
            service,
            &consumer,
            limit,
        )
        .response(if req.path.starts_with("/v3/") { Surface::V3 } else { Surface::V1 }),
        Metric::Searches => quota_exceeded(
            ("SearchAllIamPolicies requests", "SearchAllIamPolicies requests per minute"),
            "cloudasset.googleapis.com/search_all_iam_policies_requests",
            "SearchAllIamPoliciesRequestsPerMinutePerProject",
            service,
            &consumer,
            limit,
        )
        .response(Surface::V1),
    })
}

/// The project number whose quota a call uses: the `x-goog-user-project` header's project (by
/// ID or number; one the emulator does not hold is named as sent), else `0`: without the header
/// Google bills the project of the credentials' OAuth client, which the emulator does not have.
fn consumer(store: &crate::state::Store, req: &Req) -> String {
    let header = req.headers.get("x-goog-user-project").and_then(|v| v.to_str().ok()).map(str::trim);
    match header.filter(|h| !h.is_empty()) {
        Some(p) => store.project(p).map(|p| p.project_number.clone()).unwrap_or_else(|| p.to_string()),
        None => "0".to_string(),
    }
}

/// The googleapis.com front end's 429 for a rate quota.
fn quota_exceeded(
    (metric_name, limit_name): (&str, &str),
    metric: &str,
    limit_id: &str,
    service: &str,
    consumer: &str,
    limit: u32,
) -> ApiError {
    let mut e = ApiError::new(
        429,
        "RESOURCE_EXHAUSTED",
        "rateLimitExceeded",
        format!(
            "Quota exceeded for quota metric '{metric_name}' and limit '{limit_name}' of service '{service}' for \
             consumer 'project_number:{consumer}'."
        ),
    );
    e.details.push(json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {
            "consumer": format!("projects/{consumer}"),
            "service": service,
            "quota_location": "global",
            "quota_metric": metric,
            "quota_limit_value": limit.to_string(),
            "quota_limit": limit_id,
        }
    }));
    e.details.push(json!({
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [{
            "description": "Request a higher quota limit.",
            "url": "https://cloud.google.com/docs/quotas/help/request_increase"
        }]
    }));
    e
}

/// Cloud Storage's 429 for a bucket's metadata updated too often.
fn storage_rate_limited(bucket: &str) -> Response<Body> {
    let message = format!(
        "The bucket {bucket} exceeded the rate limit for metadata updates (one update per second). Please reduce \
         your request rate."
    );
    wire::json_response(
        429,
        &json!({"error": {
            "code": 429,
            "message": message,
            "errors": [{"message": message, "domain": "usageLimits", "reason": "rateLimitExceeded"}]
        }}),
    )
}

/// `GET|POST|PUT|DELETE /_emulator/quotas`: the quotas and the calls refused. POST changes the
/// quotas it names, PUT replaces them all, DELETE turns them off; each resets the windows.
pub(crate) fn control(shared: &Shared, req: &Req) -> Result<Value, ApiError> {
    let mut meter = lock(&shared.quota);
    let quotas = match req.method.as_str() {
        "GET" => return Ok(meter.json()),
        "DELETE" => Quotas::default(),
        "POST" | "PUT" => {
            let given = req.json()?;
            let Some(fields) = given.as_object() else {
                return Err(ApiError::invalid("quotas: expected a JSON object"));
            };
            let mut merged = if req.method.as_str() == "POST" {
                serde_json::to_value(meter.quotas).expect("quotas serialise")
            } else {
                json!({})
            };
            for (k, v) in fields {
                merged[k] = v.clone();
            }
            let q: Quotas =
                serde_json::from_value(merged).map_err(|e| ApiError::invalid(format!("quotas: {e}")))?;
            q.check().map_err(|e| ApiError::invalid(format!("quotas: {e}")))?;
            q
        }
        _ => {
            return Err(ApiError::new(
                404,
                "NOT_FOUND",
                "notFound",
                format!("no control route {} {}", req.method, req.path),
            ));
        }
    };
    meter.set(quotas);
    Ok(meter.json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_window_admits_its_limit_then_refills_as_calls_age_out() {
        let mut m = Meter::new(Quotas { writes_per_minute: 3, ..Quotas::default() });
        let t0 = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let minute = TimeDelta::minutes(1);
        let at = |s: i64| t0 + TimeDelta::seconds(s);
        assert!(m.admit(Metric::Writes, "p", 3, minute, at(0)));
        assert!(m.admit(Metric::Writes, "p", 3, minute, at(20)));
        assert!(m.admit(Metric::Writes, "p", 3, minute, at(40)));
        assert!(!m.admit(Metric::Writes, "p", 3, minute, at(59)), "a fourth within the minute");
        assert!(m.admit(Metric::Writes, "other", 3, minute, at(59)), "another key has its own window");
        // Spaced exactly a third of a minute apart: the call of second 0 leaves at second 60.
        assert!(m.admit(Metric::Writes, "p", 3, minute, at(60)));
        assert!(!m.admit(Metric::Writes, "p", 3, minute, at(61)));
        assert_eq!(m.refused[&Metric::Writes], 2);
        // A clock moved back forgets the calls after it.
        assert!(m.admit(Metric::Writes, "p", 3, minute, at(30)));
    }

    #[test]
    fn quotas_past_the_maximum_are_refused() {
        assert!(Quotas { searches_per_minute: Quotas::MAX + 1, ..Quotas::default() }.check().is_err());
        assert!(Quotas { searches_per_minute: Quotas::MAX, ..Quotas::default() }.check().is_ok());
        assert!(!Quotas::default().enforced());
    }

    #[test]
    fn the_429_carries_googles_error_info() {
        let e = quota_exceeded(
            ("Write requests", "Write requests per minute"),
            "cloudresourcemanager.googleapis.com/write_requests",
            "WriteRequestsPerMinutePerProject",
            "cloudresourcemanager.googleapis.com",
            "100000000001",
            600,
        );
        let body = e.body(Surface::V3);
        assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
        assert_eq!(body["error"]["details"][0]["reason"], "RATE_LIMIT_EXCEEDED");
        assert_eq!(body["error"]["details"][0]["metadata"]["quota_limit_value"], "600");
        assert_eq!(body["error"]["details"][0]["metadata"]["consumer"], "projects/100000000001");
        assert_eq!(
            body["error"]["message"],
            "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service \
             'cloudresourcemanager.googleapis.com' for consumer 'project_number:100000000001'."
        );
        assert!(e.retry_after.is_none());
    }
}
