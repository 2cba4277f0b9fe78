//! Rendering: tables for people, JSON and YAML of one documented shape for programs
//! (docs/output.md). Everything writes to any `impl Write`.

use std::io::Write;

use chrono::{DateTime, Local, SecondsFormat, Utc};
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
            serde_json::to_writer_pretty(&mut *w, value).map_err(|e| Error::io(e.to_string()))?;
            writeln!(w).map_err(io)
        }
    }
}

/// `2026-11-25T14:00:00Z`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `2026-11-25 15:00 +01:00`, in the local time zone (TZ honoured).
pub fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M %:z").to_string()
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    // One line per row, never wrapped inside cells: a timestamp or an email cut in two is worse
    // than a long line, and a terminal that reports no size would squeeze every column to a letter.
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    t
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

/// `jit list`.
pub fn list(
    rows: &[TimedBinding],
    format: Format,
    now: DateTime<Utc>,
    w: &mut dyn Write,
) -> Result<(), Error> {
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
        t.add_row(vec![
            r.resource.clone(),
            r.role.clone(),
            r.member.clone(),
            state_cell(r, now),
            opt(r.expires),
            r.expires.map(local).unwrap_or_default(),
            timespec::remaining(r.expires, now),
            r.source.to_string(),
            r.granted_by.clone().unwrap_or_default(),
            r.reason.clone().unwrap_or_default(),
        ]);
    }
    writeln!(w, "{t}").map_err(io)
}

/// `jit grant`.
pub fn grant(out: &GrantOutput, format: Format, now: DateTime<Utc>, w: &mut dyn Write) -> Result<(), Error> {
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
            t.add_row(vec![
                what.to_string(),
                row.role.clone(),
                row.member.clone(),
                row.resource.clone(),
                expires,
                row.expires.map(local).unwrap_or_default(),
                timespec::remaining(row.expires, now),
            ]);
        }
        writeln!(w, "{t}").map_err(io)?;
    }
    for warning in &r.warnings {
        writeln!(w, "warning: {warning}").map_err(io)?;
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
            t.add_row(vec![
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
            ]);
        }
        writeln!(w, "{t}").map_err(io)?;
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
        writeln!(w, "failed: {}: {}", e.resource, e.message).map_err(io)?;
    }
    Ok(())
}
