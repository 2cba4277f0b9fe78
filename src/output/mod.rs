//! Rendering: tables for people, JSON and YAML of one documented shape for programs
//! (docs/output.md). Everything writes to any `impl Write`.
//!
//! Members, titles, descriptions and reasons come from whoever wrote the policy, so every text a
//! person reads goes through [`escape`]: a terminal must show an escape sequence, a carriage return
//! or a bidirectional override, never obey it. JSON and YAML keep the exact value, JSON with
//! every such character as a `\uXXXX` escape.
//!
//! This file holds the reports (list, grant, revoke and cleanup, history); JSON and YAML are in
//! `structured.rs`, the fitting of tables to the terminal in `table.rs`.

use std::fmt;
use std::io::Write;

use chrono::{DateTime, Local, TimeZone, Utc};
use serde::Serialize;

pub use crate::text::{Escaped, escape, is_terminal_control};

use crate::cli::Format;
use crate::edit::{GrantReport, TimedBinding};
use crate::error::Error;
use crate::timespec;

mod structured;
mod table;

use structured::io;
pub use structured::structured;
use table::{Col, FLOOR, render, row};
pub use table::{parse_columns, plain_table, set_table_width, table_width, wrap_cell};

/// A resource that failed in a multi-resource command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceError {
    pub resource: String,
    pub message: String,
}

/// `jit grant`'s report over every resource (design §2).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantOutput {
    #[serde(flatten)]
    pub report: GrantReport,
    pub errors: Vec<ResourceError>,
    pub dry_run: bool,
}

/// `jit revoke` and `jit cleanup`'s report (design §2).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovalOutput {
    pub removed: Vec<TimedBinding>,
    /// How many resources were examined.
    pub resources: usize,
    pub errors: Vec<ResourceError>,
    pub dry_run: bool,
}

/// `2026-11-25T14:00:00Z`.
pub fn utc(t: DateTime<Utc>) -> String {
    crate::condition::format_timestamp(t)
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

/// `jit list`, local times in the local time zone, fitted to the terminal ([`table_width`]).
pub fn list(
    rows: &[TimedBinding],
    format: Format,
    now: DateTime<Utc>,
    w: &mut dyn Write,
) -> Result<(), Error> {
    list_fit(rows, format, now, &Local, table_width(), w)
}

/// `jit list`, local times in `tz`, every column in full.
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
    list_fit(rows, format, now, tz, None, w)
}

/// The columns of `jit list`. A narrow terminal loses GRANTED BY, SOURCE and the local time first
/// (the UTC time and REMAINING say when), then REASON wraps and goes before the others would wrap.
const LIST: [Col; 10] = [
    Col::wrap("RESOURCE", FLOOR),
    Col::wrap("ROLE", FLOOR),
    Col::wrap("MEMBER", FLOOR),
    Col::wrap("STATE", FLOOR),
    Col::keep("EXPIRES (UTC)", "EXPIRES"),
    Col::keep("EXPIRES (LOCAL)", "LOCAL").drop_first(3),
    Col::wrap("REMAINING", FLOOR).then_drop(5),
    Col::keep("SOURCE", "SOURCE").drop_first(2),
    Col::wrap("GRANTED BY", FLOOR).drop_first(1),
    Col::wrap("REASON", FLOOR).then_drop(4),
];

/// `jit list`, local times in `tz`, fitted to `width` columns (`None`: every column in full).
pub fn list_fit<Tz: TimeZone>(
    rows: &[TimedBinding],
    format: Format,
    now: DateTime<Utc>,
    tz: &Tz,
    width: Option<usize>,
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
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            row(vec![
                r.resource.clone(),
                r.role.clone(),
                r.member.clone(),
                state_cell(r, now),
                opt(r.expires),
                r.expires.map(|t| local_in(t, tz)).unwrap_or_default(),
                timespec::remaining(r.starts, r.expires, now),
                r.source.to_string(),
                r.granted_by.clone().unwrap_or_default(),
                r.reason.clone().unwrap_or_default(),
            ])
        })
        .collect();
    render(&LIST, &cells, width, w)
}

/// `jit grant`, local times in the local time zone, fitted to the terminal ([`table_width`]).
pub fn grant(out: &GrantOutput, format: Format, now: DateTime<Utc>, w: &mut dyn Write) -> Result<(), Error> {
    grant_fit(out, format, now, &Local, table_width(), w)
}

/// `jit grant`, local times in `tz`, every column in full.
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
    grant_fit(out, format, now, tz, None, w)
}

/// The columns of `jit grant`'s report; the local time goes first on a narrow terminal.
const GRANT: [Col; 7] = [
    Col::wrap("", FLOOR),
    Col::wrap("ROLE", FLOOR),
    Col::wrap("MEMBER", FLOOR),
    Col::wrap("RESOURCE", FLOOR),
    // A scheduled grant's `… (from …)` wraps after the end time.
    Col::wrap("EXPIRES (UTC)", 20).short("EXPIRES"),
    Col::keep("EXPIRES (LOCAL)", "LOCAL").drop_first(1),
    Col::wrap("REMAINING", FLOOR),
];

/// `jit grant`, local times in `tz`, fitted to `width` columns (`None`: every column in full).
pub fn grant_fit<Tz: TimeZone>(
    out: &GrantOutput,
    format: Format,
    now: DateTime<Utc>,
    tz: &Tz,
    width: Option<usize>,
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
        (if out.dry_run { "would shorten" } else { "shortened" }, &r.shortened),
        ("unchanged", &r.unchanged),
        (if out.dry_run { "would prune (expired)" } else { "pruned (expired)" }, &r.pruned),
    ]
    .into_iter()
    .flat_map(|(what, rows)| rows.iter().map(move |row| (what, row)))
    .collect();
    if !rows.is_empty() {
        let cells: Vec<Vec<String>> = rows
            .into_iter()
            .map(|(what, binding)| {
                let expires = match binding.starts {
                    Some(s) if binding.state == crate::condition::State::Scheduled => {
                        format!("{} (from {})", opt(binding.expires), utc(s))
                    }
                    _ => opt(binding.expires),
                };
                row(vec![
                    what.to_string(),
                    binding.role.clone(),
                    binding.member.clone(),
                    binding.resource.clone(),
                    expires,
                    binding.expires.map(|t| local_in(t, tz)).unwrap_or_default(),
                    timespec::remaining(binding.starts, binding.expires, now),
                ])
            })
            .collect();
        render(&GRANT, &cells, width, w)?;
    }
    for warning in &r.warnings {
        writeln!(w, "warning: {}", escape(warning)).map_err(io)?;
    }
    Ok(())
}

/// The last line of a dry run's table report.
pub fn dry_run_note(dry_run: bool, format: Format, w: &mut dyn Write) -> Result<(), Error> {
    if dry_run && format == Format::Table {
        writeln!(w, "Dry run: nothing was written.").map_err(io)?;
    }
    Ok(())
}

/// `jit revoke` and `jit cleanup`, fitted to the terminal ([`table_width`]).
/// The one line after a confirmed grant whose outcome is the plan just shown: `Done: 2 granted.`
pub fn grant_done(r: &GrantReport) -> String {
    let parts: Vec<String> = [
        (r.granted.len(), "granted"),
        (r.extended.len(), "extended"),
        (r.shortened.len(), "shortened"),
        (r.unchanged.len(), "unchanged"),
        (r.pruned.len(), "pruned"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    format!("Done: {}.", if parts.is_empty() { "nothing to change".to_string() } else { parts.join(", ") })
}

/// The last line of a removal report: `Removed 2 time-bound grants on 1 resource.`
pub fn removal_summary(out: &RemovalOutput) -> String {
    let verb = if out.dry_run { "Would remove" } else { "Removed" };
    let (n, resources) = (out.removed.len(), out.resources);
    format!(
        "{verb} {n} time-bound grant{} on {resources} resource{}.",
        if n == 1 { "" } else { "s" },
        if resources == 1 { "" } else { "s" }
    )
}

pub fn removal(out: &RemovalOutput, format: Format, w: &mut dyn Write) -> Result<(), Error> {
    removal_fit(out, format, table_width(), w)
}

/// The columns of `jit revoke` and `jit cleanup`'s report: SOURCE goes first on a narrow
/// terminal, then the condition wraps, and goes before the others would wrap (EXPIRES says what
/// it held).
const REMOVAL: [Col; 7] = [
    Col::wrap("RESOURCE", FLOOR),
    Col::wrap("ROLE", FLOOR),
    Col::wrap("MEMBER", FLOOR),
    Col::keep("STATE", "STATE"),
    Col::keep("EXPIRES (UTC)", "EXPIRES"),
    Col::keep("SOURCE", "SOURCE").drop_first(1),
    Col::wrap("CONDITION", FLOOR).then_drop(2),
];

/// `jit revoke` and `jit cleanup`, fitted to `width` columns (`None`: every column in full).
pub fn removal_fit(
    out: &RemovalOutput,
    format: Format,
    width: Option<usize>,
    w: &mut dyn Write,
) -> Result<(), Error> {
    if format != Format::Table {
        return structured(out, format, w);
    }
    if !out.removed.is_empty() {
        let cells: Vec<Vec<String>> = out
            .removed
            .iter()
            .map(|r| {
                row(vec![
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
                ])
            })
            .collect();
        render(&REMOVAL, &cells, width, w)?;
    }
    writeln!(w, "{}", removal_summary(out)).map_err(io)?;
    Ok(())
}

/// The columns of `jit history`: a narrow terminal loses SOURCE, GRANTED BY and the log entry
/// first, then REASON wraps and goes.
const HISTORY: [Col; 10] = [
    Col::keep("TIME (UTC)", "TIME"),
    Col::wrap("ACTION", FLOOR),
    Col::wrap("RESOURCE", FLOOR),
    Col::wrap("ROLE", FLOOR),
    Col::wrap("MEMBER", FLOOR),
    Col::wrap("BY", FLOOR),
    Col::keep("EXPIRES (UTC)", "EXPIRES"),
    Col::keep("SOURCE", "SOURCE").drop_first(2),
    Col::wrap("REASON", FLOOR).then_drop(3),
    Col::keep("LOG ENTRY", "ENTRY").drop_first(1),
];

/// The one BY of a history row (issue 19 item 9): who wrote, as the audit log says, with the
/// person behind a service account acted through (`alice@example.com via ci@…`, a chain as
/// `alice@… via a@… via ci@…`); when the log names nobody, who the condition says granted it
/// (`user:alice@example.com (condition)`); else `-`.
fn history_by(e: &crate::history::Event) -> String {
    match (&e.by, &e.granted_by) {
        (Some(by), _) if e.delegation_chain.is_empty() => by.clone(),
        (Some(by), _) => format!("{} via {by}", e.delegation_chain.join(" via ")),
        (None, Some(granted)) => format!("{granted} (condition)"),
        (None, None) => "-".into(),
    }
}

/// `jit history`, fitted to the terminal ([`table_width`]).
pub fn history(
    events: &[crate::history::Event],
    format: Format,
    since: DateTime<Utc>,
    w: &mut dyn Write,
) -> Result<(), Error> {
    history_fit(events, format, since, table_width(), w)
}

/// `jit history` fitted to `width` columns (`None`: every column in full). Oldest first; the
/// table's EXPIRES is the end after the change (for extended or shortened access, `OLD → NEW`).
pub fn history_fit(
    events: &[crate::history::Event],
    format: Format,
    since: DateTime<Utc>,
    width: Option<usize>,
    w: &mut dyn Write,
) -> Result<(), Error> {
    if format != Format::Table {
        return structured(&events, format, w);
    }
    if events.is_empty() {
        return writeln!(w, "No changes to time-bound access since {}.", utc(since)).map_err(io);
    }
    let cells: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let expires = match e.previous_expires {
                Some(before) => format!("{} → {}", utc(before), opt(e.expires)),
                None => opt(e.expires),
            };
            row(vec![
                utc(e.time),
                e.action.as_str().to_string(),
                e.resource.clone(),
                e.role.clone(),
                e.member.clone(),
                history_by(e),
                expires,
                e.source.to_string(),
                e.reason.clone().unwrap_or_default(),
                e.insert_id.clone(),
            ])
        })
        .collect();
    render(&HISTORY, &cells, width, w)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

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
    fn columns_is_a_positive_number_or_nothing() {
        for (value, want) in
            [(Some("80"), Some(80)), (Some(" 132\n"), Some(132)), (Some("0"), None), (Some("-5"), None)]
                .into_iter()
                .chain([(Some(""), None), (Some("wide"), None), (Some("80x24"), None), (None, None)])
        {
            assert_eq!(parse_columns(value), want, "{value:?}");
        }
    }
    #[test]
    fn cells_wrap_at_spaces_only_and_never_cut_a_word() {
        for (text, width, want) in [
            ("scheduled, starts in 5h", 10, "scheduled,\nstarts in\n5h"),
            // Identifiers hold no space: they stay whole, wider than asked (issue 19 item 7).
            ("projects/my-project", 10, "projects/my-project"),
            ("roles/storage.objectViewer", 12, "roles/storage.objectViewer"),
            ("user:gimme@example.com", 10, "user:gimme@example.com"),
            (
                "jit until 2026-11-25T14:00:00Z: request.time",
                20,
                "jit until\n2026-11-25T14:00:00Z:\nrequest.time",
            ),
            ("fits", 10, "fits"),
            ("a b", 1, "a\nb"),
        ] {
            assert_eq!(wrap_cell(text, width), want, "{text:?} at {width}");
        }
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
