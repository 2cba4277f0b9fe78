//! Tables for people: jit's layout (no borders, two spaces between columns, a line starts with
//! its first cell), fitted to the terminal's width by dropping, shortening and wrapping columns,
//! never cutting a word.

use std::io::Write;

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};

use super::structured::io;
use crate::error::Error;
use crate::text::escape;

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
pub(super) const FLOOR: usize = 10;

/// A column of a table, and how it gives way when the table is fitted to a width.
#[derive(Debug, Clone, Copy)]
pub(super) struct Col {
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
    pub(super) const fn keep(header: &'static str, short: &'static str) -> Col {
        Col { header, short, wrap: None, drop: None, drop_first: false }
    }

    pub(super) const fn wrap(header: &'static str, floor: usize) -> Col {
        Col { header, short: header, wrap: Some(floor), drop: None, drop_first: false }
    }

    pub(super) const fn short(self, short: &'static str) -> Col {
        Col { short, ..self }
    }

    /// Dropped when even wrapped the table does not fit.
    pub(super) const fn then_drop(self, rank: u8) -> Col {
        Col { drop: Some(rank), ..self }
    }

    /// Dropped before anything is wrapped.
    pub(super) const fn drop_first(self, rank: u8) -> Col {
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
pub(super) fn render(
    cols: &[Col],
    rows: &[Vec<String>],
    width: Option<usize>,
    w: &mut dyn Write,
) -> Result<(), Error> {
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
pub(super) fn row(cells: Vec<String>) -> Vec<String> {
    cells.into_iter().map(|c| escape(&c).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
