//! Injected faults: latency, conflicts, 429/503 answers and dropped connections, set by flags or
//! by `POST /_emulator/faults`.

use axum::body::Body;
use axum::http::Response;

pub use super::shared::Faults;
use super::wire::{ApiError, Surface};
use super::{Dropped, Req, Shared, lock, log};

/// Consumes one "next N" fault or rolls the dice for a rate.
pub(crate) fn take_fault(shared: &Shared, counter: impl Fn(&mut Faults) -> &mut u32, rate: f64) -> bool {
    let mut f = lock(&shared.faults);
    let n = counter(&mut f);
    if *n > 0 {
        *n -= 1;
        return true;
    }
    rate > 0.0 && rand::random::<f64>() < rate
}

/// Whether this call answers an injected error: none while `error_skip` lets calls through,
/// then the next `error_next`, else by `rate`.
fn take_error(shared: &Shared, rate: f64) -> bool {
    let mut f = lock(&shared.faults);
    if f.error_next > 0 && f.error_skip > 0 {
        f.error_skip -= 1;
        return false;
    }
    drop(f);
    take_fault(shared, |f| &mut f.error_next, rate)
}

impl Faults {
    /// Why these faults cannot be injected, if they cannot: rates are probabilities (0 to 1),
    /// the status is 429 or 503, latency and `Retry-After` at most an hour.
    pub fn check(&self) -> Result<(), String> {
        for (name, p) in [
            ("conflictRate", self.conflict_rate),
            ("errorRate", self.error_rate),
            ("dropRate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("`{name}` must be between 0 and 1, not {p}"));
            }
        }
        if ![0, 429, 503].contains(&self.error_status) {
            return Err(format!("`errorStatus` must be 429 or 503, not {}", self.error_status));
        }
        if self.latency_ms > 3_600_000 {
            return Err(format!("`latencyMs` must be at most 3600000 (an hour), not {}", self.latency_ms));
        }
        if self.retry_after_seconds.is_some_and(|s| s > 3600) {
            return Err("`retryAfterSeconds` must be at most 3600".into());
        }
        Ok(())
    }
}

/// Waits the injected latency (on routes that get no other fault).
pub(crate) async fn delay(shared: &Shared) {
    let latency = lock(&shared.faults).latency_ms;
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
}

/// Injects the faults due on an API call: `Some(answer)` when one replaces the call.
pub(crate) async fn inject(
    shared: &Shared,
    req: &Req,
    surface: Surface,
) -> Option<Result<Response<Body>, Dropped>> {
    let faults = lock(&shared.faults).clone();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    if take_fault(shared, |f| &mut f.drop_next, faults.drop_rate) {
        log(shared, req, 0, None);
        return Some(Err(Dropped));
    }
    if faults.error_path.as_deref().is_none_or(|p| req.path.contains(p))
        && take_error(shared, faults.error_rate)
    {
        let retry = faults.retry_after_seconds.unwrap_or(1);
        let e = if faults.error_status == 429 {
            ApiError::rate_limited(retry)
        } else {
            ApiError::unavailable(retry)
        };
        log(shared, req, e.code, None);
        return Some(Ok(e.response(surface)));
    }
    None
}
