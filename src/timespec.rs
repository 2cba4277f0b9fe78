//! Durations and times as users type them, and remaining time in words.
//!
//! Pure: `now` and the local time zone are arguments. jit uses chrono for its own code because the
//! `cel` crate it evaluates conditions with speaks chrono (`Value::Timestamp` is a
//! `chrono::DateTime`), so one date-time library serves both; the few duration forms jit accepts
//! are parsed here in a few dozen lines.

use chrono::{DateTime, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::condition::{CEL_EARLIEST, CEL_LATEST, format_timestamp, in_cel_range};
use crate::error::Error;

/// The longest grant jit makes unless configured otherwise.
pub const DEFAULT_MAX: Duration = Duration::hours(12);

/// Parses `90m`, `2h`, `1h30m`, `1d`, `45s`, `1d2h` and ISO 8601 `PT2H`, `P1D`, `PT1H30M`,
/// `P1DT2H`. Zero and negative durations are refused.
pub fn parse_duration(text: &str) -> Result<Duration, Error> {
    let s = text.trim();
    let bad = || {
        Error::usage_hint(
            format!("`{text}` is not a duration"),
            "use a number and a unit, like `90m`, `2h`, `1h30m` or `1d`, or ISO 8601 like `PT2H`",
        )
    };
    if s.is_empty() {
        return Err(Error::usage_hint("the duration is empty", "give a positive duration, like `2h`"));
    }
    // `units` reads at most 9 digits per number (so that no sum overflows); a longer number is a
    // duration too long to mean anything here, not a malformed one.
    if s.split(|c: char| !c.is_ascii_digit()).any(|digits| digits.len() > 9) {
        return Err(Error::usage_hint(
            format!("the duration `{text}` is too long: jit reads at most 9 digits per number"),
            "give a duration like `2h` or `30d`",
        ));
    }
    if s.starts_with('-') {
        return Err(Error::usage_hint(
            format!("the duration `{text}` is negative"),
            "give a positive duration, like `2h`",
        ));
    }
    let total = if let Some(iso) = s.strip_prefix('P').or_else(|| s.strip_prefix('p')) {
        let (date, time) = match iso.find(['T', 't']) {
            Some(i) => (&iso[..i], Some(&iso[i + 1..])),
            None => (iso, None),
        };
        if date.is_empty() && time.is_none_or(str::is_empty) {
            return Err(bad());
        }
        let mut total = units(date, &[('d', 86_400), ('w', 7 * 86_400)]).ok_or_else(bad)?;
        if let Some(time) = time {
            if time.is_empty() {
                return Err(bad());
            }
            total += units(time, &[('h', 3600), ('m', 60), ('s', 1)]).ok_or_else(bad)?;
        }
        total
    } else {
        units(s, &[('d', 86_400), ('h', 3600), ('m', 60), ('s', 1)]).ok_or_else(bad)?
    };
    if total == 0 {
        return Err(Error::usage_hint(
            format!("the duration `{text}` is zero"),
            "give a positive duration, like `2h`",
        ));
    }
    Ok(Duration::seconds(total))
}

/// Sums `<number><unit>` groups; units must each appear at most once and in the given order.
fn units(s: &str, allowed: &[(char, i64)]) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let mut total: i64 = 0;
    let mut next_unit = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = c.to_ascii_lowercase();
        let pos = allowed.iter().position(|(u, _)| *u == unit)?;
        if digits.is_empty() || digits.len() > 9 || pos < next_unit {
            return None;
        }
        total = total.checked_add(digits.parse::<i64>().ok()?.checked_mul(allowed[pos].1)?)?;
        next_unit = pos + 1;
        digits.clear();
    }
    digits.is_empty().then_some(total)
}

/// Parses an RFC 3339 time with an offset, or `HH:MM` meaning the next such wall-clock time in
/// `tz` after `now`.
pub fn parse_time<Tz: TimeZone>(text: &str, now: DateTime<Utc>, tz: &Tz) -> Result<DateTime<Utc>, Error> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(hm) = NaiveTime::parse_from_str(s, "%H:%M") {
        let today = now.with_timezone(tz).date_naive();
        let instants = |local: NaiveDateTime| match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
            LocalResult::Ambiguous(a, b) => vec![a.with_timezone(&Utc), b.with_timezone(&Utc)],
            // A wall-clock time skipped by a daylight-saving change.
            LocalResult::None => Vec::new(),
        };
        if let Some(t) = next_wall_clock(hm, today, now, instants) {
            return Ok(t);
        }
    }
    Err(Error::usage_hint(
        format!("`{text}` is not a time"),
        "use RFC 3339 with an offset, like `2026-11-25T18:00:00Z`, or a local `HH:MM` like `18:30`",
    ))
}

/// `from + d` for `--for`: the sum must be a time an IAM condition can hold (no later than
/// 9999-12-31T23:59:59Z, CEL's latest timestamp), else a usage error naming the duration. Checked,
/// never a panic on overflow.
pub fn after(from: DateTime<Utc>, d: Duration, text: &str) -> Result<DateTime<Utc>, Error> {
    match from.checked_add_signed(d) {
        Some(t) if in_cel_range(t) => Ok(t),
        _ => Err(Error::usage_hint(
            format!(
                "a grant of `{text}` would end after {CEL_LATEST}, the latest time an IAM condition can hold"
            ),
            "ask for a shorter duration",
        )),
    }
}

/// `now - grace` for `cleanup --grace`: the cutoff must be a time an IAM condition can hold (no
/// earlier than 0001-01-01T00:00:00Z), else a usage error. Checked, never a panic on overflow.
pub fn cutoff(now: DateTime<Utc>, grace: Duration) -> Result<DateTime<Utc>, Error> {
    match now.checked_sub_signed(grace) {
        Some(t) if in_cel_range(t) => Ok(t),
        _ => Err(Error::usage_hint(
            format!(
                "the grace `{}` reaches back before {CEL_EARLIEST}, the earliest time an IAM condition can hold",
                words(grace)
            ),
            "give a shorter grace, like `1d`",
        )),
    }
}

/// The first instant after `now` at which the local clock shows `hm`, looking at `today` and the
/// next two days; `instants` gives the instants a local date-time stands for (none when a
/// daylight-saving change skips it, two when it repeats it). Of a repeated time the earlier one
/// after `now` wins: chrono gives the two in no promised order (for `America/St_Johns` it gives
/// the later first), and taking the first made `--until 01:45` on the night the clocks go back an
/// hour longer than asked.
fn next_wall_clock(
    hm: NaiveTime,
    today: NaiveDate,
    now: DateTime<Utc>,
    instants: impl Fn(NaiveDateTime) -> Vec<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    (0..=2)
        .map_while(|day| today.checked_add_days(Days::new(day)))
        .find_map(|date| instants(date.and_time(hm)).into_iter().filter(|t| *t > now).min())
}

/// What the user typed for a grant's length and its maximum, for errors to echo.
#[derive(Debug, Clone, Copy, Default)]
pub struct Typed<'a> {
    pub duration: Option<&'a str>,
    pub max: Option<&'a str>,
}

fn typed_max(typed: Option<Typed>, max: Duration) -> String {
    typed.and_then(|t| t.max).map_or_else(|| words(max), str::to_string)
}

/// The window a grant asks for, checked before anything is sent: both ends times a condition can
/// hold, the end after now and after the start, the start not in the past, and the length of
/// access within `max`.
pub fn grant_window(
    start: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    max: Duration,
    typed: Option<Typed>,
) -> Result<(Option<DateTime<Utc>>, DateTime<Utc>), Error> {
    for (what, t) in [("start", start), ("end", Some(end))] {
        if let Some(t) = t.filter(|t| !in_cel_range(*t)) {
            return Err(Error::usage_hint(
                format!(
                    "the {what} `{}` is after {CEL_LATEST}, the latest time an IAM condition can hold",
                    format_timestamp(t)
                ),
                "give an earlier time",
            ));
        }
    }
    // Whole seconds: jit writes whole seconds, and a start "now" typed by a slow human is fine.
    if let Some(s) = start
        && s < now.checked_sub_signed(Duration::seconds(60)).unwrap_or(now)
    {
        return Err(Error::usage_hint(
            format!("the start `{}` is in the past", format_timestamp(s)),
            "leave out --start to begin now, or give a future time",
        ));
    }
    if end <= now {
        return Err(Error::usage_hint(
            format!("the end `{}` is in the past", format_timestamp(end)),
            "give a future time or a duration with --for",
        ));
    }
    let begins = start.map_or(now, |s| s.max(now));
    if end <= begins {
        return Err(Error::usage_hint(
            "the grant would end before it starts".to_string(),
            "give an end after --start",
        ));
    }
    if end - begins > max {
        return Err(Error::usage_hint(
            // What was typed, not a normalised form (issue 12 item 9: `--for P1D` said `1d`).
            match typed {
                Some(Typed { duration: Some(d), .. }) => {
                    format!("`{d}` is longer than the maximum of {}", typed_max(typed, max))
                }
                _ => format!(
                    "`{}` is longer than the maximum of {}",
                    words(end - begins),
                    typed_max(typed, max)
                ),
            },
            "ask for less, or raise the maximum with --max-duration (or JIT_MAX_DURATION)",
        ));
    }
    // A start that is already (nearly) now is no start at all.
    Ok((start.filter(|s| *s > now), end))
}

/// A duration in words: `1h 59m`, `2d 3h`, `45s`, rounded to the last unit it shows rather than
/// cut (issue 12 item 9): a grant `--for 2h` ends on a whole second, 1h 59m 59.4s after the moment
/// its report is written, and that is `2h`, not `1h 59m`.
pub fn words(d: Duration) -> String {
    let ms = d.num_milliseconds().saturating_abs();
    let unit = if ms >= 86_400_000 {
        3600
    } else if ms >= 3_600_000 {
        60
    } else {
        1
    };
    let secs = ms.saturating_add(unit * 500) / (unit * 1000) * unit;
    let (days, hours, minutes, seconds) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let parts: Vec<String> = if days > 0 {
        vec![format!("{days}d"), format!("{hours}h")]
    } else if hours > 0 {
        vec![format!("{hours}h"), format!("{minutes}m")]
    } else if minutes > 0 {
        vec![format!("{minutes}m"), format!("{seconds}s")]
    } else {
        vec![format!("{seconds}s")]
    };
    let parts: Vec<String> = parts.into_iter().filter(|p| !p.starts_with('0')).collect();
    if parts.is_empty() { "0s".to_string() } else { parts.join(" ") }
}

/// Time remaining as seen at `now`: `1h 59m left`, `expired 5m ago`, and for a grant that has not
/// started, the access it will give, `1h once started` (issue 12 item 9: it counted from now to
/// the end, waiting time included; when it starts is the STATE column's `starts in 3h`).
pub fn remaining(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    // In whole seconds, as every time jit writes: `--for 1h` is then exactly 1h from the `now` it
    // was granted at, not 59m 59.6s (which rounds to `59m 59s`, below an hour).
    let now = chrono::SubsecRound::trunc_subsecs(now, 0);
    match (start, end) {
        (Some(s), Some(e)) if s > now => format!("{} once started", words(e - s)),
        (_, None) => "no expiry".to_string(),
        (_, Some(e)) if e > now => format!("{} left", words(e - now)),
        (_, Some(e)) => format!("expired {} ago", words(now - e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn durations() {
        for (text, secs) in [
            ("90m", 5400),
            ("2h", 7200),
            ("1h30m", 5400),
            ("1d", 86_400),
            ("45s", 45),
            ("1d2h", 93_600),
            ("PT2H", 7200),
            ("pt2h", 7200),
            ("PT1H30M", 5400),
            ("P1D", 86_400),
            ("P1DT2H", 93_600),
            ("PT90S", 90),
            (" 2h ", 7200),
        ] {
            assert_eq!(parse_duration(text).unwrap(), Duration::seconds(secs), "{text}");
        }
        let not = |t: &str| format!("`{t}` is not a duration");
        let mut failures = Vec::new();
        for (bad, want) in [
            ("", "the duration is empty".to_string()),
            ("2", not("2")),
            ("h", not("h")),
            ("2x", not("2x")),
            ("2h2h", not("2h2h")),
            ("30m1h", not("30m1h")),
            ("P", not("P")),
            ("PT", not("PT")),
            ("P2H", not("P2H")),
            ("1.5h", not("1.5h")),
            ("2 h", not("2 h")),
            ("-2h", "the duration `-2h` is negative".to_string()),
            ("0h", "the duration `0h` is zero".to_string()),
            ("PT0S", "the duration `PT0S` is zero".to_string()),
            ("0", not("0")),
            (
                "99999999999h",
                "the duration `99999999999h` is too long: jit reads at most 9 digits per number".to_string(),
            ),
        ] {
            match parse_duration(bad) {
                Err(e) if e.to_string() == want && e.exit_code() == 2 => {}
                other => failures.push(format!("{bad:?}: {other:?}, want {want:?}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(parse_duration("-2h").unwrap_err().to_string(), "the duration `-2h` is negative");
        assert_eq!(parse_duration("0m").unwrap_err().to_string(), "the duration `0m` is zero");
        // Issue 8 #14: these said "is zero" and "is not a duration".
        assert_eq!(parse_duration("").unwrap_err().to_string(), "the duration is empty");
        assert_eq!(parse_duration("  ").unwrap_err().to_string(), "the duration is empty");
        assert_eq!(
            parse_duration("1000000000s").unwrap_err().to_string(),
            "the duration `1000000000s` is too long: jit reads at most 9 digits per number"
        );
        assert_eq!(
            parse_duration("PT1H9999999999M").unwrap_err().to_string(),
            "the duration `PT1H9999999999M` is too long: jit reads at most 9 digits per number"
        );
        assert_eq!(parse_duration("999999999s").unwrap(), Duration::seconds(999_999_999));
    }

    #[test]
    fn times() {
        let now = t("2026-11-25T12:00:00Z");
        let utc = FixedOffset::east_opt(0).unwrap();
        let cet = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(parse_time("2026-11-25T18:00:00+01:00", now, &utc).unwrap(), t("2026-11-25T17:00:00Z"));
        assert_eq!(parse_time("18:30", now, &utc).unwrap(), t("2026-11-25T18:30:00Z"));
        assert_eq!(parse_time("18:30", now, &cet).unwrap(), t("2026-11-25T17:30:00Z"));
        assert_eq!(parse_time("09:00", now, &utc).unwrap(), t("2026-11-26T09:00:00Z"), "next such time");
        assert_eq!(parse_time("12:00", now, &utc).unwrap(), t("2026-11-26T12:00:00Z"));
        let failures: Vec<String> = ["25:00", "tomorrow", "2026-11-25", "2026-11-25T18:00:00", "18h"]
            .into_iter()
            .filter_map(|bad| match parse_time(bad, now, &utc) {
                Err(e) if e.to_string() == format!("`{bad}` is not a time") => None,
                other => Some(format!("{bad:?}: {other:?}")),
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_repeated_wall_clock_time_is_the_next_one() {
        // The night `America/St_Johns` goes back from -02:30 to -03:30 (2026-11-01, 04:30Z):
        // local 01:45 happens at 04:15Z and again at 05:15Z, and chrono gives the later first.
        let hm = NaiveTime::from_hms_opt(1, 45, 0).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let repeated = |local: NaiveDateTime| {
            if local.date() == today {
                vec![t("2026-11-01T05:15:00Z"), t("2026-11-01T04:15:00Z")]
            } else {
                vec![local.and_utc() + Duration::minutes(210)]
            }
        };
        let next = |now: &str| next_wall_clock(hm, today, t(now), repeated);
        assert_eq!(next("2026-11-01T02:15:00Z"), Some(t("2026-11-01T04:15:00Z")), "the first of the two");
        assert_eq!(
            next("2026-11-01T04:20:00Z"),
            Some(t("2026-11-01T05:15:00Z")),
            "the second, once the first passed"
        );
        assert_eq!(next("2026-11-01T05:20:00Z"), Some(t("2026-11-02T05:15:00Z")), "tomorrow's");
        // A skipped time (clocks going forward) is tomorrow's.
        let skipped =
            |local: NaiveDateTime| if local.date() == today { Vec::new() } else { vec![local.and_utc()] };
        assert_eq!(
            next_wall_clock(hm, today, t("2026-11-01T00:00:00Z"), skipped),
            Some(t("2026-11-02T01:45:00Z"))
        );
    }

    #[test]
    fn windows() {
        let now = t("2026-11-25T12:00:00Z");
        let max = DEFAULT_MAX;
        assert_eq!(
            grant_window(None, now + Duration::hours(2), now, max, None).unwrap(),
            (None, now + Duration::hours(2))
        );
        let message = |r: Result<_, Error>| r.map_err(|e| e.to_string()).unwrap_err();
        assert_eq!(
            message(grant_window(None, now, now, max, None)),
            "the end `2026-11-25T12:00:00Z` is in the past"
        );
        assert_eq!(
            message(grant_window(None, now - Duration::hours(1), now, max, None)),
            "the end `2026-11-25T11:00:00Z` is in the past"
        );
        let e = grant_window(None, now + Duration::hours(13), now, max, None).unwrap_err();
        assert_eq!(e.to_string(), "`13h` is longer than the maximum of 12h");
        let start = now + Duration::days(1);
        assert_eq!(
            grant_window(Some(start), start + Duration::hours(2), now, max, None).unwrap(),
            (Some(start), start + Duration::hours(2)),
            "the maximum applies to the length of access, not to how far ahead it is"
        );
        assert_eq!(
            message(grant_window(Some(start), start, now, max, None)),
            "the grant would end before it starts"
        );
        assert_eq!(
            message(grant_window(Some(now - Duration::hours(1)), now + Duration::hours(1), now, max, None)),
            "the start `2026-11-25T11:00:00Z` is in the past"
        );
    }

    #[test]
    fn sums_past_cels_range_are_errors_not_panics() {
        let now = t("2026-11-25T12:00:00Z");
        // Issue 8 defects 4 and 5: `--for 99999999d` panicked on overflow (exit 101), and
        // `--for 9999999d` wrote `timestamp("+29405-…")`.
        for text in ["99999999d", "9999999d", "999999999d"] {
            let d = parse_duration(text).unwrap();
            let e = after(now, d, text).unwrap_err();
            assert_eq!(
                (e.to_string(), e.exit_code()),
                (
                    format!(
                        "a grant of `{text}` would end after 9999-12-31T23:59:59Z, the latest time an IAM condition can hold"
                    ),
                    2
                ),
            );
        }
        let last = t("9999-12-31T22:59:59Z");
        assert_eq!(after(last, Duration::hours(1), "1h").unwrap(), t(CEL_LATEST));
        assert_eq!(
            after(last, Duration::seconds(3601), "3601s").unwrap_err().to_string(),
            "a grant of `3601s` would end after 9999-12-31T23:59:59Z, the latest time an IAM condition can hold"
        );
        assert_eq!(cutoff(now, Duration::hours(2)).unwrap(), t("2026-11-25T10:00:00Z"));
        for text in ["99999999d", "999999999d", "800000d"] {
            let e = cutoff(now, parse_duration(text).unwrap()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "the grace `{text}` reaches back before 0001-01-01T00:00:00Z, the earliest time an IAM condition can hold"
                )
            );
        }
        let e = grant_window(None, t("9999-12-31T23:59:59-01:00"), now, Duration::days(10_000_000), None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the end `+10000-01-01T00:59:59Z` is after 9999-12-31T23:59:59Z, the latest time an IAM condition can hold"
        );
        assert_eq!(
            grant_window(None, t(CEL_LATEST), now, Duration::days(10_000_000), None).unwrap(),
            (None, t(CEL_LATEST))
        );
    }

    #[test]
    fn in_words() {
        assert_eq!(words(Duration::seconds(7140)), "1h 59m");
        assert_eq!(words(Duration::seconds(7200)), "2h");
        assert_eq!(words(Duration::seconds(183_600)), "2d 3h");
        assert_eq!(words(Duration::seconds(45)), "45s");
        assert_eq!(words(Duration::seconds(0)), "0s");
        let now = t("2026-11-25T12:00:00Z");
        assert_eq!(remaining(None, Some(now + Duration::minutes(90)), now), "1h 30m left");
        assert_eq!(remaining(None, Some(now - Duration::minutes(5)), now), "expired 5m ago");
        // Rounded to the last unit shown, not cut: `--for 2h` a moment later is still 2h.
        assert_eq!(words(Duration::milliseconds(7_199_400)), "2h");
        assert_eq!(words(Duration::milliseconds(7_169_000)), "1h 59m");
        assert_eq!(words(Duration::milliseconds(7_170_000)), "2h");
        assert_eq!(words(Duration::milliseconds(89_999_000)), "1d 1h");
        assert_eq!(words(Duration::milliseconds(3_599_600)), "1h");
        assert_eq!(words(Duration::milliseconds(44_600)), "45s");
        assert_eq!(words(Duration::milliseconds(-300_200)), "5m");
        // A scheduled grant counts to its start; once started, to its end.
        let (s, e) = (now + Duration::hours(3), now + Duration::hours(5));
        assert_eq!(remaining(Some(s), Some(e), now), "2h once started");
        assert_eq!(remaining(Some(now - Duration::hours(1)), Some(e), now), "5h left");
        // `--for 1h` granted at a fraction of a second is 1h, not 59m 59s.
        let at = now + Duration::milliseconds(700);
        assert_eq!(remaining(None, Some(now + Duration::hours(1)), at), "1h left");
    }
}
