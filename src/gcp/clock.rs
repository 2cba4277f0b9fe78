//! Google's clock, as the `Date` header of its answers tells it (issue 17 item 3).
//!
//! Google evaluates `request.time` by its own clock, not this machine's. A machine whose clock
//! runs ahead would see a grant as ended while Google still honours it, and `jit cleanup` would
//! remove live access; a grant computed from a wrong clock is longer or shorter by Google's than
//! what was asked. Every answer of Google's carries a `Date` (RFC 9110 §6.6.1: an origin server
//! with a clock "MUST send a Date header field" in its 2xx, 3xx and 4xx answers), in whole
//! seconds; jit keeps the last one with this machine's time of arrival, and compares.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use reqwest::header::{DATE, HeaderMap};

/// How far this machine's clock may run ahead of Google's before expiry is judged by Google's:
/// a `Date` is truncated to the second and read after the answer's trip, so a clock in step
/// shows up to about a second ahead.
pub const MARGIN: Duration = Duration::seconds(2);

/// Beyond this difference either way, a grant and a cleanup say so on stderr.
pub const WARN_OVER: Duration = Duration::seconds(60);

/// The last `Date` an answer carried, and this machine's time when it arrived.
#[derive(Debug, Default)]
pub struct ServerClock {
    seen: Mutex<Option<(DateTime<Utc>, DateTime<Utc>)>>,
}

impl ServerClock {
    /// Notes the `Date` of an answer that arrived now (nothing when it has none, or one that is
    /// not an HTTP date).
    pub fn observe(&self, headers: &HeaderMap) {
        self.observe_at(headers, Utc::now());
    }

    pub fn observe_at(&self, headers: &HeaderMap, local: DateTime<Utc>) {
        if let Some(server) = date(headers) {
            *self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((server, local));
        }
    }

    /// How far this machine's clock is ahead of Google's (negative: behind), by the last answer
    /// that carried a `Date`; `None` before any did.
    pub fn skew(&self) -> Option<Duration> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .map(|(server, local)| local - server)
    }
}

/// The `Date` of an answer: an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7),
/// which RFC 2822's parser reads.
pub fn date(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let text = headers.get(DATE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(text.trim()).ok().map(|t| t.with_timezone(&Utc))
}

/// The instant to judge expiry by when this machine's clock reads `local`: Google's time then,
/// when this machine is ahead of it by more than [`MARGIN`]; else `local` (a clock behind
/// Google's removes less, never more).
pub fn judge(local: DateTime<Utc>, skew: Option<Duration>) -> DateTime<Utc> {
    match skew {
        Some(s) if s > MARGIN => local - s,
        _ => local,
    }
}

/// A length in words, to the minute: a skew is measured to about a second, and a message
/// reads better without the seconds.
fn minutes(d: Duration) -> String {
    crate::timespec::words(Duration::minutes((d.num_seconds() + 30).div_euclid(60)))
}

/// "2h 5m ahead of" / "3m behind": the skew in words.
fn words(skew: Duration) -> String {
    let (d, how) = if skew < Duration::zero() { (-skew, "behind") } else { (skew, "ahead of") };
    format!("{} {how}", minutes(d))
}

/// The warning of a cleanup whose clock differs from Google's by more than [`WARN_OVER`].
pub fn cleanup_warning(skew: Option<Duration>) -> Option<String> {
    let s = skew.filter(|s| s.abs() > WARN_OVER)?;
    let then = if s > Duration::zero() {
        "expiry was judged by Google's clock, so nothing Google still honours was removed"
    } else {
        "expiry was judged by this machine's clock: bindings that ended by Google's clock may stay until a later run"
    };
    Some(format!("this machine's clock is {} Google's (the `Date` of its answers); {then}", words(s)))
}

/// The warning of a grant of `start..end` (computed from this machine's clock at `now`) when that
/// clock differs from Google's by more than [`WARN_OVER`]: by Google's clock, a window that
/// starts now lasts the asked length plus the skew, and the maximum was checked on this
/// machine's reading.
pub fn grant_warning(
    skew: Option<Duration>,
    start: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<String> {
    let s = skew.filter(|s| s.abs() > WARN_OVER)?;
    let asked = crate::edit::remaining(start, end, now);
    let google = crate::edit::remaining(start, end, now - s);
    let what = if asked == google {
        "the grant's times stand as given, and Google reaches them that much later or sooner than this machine \
         expects"
            .to_string()
    } else {
        format!(
            "by Google's clock this grant lasts {}, not {}, and the maximum was checked on this machine's reading",
            minutes(google.max(Duration::zero())),
            minutes(asked)
        )
    };
    Some(format!(
        "this machine's clock is {} Google's (the `Date` of its answers): {what}; set the clock right (NTP)",
        words(s)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        crate::condition::parse_timestamp(s).unwrap()
    }

    fn headers(date: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(DATE, date.parse().unwrap());
        h
    }

    #[test]
    fn the_date_of_an_answer_gives_the_skew() {
        let clock = ServerClock::default();
        assert_eq!(clock.skew(), None);
        assert_eq!(words(Duration::seconds(7_229)), "2h ahead of", "to the minute");
        clock.observe_at(&HeaderMap::new(), t("2026-11-25T14:00:00Z"));
        assert_eq!(clock.skew(), None, "no Date, no skew");
        clock.observe_at(&headers("not a date"), t("2026-11-25T14:00:00Z"));
        assert_eq!(clock.skew(), None);
        clock.observe_at(&headers("Wed, 25 Nov 2026 12:00:00 GMT"), t("2026-11-25T14:00:00.400Z"));
        assert_eq!(clock.skew(), Some(Duration::hours(2) + Duration::milliseconds(400)));
        clock.observe_at(&headers("Wed, 25 Nov 2026 12:00:30 GMT"), t("2026-11-25T12:00:00Z"));
        assert_eq!(clock.skew(), Some(Duration::seconds(-30)), "the last answer counts");
    }

    #[test]
    fn expiry_is_judged_by_google_s_clock_when_this_one_is_ahead() {
        let local = t("2026-11-25T14:00:00Z");
        assert_eq!(judge(local, None), local);
        assert_eq!(judge(local, Some(Duration::seconds(1))), local, "within the margin");
        assert_eq!(judge(local, Some(Duration::hours(-2))), local, "behind: this clock removes less");
        assert_eq!(judge(local, Some(Duration::hours(2))), t("2026-11-25T12:00:00Z"));
    }

    #[test]
    fn warnings_name_the_skew_over_a_minute() {
        assert_eq!(cleanup_warning(Some(Duration::seconds(59))), None);
        assert_eq!(
            cleanup_warning(Some(Duration::hours(2))).unwrap(),
            "this machine's clock is 2h ahead of Google's (the `Date` of its answers); expiry was judged by Google's \
             clock, so nothing Google still honours was removed"
        );
        assert!(
            cleanup_warning(Some(Duration::minutes(-5)))
                .unwrap()
                .starts_with("this machine's clock is 5m behind Google's")
        );
        let now = t("2026-11-25T14:00:00Z");
        let hour = now + Duration::hours(1);
        assert_eq!(grant_warning(None, None, hour, now), None);
        assert_eq!(grant_warning(Some(Duration::seconds(-60)), None, hour, now), None);
        assert_eq!(
            grant_warning(Some(Duration::hours(2)), None, hour, now).unwrap(),
            "this machine's clock is 2h ahead of Google's (the `Date` of its answers): by Google's clock this grant \
             lasts 3h, not 1h, and the maximum was checked on this machine's reading; set the clock right (NTP)"
        );
        assert!(grant_warning(Some(Duration::minutes(-30)), None, hour, now).unwrap().contains(
            "30m behind Google's (the `Date` of its answers): by Google's clock this grant lasts 30m, not 1h"
        ),);
        let later = Some(now + Duration::hours(5));
        assert!(
            grant_warning(Some(Duration::hours(2)), later, hour + Duration::hours(5), now)
                .unwrap()
                .contains("the grant's times stand as given"),
        );
    }
}
