//! The condition reader (src/condition.rs, src/source.rs).
//!
//! The input is a condition text, or, when its first byte is a mode digit, a template filled with
//! the rest:
//!
//! - anything else: the whole input is an expression;
//! - `1T`: `request.time < timestamp("T")`, jit's own shape with a fuzzed time text;
//! - `2S|E`: `request.time >= timestamp("S") && request.time < timestamp("E")`;
//! - `3TEXT`: a description (and a title) for `parse_description` and `source`;
//! - `4` + 20 bytes + note: an end (and maybe a start) in seconds, built by `condition::build`
//!   and read back.
//!
//! Checked for every expression: no panic; `window` (the fast path for jit's own text, then the
//! parser) equals `parsed_window` (the parser alone), error for error; and the window is sound
//! against the `cel` interpreter: the expression is false just after its upper bound and just
//! before its lower bound.

#![no_main]

#[path = "common.rs"]
mod common;

use chrono::{DateTime, Duration, Utc};
use jit::condition::{self, Bound, GrantNote, Window};
use jit::policy::Expr;
use jit::source::{self, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::init();
    let (mode, rest) = match data.split_first() {
        Some((m @ b'1'..=b'4', rest)) => (*m, rest),
        _ => (b'0', data),
    };
    if mode == b'4' {
        build_round_trip(rest);
        return;
    }
    let Ok(text) = std::str::from_utf8(rest) else { return };
    match mode {
        b'1' => expression(&format!(r#"request.time < timestamp("{text}")"#)),
        b'2' => {
            let (s, e) = text.split_once('|').unwrap_or((text, text));
            expression(&format!(r#"request.time >= timestamp("{s}") && request.time < timestamp("{e}")"#))
        }
        b'3' => note_text(text),
        _ => {
            expression(text);
            note_text(text);
        }
    }
});

fn expression(e: &str) {
    let fast = condition::window(e);
    let parsed = condition::parsed_window(e);
    assert_eq!(fast, parsed, "the fast path and the parser disagree on {e:?}");
    let Ok(w) = fast else { return };
    let Ok(program) = condition::parse(e) else {
        panic!("parsed_window read {e:?} but parse refuses it");
    };
    let at = |t: DateTime<Utc>| condition::evaluate_program(&program, t);
    if let Some(u) = w.upper {
        // The first instants the window says are outside it.
        let after = if u.inclusive { u.at.checked_add_signed(Duration::nanoseconds(1)) } else { Some(u.at) };
        for t in after.into_iter().chain(u.at.checked_add_signed(Duration::days(400))) {
            assert!(!at(t), "{e:?} is true at {t:?}, after its upper bound {u:?}");
        }
    }
    if let Some(l) = w.lower {
        let before = if l.inclusive { l.at.checked_sub_signed(Duration::nanoseconds(1)) } else { Some(l.at) };
        for t in before.into_iter().chain(l.at.checked_sub_signed(Duration::days(400))) {
            assert!(!at(t), "{e:?} is true at {t:?}, before its lower bound {l:?}");
        }
    }
    // A window that excludes nothing in between may still be empty, but never inverted in a way
    // that `state` reads as both ended and not started at one instant with access in between.
    let _ = w.state(Utc::now());
}

fn note_text(text: &str) {
    let note = condition::parse_description(text);
    if let Some(n) = &note {
        // jit reads back only what it could have written.
        assert!(text.starts_with("Granted by "), "{text:?} read as {n:?}");
    }
    for (title, description) in [(text, ""), ("jit until x", text), (text, text)] {
        let c = Expr {
            expression: String::new(),
            title: Some(title.to_string()),
            description: Some(description.to_string()),
            ..Default::default()
        };
        let src = Source::of(&c);
        let by = source::granted_by(&c);
        let _ = source::reason(&c);
        if by.is_some() {
            assert!(matches!(src, Source::Jit | Source::Gimme), "granted_by read from a {src} condition");
        }
    }
    let cleaned = condition::clean(text);
    assert!(!cleaned.chars().any(char::is_control), "clean left a control character in {cleaned:?}");
    for max in [1, 2, 10, condition::DESCRIPTION_MAX] {
        assert!(condition::cut(text, max).chars().count() <= max);
    }
}

/// `build` then the reader: every window jit writes reads back exactly, on both paths.
fn build_round_trip(data: &[u8]) {
    if data.len() < 20 {
        return;
    }
    let end_secs = i64::from_le_bytes(data[0..8].try_into().unwrap());
    let start_secs = i64::from_le_bytes(data[8..16].try_into().unwrap());
    let nanos = u32::from_le_bytes(data[16..20].try_into().unwrap()) % 2_000_000_000;
    let text = String::from_utf8_lossy(&data[20..]);
    let Some(end) = DateTime::from_timestamp(end_secs, nanos) else { return };
    let start = if start_secs % 2 == 0 { DateTime::from_timestamp(start_secs, 0) } else { None };
    let (by, reason) = text.split_once('|').unwrap_or((&text, ""));
    let note = GrantNote {
        granted_by: Some(by.to_string()).filter(|s| !s.is_empty()),
        granted_at: start,
        reason: Some(reason.to_string()).filter(|s| !s.is_empty()),
    };
    let representable = |t: DateTime<Utc>| (0..=253_402_300_799).contains(&t.timestamp());
    if common::skip_known() && !(representable(end) && start.is_none_or(representable)) {
        // Issue 8 item 4: a time CEL cannot represent is written anyway and then never read back.
        return;
    }
    let c = condition::build(start, end, &note);
    let whole = |t: DateTime<Utc>| DateTime::from_timestamp(t.timestamp(), 0).unwrap();
    let expected = Window {
        upper: Some(Bound { at: whole(end), inclusive: false }),
        lower: start.map(|s| Bound { at: whole(s), inclusive: true }),
    };
    assert_eq!(condition::window(&c.expression), Ok(expected), "build wrote {:?}", c.expression);
    assert_eq!(condition::parsed_window(&c.expression), Ok(expected), "build wrote {:?}", c.expression);
    assert_eq!(Source::of(&c), Source::Jit);
    let title = c.title();
    assert!(title.chars().count() <= condition::TITLE_MAX, "title {title:?} is too long");
    let description = c.description();
    assert!(
        description.chars().count() <= condition::DESCRIPTION_MAX,
        "description {description:?} is too long"
    );
    if description.ends_with(" via jit.") || description.contains(" via jit. Reason: ") {
        let back = condition::parse_description(description)
            .unwrap_or_else(|| panic!("jit cannot read its own description {description:?}"));
        assert_eq!(back.granted_at, start.map(whole), "{description:?}");
    }
    expression(&c.expression);
}
