//! JSON (pretty, every terminal control escaped) and YAML (quoted where a parser would read
//! another type) of any report: the shape docs/output.md documents.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use crate::cli::Format;
use crate::error::Error;
use crate::text::is_terminal_control;

pub(super) fn io(e: std::io::Error) -> Error {
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
