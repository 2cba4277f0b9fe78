//! Text shown to a person: the one escaping of terminal controls (docs/output.md). A leaf: it
//! imports nothing of jit, so `error`, `iam`, `roles` and `output` can all use it.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

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
