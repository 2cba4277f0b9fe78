//! Rendering: tables for people, JSON and YAML of one documented shape for programs
//! (docs/output.md). Everything writes to any `impl Write`.
//!
//! Members, titles, descriptions and reasons come from whoever wrote the policy, so every text a
//! person reads goes through [`escape`]: a terminal must show an escape sequence, a carriage return
//! or a bidirectional override, never obey it. JSON and YAML keep the exact value, JSON with
//! every such character as a `\uXXXX` escape.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::Write;

use chrono::{DateTime, Local, SecondsFormat, TimeZone, Utc};
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::cli::Format;
use crate::edit::{GrantReport, TimedBinding};
use crate::error::Error;
use crate::timespec;

/// A resource that failed in a multi-resource command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceError {
    pub resource: String,
    pub message: String,
}

/// `jit grant`'s report over every resource (SPEC §2).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantOutput {
    #[serde(flatten)]
    pub report: GrantReport,
    pub errors: Vec<ResourceError>,
    pub dry_run: bool,
}

/// `jit revoke` and `jit cleanup`'s report (SPEC §2).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovalOutput {
    pub removed: Vec<TimedBinding>,
    /// How many resources were examined.
    pub resources: usize,
    pub errors: Vec<ResourceError>,
    pub dry_run: bool,
}

/// True for a character a terminal acts on instead of showing: the C0 controls (ESC starts an
/// escape sequence, CR rewrites the line, BEL, backspace, newline, tab), DEL and the C1 controls
/// (U+0080–U+009F; U+009B is an 8-bit CSI), the bidirectional marks, embeddings, overrides and
/// isolates that reorder the rest of a line (Unicode Standard Annex #9, "Explicit Directional
/// Formatting Characters": U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, the
/// "Trojan Source" characters of CVE-2021-42574), and the line and paragraph separators
/// U+2028/U+2029.
pub fn is_terminal_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` safe to print to a terminal: each character of [`is_terminal_control`] becomes
/// `\u{HEX}` (Rust's notation, lowercase hex without leading zeros: ESC is `\u{1b}`, CR
/// `\u{d}`, U+202E `\u{202e}`); everything else, backslashes included, is kept, so escaping is
/// idempotent and an ordinary value reads exactly as stored. The one escaping of every human-facing
/// text (docs/output.md).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_terminal_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_terminal_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A `Display` that escapes what it wraps, for `format!` and `write!` of human-facing text.
pub struct Escaped<T>(pub T);

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(&self.0.to_string()))
    }
}

fn io(e: std::io::Error) -> Error {
    Error::io(format!("cannot write the output: {e}"))
}

/// JSON (pretty, newline-terminated) or YAML of any report.
pub fn structured<T: Serialize>(value: &T, format: Format, w: &mut dyn Write) -> Result<(), Error> {
    match format {
        Format::Yaml => {
            let text = serde_norway::to_string(value).map_err(|e| Error::io(e.to_string()))?;
            w.write_all(text.as_bytes()).map_err(io)
        }
        _ => {
            let text = serde_json::to_string_pretty(value).map_err(|e| Error::io(e.to_string()))?;
            w.write_all(json_inert(&text).as_bytes()).map_err(io)?;
            writeln!(w).map_err(io)
        }
    }
}

/// serde_json escapes the C0 controls inside strings (RFC 8259 §7 requires it) but writes DEL, the
/// C1 controls and the bidirectional characters as they are; written as `\uXXXX` they are the same
/// value to any JSON parser and inert on a terminal. Outside strings the pretty printer writes only
/// ASCII punctuation, spaces and newlines, so every such character found is inside a string.
fn json_inert(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| u32::from(c) >= 0x7f && is_terminal_control(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            // Every such character is in the Basic Multilingual Plane: one `\uXXXX`.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `2026-11-25T14:00:00Z`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `2026-11-25 15:00 +01:00`, in the local time zone (TZ honoured).
pub fn local(t: DateTime<Utc>) -> String {
    local_in(t, &Local)
}

/// `2026-11-25 15:00 +01:00`, in the time zone `tz`.
pub fn local_in<Tz: TimeZone>(t: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: fmt::Display,
{
    t.with_timezone(tz).format("%Y-%m-%d %H:%M %:z").to_string()
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    // One line per row, never wrapped inside cells: a timestamp or an email cut in two is worse
    // than a long line, and a terminal that reports no size would squeeze every column to a letter.
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    // Two spaces between columns and none before the first: a line starts with its first cell, so
    // `grep '^granted'` and copy-paste work.
    for column in t.column_iter_mut() {
        column.set_padding((0, 2));
    }
    t
}

/// Writes a table without the padding that ends every line.
fn write_table(t: &Table, w: &mut dyn Write) -> Result<(), Error> {
    for line in t.lines() {
        writeln!(w, "{}", line.trim_end()).map_err(io)?;
    }
    Ok(())
}

/// Adds a row with every cell escaped.
fn add_row(t: &mut Table, cells: Vec<String>) {
    t.add_row(cells.into_iter().map(|c| escape(&c).into_owned()).collect::<Vec<_>>());
}

fn opt(t: Option<DateTime<Utc>>) -> String {
    t.map(utc).unwrap_or_else(|| "-".into())
}

fn state_cell(r: &TimedBinding, now: DateTime<Utc>) -> String {
    match (r.state, r.starts) {
        (crate::condition::State::Scheduled, Some(s)) => {
            format!("scheduled, starts in {}", timespec::words(s - now))
        }
        (state, _) => state.to_string(),
    }
}

/// `jit list`, local times in the local time zone.
pub fn list(
    rows: &[TimedBinding],
    format: Format,
    now: DateTime<Utc>,
    w: &mut dyn Write,
) -> Result<(), Error> {
    list_in(rows, format, now, &Local, w)
}

/// `jit list`, local times in `tz`.
pub fn list_in<Tz: TimeZone>(
    rows: &[TimedBinding],
    format: Format,
    now: DateTime<Utc>,
    tz: &Tz,
    w: &mut dyn Write,
) -> Result<(), Error>
where
    Tz::Offset: fmt::Display,
{
    if format != Format::Table {
        return structured(&rows, format, w);
    }
    if rows.is_empty() {
        return writeln!(w, "No time-bound bindings.").map_err(io);
    }
    let mut t = table(&[
        "RESOURCE",
        "ROLE",
        "MEMBER",
        "STATE",
        "EXPIRES (UTC)",
        "EXPIRES (LOCAL)",
        "REMAINING",
        "SOURCE",
        "GRANTED BY",
        "REASON",
    ]);
    for r in rows {
        add_row(
            &mut t,
            vec![
                r.resource.clone(),
                r.role.clone(),
                r.member.clone(),
                state_cell(r, now),
                opt(r.expires),
                r.expires.map(|t| local_in(t, tz)).unwrap_or_default(),
                timespec::remaining(r.expires, now),
                r.source.to_string(),
                r.granted_by.clone().unwrap_or_default(),
                r.reason.clone().unwrap_or_default(),
            ],
        );
    }
    write_table(&t, w)
}

/// `jit grant`, local times in the local time zone.
pub fn grant(out: &GrantOutput, format: Format, now: DateTime<Utc>, w: &mut dyn Write) -> Result<(), Error> {
    grant_in(out, format, now, &Local, w)
}

/// `jit grant`, local times in `tz`.
pub fn grant_in<Tz: TimeZone>(
    out: &GrantOutput,
    format: Format,
    now: DateTime<Utc>,
    tz: &Tz,
    w: &mut dyn Write,
) -> Result<(), Error>
where
    Tz::Offset: fmt::Display,
{
    if format != Format::Table {
        return structured(out, format, w);
    }
    let r = &out.report;
    let rows: Vec<(&str, &TimedBinding)> = [
        (if out.dry_run { "would grant" } else { "granted" }, &r.granted),
        (if out.dry_run { "would extend" } else { "extended" }, &r.extended),
        ("unchanged", &r.unchanged),
        (if out.dry_run { "would prune (expired)" } else { "pruned (expired)" }, &r.pruned),
    ]
    .into_iter()
    .flat_map(|(what, rows)| rows.iter().map(move |row| (what, row)))
    .collect();
    if !rows.is_empty() {
        let mut t =
            table(&["", "ROLE", "MEMBER", "RESOURCE", "EXPIRES (UTC)", "EXPIRES (LOCAL)", "REMAINING"]);
        for (what, row) in rows {
            let expires = match row.starts {
                Some(s) if row.state == crate::condition::State::Scheduled => {
                    format!("{} (from {})", opt(row.expires), utc(s))
                }
                _ => opt(row.expires),
            };
            add_row(
                &mut t,
                vec![
                    what.to_string(),
                    row.role.clone(),
                    row.member.clone(),
                    row.resource.clone(),
                    expires,
                    row.expires.map(|t| local_in(t, tz)).unwrap_or_default(),
                    timespec::remaining(row.expires, now),
                ],
            );
        }
        write_table(&t, w)?;
    }
    for warning in &r.warnings {
        writeln!(w, "warning: {}", escape(warning)).map_err(io)?;
    }
    errors(&out.errors, w)
}

/// The last line of a dry run's table report.
pub fn dry_run_note(dry_run: bool, format: Format, w: &mut dyn Write) -> Result<(), Error> {
    if dry_run && format == Format::Table {
        writeln!(w, "Dry run: nothing was written.").map_err(io)?;
    }
    Ok(())
}

/// `jit revoke` and `jit cleanup`.
pub fn removal(out: &RemovalOutput, format: Format, w: &mut dyn Write) -> Result<(), Error> {
    if format != Format::Table {
        return structured(out, format, w);
    }
    if !out.removed.is_empty() {
        let mut t = table(&["RESOURCE", "ROLE", "MEMBER", "STATE", "EXPIRES (UTC)", "SOURCE", "CONDITION"]);
        for r in &out.removed {
            add_row(
                &mut t,
                vec![
                    r.resource.clone(),
                    r.role.clone(),
                    r.member.clone(),
                    r.state.to_string(),
                    opt(r.expires),
                    r.source.to_string(),
                    if r.title.is_empty() {
                        r.expression.clone()
                    } else {
                        format!("{}: {}", r.title, r.expression)
                    },
                ],
            );
        }
        write_table(&t, w)?;
    }
    let verb = if out.dry_run { "Would remove" } else { "Removed" };
    let n = out.removed.len();
    let resources = out.resources;
    writeln!(
        w,
        "{verb} {n} time-bound grant{} on {resources} resource{}.",
        if n == 1 { "" } else { "s" },
        if resources == 1 { "" } else { "s" }
    )
    .map_err(io)?;
    errors(&out.errors, w)
}

fn errors(errors: &[ResourceError], w: &mut dyn Write) -> Result<(), Error> {
    for e in errors {
        writeln!(w, "failed: {}: {}", escape(&e.resource), escape(&e.message)).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_shows_every_terminal_control_and_keeps_the_rest() {
        let mut wrong = Vec::new();
        for (input, want) in [
            ("user:alice@example.com", "user:alice@example.com"),
            ("naïve 名前 \\u{1b} C:\\path", "naïve 名前 \\u{1b} C:\\path"),
            ("\u{1b}[31mred\u{1b}[0m", "\\u{1b}[31mred\\u{1b}[0m"),
            ("a\rb\nc\td", "a\\u{d}b\\u{a}c\\u{9}d"),
            ("\u{0}\u{7}\u{8}\u{1f}\u{7f}", "\\u{0}\\u{7}\\u{8}\\u{1f}\\u{7f}"),
            ("\u{80}\u{85}\u{9b}\u{9f}\u{a0}", "\\u{80}\\u{85}\\u{9b}\\u{9f}\u{a0}"),
            ("\u{61c}\u{200e}\u{200f}", "\\u{61c}\\u{200e}\\u{200f}"),
            ("\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}", "\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}"),
            ("\u{2066}\u{2067}\u{2068}\u{2069}", "\\u{2066}\\u{2067}\\u{2068}\\u{2069}"),
            ("\u{2028}\u{2029}", "\\u{2028}\\u{2029}"),
            // Neighbours that are printable stay as they are.
            ("\u{200d}\u{2027}\u{202f}\u{2065}\u{206a}", "\u{200d}\u{2027}\u{202f}\u{2065}\u{206a}"),
        ] {
            let got = escape(input);
            if got != want {
                wrong.push(format!("{input:?}: got {got:?}, want {want:?}"));
            }
            if escape(&got) != got {
                wrong.push(format!("{input:?}: escaping twice changed {got:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert!(matches!(escape("plain"), Cow::Borrowed("plain")), "nothing is copied when nothing changes");
        assert_eq!(Escaped("a\u{1b}b").to_string(), "a\\u{1b}b");
    }

    #[test]
    fn json_is_inert_on_a_terminal_and_keeps_the_value() {
        let value = serde_json::json!({"t": "\u{1b}[31m\r\u{7f}\u{85}\u{9b}\u{202e}\u{2066}é名\\u{1b}"});
        let mut out = Vec::new();
        structured(&value, Format::Json, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\n  \"t\": \"\\u001b[31m\\r\\u007f\\u0085\\u009b\\u202e\\u2066é名\\\\u{1b}\"\n}\n"
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }
}
