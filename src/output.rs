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

use chrono::{DateTime, Local, TimeZone, Utc};
use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};
use serde::Serialize;
use serde_json::Value;

pub use crate::text::{Escaped, escape, is_terminal_control};

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

fn io(e: std::io::Error) -> Error {
    Error::io(format!("cannot write the output: {e}"))
}

/// JSON (pretty, newline-terminated) or YAML of any report.
pub fn structured<T: Serialize>(value: &T, format: Format, w: &mut dyn Write) -> Result<(), Error> {
    match format {
        Format::Yaml => {
            let value = serde_json::to_value(value).map_err(|e| Error::io(e.to_string()))?;
            w.write_all(yaml(&value).as_bytes()).map_err(io)
        }
        _ => {
            let text = serde_json::to_string_pretty(value).map_err(|e| Error::io(e.to_string()))?;
            w.write_all(json_inert(&text).as_bytes()).map_err(io)?;
            writeln!(w).map_err(io)
        }
    }
}

/// YAML of a JSON value, block style, read back by any YAML parser as the same document (issue 17
/// item 7): a string is written plain only when no YAML 1.1 or 1.2 parser could read it as
/// anything else (`yes`, `2026-12-07`, `1_000`, `=`, `<<`, `~` are quoted), and a quoted string is
/// JSON's double-quoted form, which YAML reads the same, with every terminal control (bidi
/// included) as `\uXXXX`.
fn yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Array(a) if !a.is_empty() => yaml_seq(a, 0, &mut out),
        Value::Object(m) if !m.is_empty() => yaml_map(m, 0, false, &mut out),
        _ => {
            out.push_str(&yaml_scalar(v));
            out.push('\n');
        }
    }
    out
}

fn yaml_map(m: &serde_json::Map<String, Value>, indent: usize, inline_first: bool, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if !(inline_first && i == 0) {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_string(k));
        out.push(':');
        match v {
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                yaml_seq(a, indent, out);
            }
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                yaml_map(inner, indent + 2, false, out);
            }
            _ => {
                out.push(' ');
                out.push_str(&yaml_scalar(v));
                out.push('\n');
            }
        }
    }
}

fn yaml_seq(a: &[Value], indent: usize, out: &mut String) {
    for item in a {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                yaml_map(m, indent + 2, true, out);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                yaml_seq(inner, indent + 2, out);
            }
            _ => {
                out.push(' ');
                out.push_str(&yaml_scalar(item));
                out.push('\n');
            }
        }
    }
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// `text` plain when it starts with a letter, holds only letters, digits and `._/:@()-,+` and
/// single spaces (no `: `, no ` #`, no space at the end), and is none of YAML 1.1's words for
/// booleans and null; else double-quoted.
fn yaml_string(text: &str) -> String {
    const WORDS: [&str; 12] =
        ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "no"];
    let plain = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || " ._/:@()-,+".contains(c))
        && !text.contains(": ")
        && !text.ends_with(':')
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !WORDS.contains(&text.to_ascii_lowercase().as_str());
    if plain {
        return text.to_string();
    }
    let quoted = serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"));
    json_inert(&quoted).into_owned()
}

/// serde_json escapes the C0 controls inside strings (RFC 8259 §7 requires it) but writes DEL, the
/// C1 controls and the bidirectional characters as they are; written as `\uXXXX` they are the same
/// value to any JSON parser and inert on a terminal. Outside strings the pretty printer writes only
/// ASCII punctuation, spaces and newlines, so every such character found is inside a string.
fn json_inert(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| u32::from(c) >= 0x7f && is_terminal_control(c);
    // Every such character is DEL or outside ASCII: a text of ASCII below DEL (the common case,
    // checked a word at a time) has none.
    if text.bytes().all(|b| b < 0x7f) || !text.chars().any(unsafe_char) {
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

/// COLUMNS' value when it is a positive number (`config::Env` reads the variable).
pub fn parse_columns(value: Option<&str>) -> Option<usize> {
    value?.trim().parse::<usize>().ok().filter(|&w| w > 0)
}

/// The width tables fit, as `config::Env` found it when jit started (COLUMNS, else the width of
/// the terminal on stdout), set once by `jit::run`; none (unset, or a pipe or a file): every
/// column in full, one line per row. (A report on stderr follows the same width: it goes to the
/// same terminal when stdout is one.)
static TABLE_WIDTH: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();

/// Sets the width of [`table_width`], once per process (`jit::run`).
pub fn set_table_width(width: Option<usize>) {
    let _ = TABLE_WIDTH.set(width);
}

pub fn table_width() -> Option<usize> {
    TABLE_WIDTH.get().copied().flatten()
}

/// Spaces between two columns.
const GAP: usize = 2;
/// The narrowest a wrapped column gets, unless its content is narrower.
const FLOOR: usize = 10;

/// A column of a table, and how it gives way when the table is fitted to a width.
#[derive(Debug, Clone, Copy)]
struct Col {
    header: &'static str,
    /// The header of a fitted table.
    short: &'static str,
    /// The narrowest the column may be wrapped to; `None`: never wrapped (a timestamp cut in two is
    /// worse than a missing column).
    wrap: Option<usize>,
    /// Dropped when the table does not fit, lowest rank first.
    drop: Option<u8>,
    /// Dropped before any cell is wrapped (a column a person rarely needs).
    drop_first: bool,
}

impl Col {
    const fn keep(header: &'static str, short: &'static str) -> Col {
        Col { header, short, wrap: None, drop: None, drop_first: false }
    }

    const fn wrap(header: &'static str, floor: usize) -> Col {
        Col { header, short: header, wrap: Some(floor), drop: None, drop_first: false }
    }

    const fn short(self, short: &'static str) -> Col {
        Col { short, ..self }
    }

    /// Dropped when even wrapped the table does not fit.
    const fn then_drop(self, rank: u8) -> Col {
        Col { drop: Some(rank), ..self }
    }

    /// Dropped before anything is wrapped.
    const fn drop_first(self, rank: u8) -> Col {
        Col { drop: Some(rank), drop_first: true, ..self }
    }
}

fn table(header: Vec<&str>, rows: &[Vec<String>]) -> Table {
    let mut t = Table::new();
    // Cells are wrapped only to the widths `fit` chose; with no width, one line per row.
    t.load_preset(presets::NOTHING).set_content_arrangement(ContentArrangement::Disabled).set_header(header);
    for row in rows {
        t.add_row(row.clone());
    }
    // Two spaces between columns and none before the first: a line starts with its first cell, so
    // `grep '^granted'` and copy-paste work.
    for column in t.column_iter_mut() {
        column.set_padding((0, GAP as u16));
    }
    t
}

/// Writes a table of `cols` and `rows` (cells already escaped) fitted to `width`: unchanged when it
/// fits (or no width is known). Else a column whose value is the same on every row becomes a line
/// above the table (`RESOURCE: projects/p`), headers get short, the columns that give way first go,
/// then cells wrap at spaces only, so that an identifier (a resource, role, member or time, which
/// holds none) is never broken (issue 19 item 7); what still does not fit overflows, as gcloud's
/// tables do.
fn render(cols: &[Col], rows: &[Vec<String>], width: Option<usize>, w: &mut dyn Write) -> Result<(), Error> {
    let full = table(cols.iter().map(|c| c.header).collect(), rows);
    let Some(width) = width.filter(|&width| line_width(&widths(&full), 0..cols.len()) > width) else {
        return write_table(&full, w);
    };
    // Columns with one value on every row (of two or more rows) become heading lines.
    let constant = |i: usize| {
        rows.len() > 1
            && !rows[0][i].is_empty()
            && !rows[0][i].contains('\n')
            && rows.iter().all(|r| r[i] == rows[0][i])
    };
    let hoisted: Vec<usize> =
        (0..cols.len()).filter(|&i| !cols[i].header.is_empty() && constant(i)).collect();
    for &i in &hoisted {
        writeln!(w, "{}: {}", cols[i].header, rows[0][i]).map_err(io)?;
    }
    let kept: Vec<usize> = (0..cols.len()).filter(|i| !hoisted.contains(i)).collect();
    let cols: Vec<Col> = kept.iter().map(|&i| cols[i]).collect();
    let rows: Vec<Vec<String>> = rows.iter().map(|r| kept.iter().map(|&i| r[i].clone()).collect()).collect();
    let short = table(cols.iter().map(|c| c.short).collect(), &rows);
    let natural = widths(&short);
    if line_width(&natural, 0..cols.len()) <= width {
        return write_table(&short, w);
    }
    let longest_word: Vec<usize> = (0..cols.len())
        .map(|i| {
            rows.iter()
                .flat_map(|r| r[i].split([' ', '\n']))
                .chain(std::iter::once(cols[i].short))
                .map(|word| word.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let (shown, fitted) = fit(&cols, &natural, &longest_word, width);
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| shown.iter().zip(&fitted).map(|(&i, &width)| wrap_cell(&row[i], width)).collect())
        .collect();
    let mut t = table(shown.iter().map(|&i| cols[i].short).collect(), &rows);
    for (column, content) in t.column_iter_mut().zip(fitted) {
        let total = u16::try_from(content + GAP).unwrap_or(u16::MAX);
        column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(total)));
    }
    write_table(&t, w)
}

/// `text` in lines of at most `width` characters, broken at spaces only (dropped there); a word
/// longer than `width` keeps its own line whole: an identifier is never cut.
pub fn wrap_cell(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let len = line.chars().count();
            if len > 0 && len + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// The widest content (header included) of each column.
fn widths(t: &Table) -> Vec<usize> {
    t.column_max_content_widths().into_iter().map(usize::from).collect()
}

fn line_width(widths: &[usize], shown: impl IntoIterator<Item = usize>) -> usize {
    let (sum, n) = shown.into_iter().fold((0, 0usize), |(sum, n), i| (sum + widths[i], n + 1));
    sum + GAP * n.saturating_sub(1)
}

/// Which columns to show, and the content width of each, for a line of at most `width`
/// characters (more only when even the narrowest table of the columns kept is wider).
///
/// Columns that may be dropped are wrapped before those that may not; one is dropped, lowest rank
/// first, when it gives way before any wrapping (`drop_first`), when a column that is never
/// dropped would have to wrap, or when nothing else fits.
fn fit(cols: &[Col], natural: &[usize], longest_word: &[usize], width: usize) -> (Vec<usize>, Vec<usize>) {
    // A wrapped column is never narrower than its longest word (nothing is cut inside a word), nor,
    // when its content allows, than its floor.
    let narrowest: Vec<usize> = cols
        .iter()
        .zip(natural)
        .zip(longest_word)
        .map(|((c, &n), &word)| match c.wrap {
            None => n,
            Some(floor) => n.min(floor.max(c.short.chars().count())).max(word),
        })
        .collect();
    let mut shown: Vec<usize> = (0..cols.len()).collect();
    loop {
        let fitted = wrap(cols, natural, &narrowest, &shown, width);
        if line_width(natural, shown.iter().copied()) <= width {
            return (shown, fitted);
        }
        let Some(next) =
            shown.iter().copied().filter(|&i| cols[i].drop.is_some()).min_by_key(|&i| cols[i].drop)
        else {
            return (shown, fitted);
        };
        let kept_wraps = shown.iter().zip(&fitted).any(|(&i, &f)| cols[i].drop.is_none() && f < natural[i]);
        if !(cols[next].drop_first || kept_wraps || line_width(&narrowest, shown.iter().copied()) > width) {
            return (shown, fitted);
        }
        shown.retain(|&i| i != next);
    }
}

/// The content width of each shown column: wrappable columns are cut to a cap, the widest first,
/// those that may be dropped before the others.
fn wrap(cols: &[Col], natural: &[usize], narrowest: &[usize], shown: &[usize], width: usize) -> Vec<usize> {
    let room = width.saturating_sub(GAP * shown.len().saturating_sub(1));
    let at = |kept_cap: usize, drop_cap: usize| -> Vec<usize> {
        shown
            .iter()
            .map(|&i| match cols[i].wrap {
                None => natural[i],
                Some(_) => {
                    let cap = if cols[i].drop.is_some() { drop_cap } else { kept_cap };
                    natural[i].min(cap.max(narrowest[i]))
                }
            })
            .collect()
    };
    let sum = |v: &[usize]| v.iter().sum::<usize>();
    let widest = shown.iter().map(|&i| natural[i]).max().unwrap_or(0);
    let mut drop_cap = widest;
    while drop_cap > 0 && sum(&at(widest, drop_cap)) > room {
        drop_cap -= 1;
    }
    let mut kept_cap = widest;
    while kept_cap > 0 && sum(&at(kept_cap, drop_cap)) > room {
        kept_cap -= 1;
    }
    let mut fitted = at(kept_cap, drop_cap);
    // What is left over (less than a character for each column at its cap) goes to the first
    // wrapped columns.
    let mut spare = room.saturating_sub(sum(&fitted));
    for (k, &i) in shown.iter().enumerate() {
        if spare > 0 && cols[i].wrap.is_some() && fitted[k] < natural[i] {
            fitted[k] += 1;
            spare -= 1;
        }
    }
    fitted
}

/// Writes a table without the padding that ends every line.
fn write_table(t: &Table, w: &mut dyn Write) -> Result<(), Error> {
    for line in t.lines() {
        writeln!(w, "{}", line.trim_end()).map_err(io)?;
    }
    Ok(())
}

/// A plain table of `header` and `rows` in jit's layout, every cell escaped (the reports of
/// `delegate`, `list --delegations` and `audit`).
pub fn plain_table(
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    w: &mut dyn Write,
) -> Result<(), Error> {
    // Fitted to the terminal as every table is (issue 12 item 5): each column may wrap.
    let cols: Vec<Col> = header.into_iter().map(|h| Col::wrap(h, FLOOR)).collect();
    let rows: Vec<Vec<String>> = rows.into_iter().map(row).collect();
    render(&cols, &rows, table_width(), w)
}

/// A row with every cell escaped.
fn row(cells: Vec<String>) -> Vec<String> {
    cells.into_iter().map(|c| escape(&c).into_owned()).collect()
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
const HISTORY: [Col; 11] = [
    Col::keep("TIME (UTC)", "TIME"),
    Col::wrap("ACTION", FLOOR),
    Col::wrap("RESOURCE", FLOOR),
    Col::wrap("ROLE", FLOOR),
    Col::wrap("MEMBER", FLOOR),
    Col::wrap("BY", FLOOR),
    Col::keep("EXPIRES (UTC)", "EXPIRES"),
    Col::keep("SOURCE", "SOURCE").drop_first(3),
    Col::wrap("GRANTED BY", FLOOR).drop_first(2),
    Col::wrap("REASON", FLOOR).then_drop(4),
    Col::keep("LOG ENTRY", "ENTRY").drop_first(1),
];

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
                e.by.clone().unwrap_or_else(|| "-".into()),
                expires,
                e.source.to_string(),
                e.granted_by.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                e.insert_id.clone(),
            ])
        })
        .collect();
    render(&HISTORY, &cells, width, w)
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
    fn fit_drops_then_wraps_and_never_cuts_a_fixed_column() {
        let cols = [
            Col::wrap("NAME", FLOOR),
            Col::keep("WHEN", "WHEN"),
            Col::keep("EXTRA", "EXTRA").drop_first(1),
            Col::wrap("NOTE", FLOOR).then_drop(2),
        ];
        let words = [4, 20, 10, 8];
        // Everything fits.
        assert_eq!(fit(&cols, &[20, 20, 10, 30], &words, 200), (vec![0, 1, 2, 3], vec![20, 20, 10, 30]));
        // EXTRA goes before anything wraps; then NOTE wraps, NAME stays whole.
        assert_eq!(fit(&cols, &[20, 20, 10, 30], &words, 70), (vec![0, 1, 3], vec![20, 20, 26]));
        // NOTE goes before NAME would wrap; then NAME wraps; WHEN is never cut.
        assert_eq!(fit(&cols, &[20, 20, 10, 30], &words, 50), (vec![0, 1], vec![20, 20]));
        assert_eq!(fit(&cols, &[20, 20, 10, 30], &words, 35), (vec![0, 1], vec![13, 20]));
        // Narrower than the narrowest: the floor, and a line wider than asked.
        assert_eq!(fit(&cols, &[20, 20, 10, 30], &words, 20), (vec![0, 1], vec![10, 20]));
        // A column of one long word (an identifier) is never made narrower than it (issue 19 item 7).
        assert_eq!(fit(&cols, &[20, 20, 10, 30], &[20, 20, 10, 8], 35), (vec![0, 1], vec![20, 20]));
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
