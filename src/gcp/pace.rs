//! Pacing to Google's rate quotas (issue 22): a run's writes are spread so that they stay within
//! the quota instead of firing at once and collecting a storm of 429s.
//!
//! - **Writes** (`setIamPolicy`) are paced per service (Resource Manager's quota is per quota
//!   project per service: "Up to 10 requests" a second, "Up to 600 requests" a minute,
//!   <https://cloud.google.com/resource-manager/docs/limits>; Secret Manager's write quota is also
//!   600 a minute, <https://cloud.google.com/secret-manager/quotas>). `--writes-per-minute`
//!   changes the rate, 0 turns pacing off.
//! - **Buckets**: one policy write a second per bucket ("Maximum rate of bucket metadata updates
//!   per bucket: One update per second", <https://cloud.google.com/storage/quotas>); a bucket's
//!   writes are not counted against a per-minute quota (Storage publishes none for them).
//! - **Searches**: `searchAllIamPolicies` pages at 400 a minute ("SearchAllIamPolicies: 400 per
//!   minute per consumer project", <https://cloud.google.com/asset-inventory/docs/quota>).
//!
//! Each pace is a token bucket that holds a small burst (a second's worth, at most ten,
//! so a command that writes a few policies never waits) and refills at what is left of the quota
//! after it, a little under: whatever the burst, no minute holds more calls than the quota, even
//! when the answers arrive out of order. A 429 halves the pace and empties the bucket (the
//! `Retry-After`, when Google gives one, is a floor on the next call); each write that lands
//! brings the pace back a little towards the quota.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::iam::ResourceId;

/// Resource Manager's published write quota, a minute per quota project.
pub const DEFAULT_WRITES_PER_MINUTE: u32 = 600;
/// Cloud Asset Inventory's published `searchAllIamPolicies` quota, a minute per quota project.
pub const DEFAULT_SEARCHES_PER_MINUTE: u32 = 400;
/// Cloud Storage's limit of metadata updates a second per bucket.
pub const BUCKET_WRITES_PER_SECOND: u32 = 1;

/// The share of a quota jit aims at, so that answers that reach Google out of order stay inside.
const MARGIN: f64 = 0.98;
/// The most a run slows itself after 429s: a sixteenth of the quota.
const MAX_SLOWDOWN: f64 = 16.0;

/// The rates to pace to; 0 is "not paced".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// Writes a minute per service.
    pub writes_per_minute: u32,
    /// `searchAllIamPolicies` pages a minute.
    pub searches_per_minute: u32,
    /// Writes a second per bucket.
    pub bucket_writes_per_second: u32,
}

impl Settings {
    /// Google's published limits: what the CLI uses unless told otherwise.
    pub fn google() -> Settings {
        Settings {
            writes_per_minute: DEFAULT_WRITES_PER_MINUTE,
            searches_per_minute: DEFAULT_SEARCHES_PER_MINUTE,
            bucket_writes_per_second: BUCKET_WRITES_PER_SECOND,
        }
    }

    /// The line `--verbose` prints about pacing, naming the quota project.
    pub fn describe(&self, quota_project: Option<&str>) -> String {
        let project = match quota_project {
            Some(p) => format!("quota project `{p}`"),
            None => "the credentials' own quota project".to_string(),
        };
        let writes = match self.writes_per_minute {
            0 => "writes not paced".to_string(),
            n => format!("writes paced to {n} a minute per service"),
        };
        let buckets = match self.bucket_writes_per_second {
            0 => String::new(),
            n => format!(", {n} a second per bucket"),
        };
        let searches = match self.searches_per_minute {
            0 => ", searches not paced".to_string(),
            n => format!(", searches to {n} a minute"),
        };
        format!("{writes}{buckets}{searches}, within the quota of {project}")
    }
}

/// One paced stream of calls.
#[derive(Debug)]
struct Lane {
    /// Calls a second at full pace, and the burst the bucket holds.
    rate: f64,
    burst: f64,
    tokens: f64,
    refilled: Instant,
    /// ≥ 1: how much slower than `rate` after 429s.
    slowdown: f64,
    /// No call before this (a `Retry-After`).
    not_before: Instant,
}

impl Lane {
    /// A lane for `limit` calls per `window`.
    fn new(limit: u32, window: Duration, now: Instant) -> Lane {
        let per_second = f64::from(limit) / window.as_secs_f64();
        // A second's worth, at least one, at most ten (Resource Manager's per-second limit), and
        // never more than the window's quota.
        let burst = per_second.clamp(1.0, 10.0).min(f64::from(limit));
        // What the window allows after the burst, a little under: no window ever holds more than
        // `limit` calls.
        let rate = ((f64::from(limit) - burst).max(1.0) / window.as_secs_f64()) * MARGIN;
        Lane { rate, burst, tokens: burst, refilled: now, slowdown: 1.0, not_before: now }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate / self.slowdown).min(self.burst);
        self.refilled = now;
    }

    /// Takes one call's slot: how long to wait before making it. The slot is reserved at once (the
    /// bucket may go below zero), so callers that ask together are spread out, not woken together.
    fn take(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        let wait = if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens * self.slowdown / self.rate)
        };
        wait.max(self.not_before.saturating_duration_since(now))
    }

    /// A 429: half the pace, an empty bucket, and no call before `retry_after`.
    fn throttled(&mut self, now: Instant, retry_after: Option<Duration>) {
        self.refill(now);
        self.slowdown = (self.slowdown * 2.0).min(MAX_SLOWDOWN);
        self.tokens = self.tokens.min(0.0);
        if let Some(d) = retry_after {
            self.not_before = self.not_before.max(now + d);
        }
    }

    /// A call that went through: the pace comes back a little towards the quota.
    fn landed(&mut self) {
        self.slowdown = (self.slowdown * 0.9).max(1.0);
    }
}

/// What a lane paces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// Writes to one service (`cloudresourcemanager.googleapis.com`).
    Service(&'static str),
    /// Writes to one bucket.
    Bucket(String),
    Searches,
}

/// The pacer of one run, shared by every task.
#[derive(Debug)]
pub struct Pacer {
    settings: Settings,
    lanes: Mutex<HashMap<Key, Lane>>,
    /// 429s seen, for the report and `--verbose`.
    throttled: std::sync::atomic::AtomicU64,
}

impl Pacer {
    pub fn new(settings: Settings) -> Pacer {
        Pacer { settings, lanes: Mutex::new(HashMap::new()), throttled: Default::default() }
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// 429s answered so far.
    pub fn throttled_count(&self) -> u64 {
        self.throttled.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn write_key(r: &ResourceId) -> Key {
        let row = super::kinds::row(r.kind);
        if row.paced_per_resource { Key::Bucket(r.id.clone()) } else { Key::Service(row.host) }
    }

    fn limit(&self, key: &Key) -> Option<(u32, Duration)> {
        let (limit, window) = match key {
            Key::Service(_) => (self.settings.writes_per_minute, Duration::from_secs(60)),
            Key::Bucket(_) => (self.settings.bucket_writes_per_second, Duration::from_secs(1)),
            Key::Searches => (self.settings.searches_per_minute, Duration::from_secs(60)),
        };
        (limit > 0).then_some((limit, window))
    }

    fn wait_for(&self, key: Key) -> Duration {
        let Some((limit, window)) = self.limit(&key) else { return Duration::ZERO };
        let now = Instant::now();
        let mut lanes = self.lanes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        lanes.entry(key).or_insert_with(|| Lane::new(limit, window, now)).take(now)
    }

    /// Waits for the slot of a write to `r`.
    pub async fn before_write(&self, r: &ResourceId) {
        sleep(self.wait_for(Pacer::write_key(r))).await;
    }

    /// Waits for the slot of a search page.
    pub async fn before_search(&self) {
        sleep(self.wait_for(Key::Searches)).await;
    }

    /// After a write to `r` answered `result`: a 429 slows the lane, a success speeds it back up.
    pub fn after_write<T>(&self, r: &ResourceId, result: &crate::Result<T>) {
        self.after(Pacer::write_key(r), result);
    }

    pub fn after_search<T>(&self, result: &crate::Result<T>) {
        self.after(Key::Searches, result);
    }

    fn after<T>(&self, key: Key, result: &crate::Result<T>) {
        let throttled = match result {
            Err(Error::Unavailable { status: 429, retry_after, .. }) => Some(*retry_after),
            Err(_) => return,
            Ok(_) => None,
        };
        if throttled.is_some() {
            self.throttled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if self.limit(&key).is_none() {
            return;
        }
        let now = Instant::now();
        let mut lanes = self.lanes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(lane) = lanes.get_mut(&key) else { return };
        match throttled {
            Some(retry_after) => lane.throttled(now, retry_after),
            None => lane.landed(),
        }
    }
}

async fn sleep(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calls a lane lets through in `window` when asked as fast as it allows, by its own
    /// arithmetic (no sleeping): the slot of each call is when its wait ends.
    fn slots(lane: &mut Lane, start: Instant, calls: usize) -> Vec<Duration> {
        (0..calls).map(|_| lane.take(start)).collect()
    }

    #[test]
    fn no_minute_holds_more_writes_than_the_quota() {
        let start = Instant::now();
        let mut lane = Lane::new(600, Duration::from_secs(60), start);
        let at = slots(&mut lane, start, 2000);
        assert_eq!(at.iter().filter(|d| d.is_zero()).count(), 10, "a burst of ten goes at once");
        // Every window of 60 s, from any call on, holds at most 600 calls.
        for (i, t) in at.iter().enumerate() {
            let within = at[i..].iter().take_while(|u| **u < *t + Duration::from_secs(60)).count();
            assert!(within <= 600, "{within} calls in the minute from call {i}");
        }
        // And the pace is close to the quota: 2,000 calls in about 2,000/600 minutes.
        let last = at.last().unwrap().as_secs_f64();
        let per_minute = 1990.0 / (last / 60.0);
        assert!((0.95 * 600.0..=600.0).contains(&per_minute), "{per_minute:.1} a minute");
    }

    #[test]
    fn a_bucket_is_written_once_a_second() {
        let start = Instant::now();
        let mut lane = Lane::new(1, Duration::from_secs(1), start);
        let at = slots(&mut lane, start, 3);
        assert_eq!(at[0], Duration::ZERO);
        assert!(at[1] >= Duration::from_secs(1) && at[2] >= Duration::from_secs(2), "{at:?}");
    }

    #[test]
    fn a_429_halves_the_pace_and_honours_retry_after_then_the_pace_recovers() {
        let start = Instant::now();
        let mut lane = Lane::new(600, Duration::from_secs(60), start);
        lane.tokens = 0.0;
        let before = lane.take(start);
        lane.throttled(start, Some(Duration::from_secs(5)));
        assert_eq!(lane.slowdown, 2.0);
        let after = lane.take(start);
        assert!(after >= Duration::from_secs(5), "Retry-After is a floor: {after:?}");
        assert!(before < Duration::from_millis(200), "{before:?}");
        for _ in 0..20 {
            lane.landed();
        }
        assert_eq!(lane.slowdown, 1.0, "back to the quota after writes that land");
        for _ in 0..10 {
            lane.throttled(start, None);
        }
        assert_eq!(lane.slowdown, MAX_SLOWDOWN);
    }

    #[test]
    fn zero_is_not_paced_and_verbose_names_the_quota_project() {
        let p = Pacer::new(Settings::default());
        let r = ResourceId::project("p-123456").unwrap();
        for _ in 0..1000 {
            assert_eq!(p.wait_for(Pacer::write_key(&r)), Duration::ZERO);
        }
        assert_eq!(
            Settings::google().describe(Some("billing-1")),
            "writes paced to 600 a minute per service, 1 a second per bucket, searches to 400 a minute, within \
             the quota of quota project `billing-1`"
        );
        assert!(Settings::default().describe(None).starts_with("writes not paced"));
    }

    #[test]
    fn a_429_is_counted_and_slows_only_its_lane() {
        let p = Pacer::new(Settings::google());
        let project = ResourceId::project("p-123456").unwrap();
        let _ = p.wait_for(Pacer::write_key(&project));
        let busy: crate::Result<()> = Err(Error::Unavailable {
            resource: "projects/p-123456".into(),
            status: 429,
            message: "Quota exceeded".into(),
            retry_after: None,
        });
        p.after_write(&project, &busy);
        assert_eq!(p.throttled_count(), 1);
        let lanes = p.lanes.lock().unwrap();
        assert_eq!(lanes[&Key::Service("cloudresourcemanager.googleapis.com")].slowdown, 2.0);
        assert_eq!(lanes.len(), 1);
    }
}
