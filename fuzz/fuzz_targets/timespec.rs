//! The duration and time parser (src/timespec.rs) and its two users on the command line:
//! `grant`'s window (`config::Grant::resolve_in`: `--for`, `--until`, `--start`,
//! `--max-duration`) and `cleanup --grace`.
//!
//! The input is up to seven lines: `--for`, `--until`, `--start`, `--max-duration`, `--grace`,
//! the local time zone's offset in minutes, and `now` in seconds from 2026-11-25T12:00:00Z. An
//! empty line leaves the flag out. Each flag is passed through clap as `--flag=VALUE`, as a shell
//! would.
//!
//! Checked: no panic; a duration that parses is positive and prints back; an `HH:MM` time is the
//! next one after now; a grant window that resolves ends after now, after its start, within the
//! maximum, and at a time CEL can represent (issue 8 item 4).

#![no_main]

#[path = "common.rs"]
mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use clap::Parser;
use jit::cli::{Cli, Command};
use jit::config;
use jit::timespec;
use libfuzzer_sys::fuzz_target;

/// 9999-12-31T23:59:59Z, the last second CEL's `timestamp` represents.
const CEL_MAX: i64 = 253_402_300_799;

fuzz_target!(|data: &[u8]| {
    common::init();
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.split('\n');
    let mut field = || lines.next().filter(|l| !l.is_empty());
    let (dur, until, start, max, grace) = (field(), field(), field(), field(), field());
    let offset_minutes: i32 = field().and_then(|l| l.trim().parse().ok()).unwrap_or(0);
    let now_secs: i64 = field().and_then(|l| l.trim().parse().ok()).unwrap_or(0);
    let Some(tz) = FixedOffset::east_opt(offset_minutes.saturating_mul(60)) else { return };
    let base = DateTime::from_timestamp(1_795_608_000, 0).unwrap(); // 2026-11-25T12:00:00Z
    let Some(now) = base.checked_add_signed(Duration::seconds(now_secs.clamp(-4_000_000_000, 4_000_000_000)))
    else {
        return;
    };

    for t in [dur, max, grace].into_iter().flatten() {
        duration(t);
    }
    for t in [until, start].into_iter().flatten() {
        time(t, now, &tz);
    }
    grant(dur, until, start, max, now, &tz);
    cleanup(grace, now);
});

fn duration(text: &str) {
    match timespec::parse_duration(text) {
        Ok(d) => {
            assert!(d > Duration::zero(), "{text:?} parsed to {d:?}");
            let secs = d.num_seconds();
            let w = timespec::words(d);
            assert!(!w.is_empty() && !w.starts_with('0'), "{text:?}: words {w:?}");
            if secs < 1_000_000_000 {
                assert_eq!(timespec::parse_duration(&format!("{secs}s")).ok(), Some(d), "{text:?}");
            }
        }
        Err(e) => {
            let m = e.to_string();
            assert!(m.contains('`'), "the error for {text:?} does not quote it: {m}");
        }
    }
}

fn time(text: &str, now: DateTime<Utc>, tz: &FixedOffset) {
    if let Ok(t) = timespec::parse_time(text, now, tz)
        && chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").is_ok()
        && DateTime::parse_from_rfc3339(text.trim()).is_err()
    {
        assert!(t > now && t <= now + Duration::days(1), "{text:?} at {now} is {t}");
    }
}

fn grant(
    dur: Option<&str>,
    until: Option<&str>,
    start: Option<&str>,
    max: Option<&str>,
    now: DateTime<Utc>,
    tz: &FixedOffset,
) {
    if common::skip_known() {
        // Issue 8 item 5, being fixed elsewhere: `start + duration` overflows chrono and panics.
        let s = start.and_then(|s| timespec::parse_time(s, now, tz).ok()).unwrap_or(now);
        if let Some(Ok(d)) = dur.map(timespec::parse_duration)
            && s.checked_add_signed(d).is_none()
        {
            return;
        }
    }
    let mut args = vec!["jit".to_string(), "grant".to_string(), "roles/storage.admin".to_string()];
    for (flag, value) in [("--for", dur), ("--until", until), ("--start", start), ("--max-duration", max)] {
        if let Some(v) = value {
            args.push(format!("{flag}={v}"));
        }
    }
    let Ok(cli) = Cli::try_parse_from(&args) else { return };
    let Command::Grant(g) = cli.command else { unreachable!("parsed as grant") };
    let Ok(resolved) = config::Grant::resolve_in(&g, now, tz) else { return };
    let (s, e) = (resolved.start, resolved.end);
    assert!(e > now, "{args:?} ends at {e}, not after now {now}");
    if let Some(s) = s {
        assert!(s > now && s < e, "{args:?}: start {s}, end {e}");
    }
    let max = max.map_or(timespec::DEFAULT_MAX, |m| timespec::parse_duration(m).unwrap());
    assert!(e - s.unwrap_or(now) <= max, "{args:?} is longer than {max:?}");
    if !common::skip_known() {
        assert!(e.timestamp() <= CEL_MAX, "{args:?} ends at {e}, after the last time CEL represents");
    }
    let _ = timespec::remaining(Some(e), now);
}

fn cleanup(grace: Option<&str>, now: DateTime<Utc>) {
    let mut args = vec!["jit".to_string(), "cleanup".to_string()];
    if let Some(g) = grace {
        args.push(format!("--grace={g}"));
    }
    let Ok(cli) = Cli::try_parse_from(&args) else { return };
    let Command::Cleanup(c) = cli.command else { unreachable!("parsed as cleanup") };
    let Ok(resolved) = config::Cleanup::resolve(&c) else { return };
    if common::skip_known() && now.checked_sub_signed(resolved.grace).is_none() {
        // Issue 8 item 5 again: `now - grace` overflows.
        return;
    }
    let policy = jit::policy::Policy::default();
    let _ = jit::edit::cleanup("projects/p", &policy, now, resolved.grace, false);
}
