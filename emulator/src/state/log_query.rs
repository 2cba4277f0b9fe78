//! The part of the Logging query language (<https://cloud.google.com/logging/docs/view/logging-query-language>)
//! that jit and `gcloud logging read` send, evaluated over `LogEntry` JSON. Anything else is an
//! error, never a silent match-all: a filter the emulator cannot read answers 400.
//!
//! What is understood, each as that page describes it:
//!
//! - comparisons `FIELD OP VALUE` with `=`, `!=`, `<`, `<=`, `>`, `>=` and `:` (has: the value
//!   occurs anywhere in the field); `FIELD:*` (the field is present); `FIELD OP (V1 OR V2 …)`;
//! - `AND`, `OR`, `NOT` (capitals), `-` for `NOT`, juxtaposition for `AND`, parentheses. `NOT`
//!   binds tightest, then `OR`, then `AND`: the page's own example reads
//!   `"a" OR NOT "b" AND NOT "c" OR "d"` as `("a" OR (NOT "b")) AND ((NOT "c") OR "d")`;
//! - values: quoted strings (with `\"` and `\\`) or bare words;
//! - "String comparisons aren't case sensitive";
//! - a path through a repeated field (`protoPayload.serviceData.policyDelta.bindingDeltas.role`)
//!   matches when any element matches;
//! - `timestamp` and `receiveTimestamp` compare as instants (RFC 3339 values), `severity` by its
//!   rank (`DEFAULT` < `DEBUG` < … < `EMERGENCY`), numbers as numbers.
//!
//! Refused with 400: global restrictions (a value with no field), regular expressions (`=~`,
//! `!~`), functions (`log_id(…)`, `SEARCH(…)`, `sample(…)`, …), quoted path segments, and
//! malformed text.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    All,
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare { path: Vec<String>, op: Op, value: String },
    Present(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Has,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Op(Op),
    Minus,
    /// A quoted string.
    Quoted(String),
    /// A bare word (field path, value, or keyword).
    Word(String),
}

/// The longest filter Google takes ("The maximum length of a filter is 20,000 characters",
/// `ListLogEntriesRequest.filter` in logging/v2/logging-api.json).
pub const MAX_FILTER_CHARS: usize = 20_000;

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '@' | '%' | '*' | '+' | '$' | '#' | '\'')
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '=' => {
                chars.next();
                if chars.peek() == Some(&'~') {
                    return Err("regular expressions (`=~`) are not supported by the emulator".into());
                }
                out.push(Token::Op(Op::Eq));
            }
            '!' => {
                chars.next();
                match chars.next() {
                    Some('=') => out.push(Token::Op(Op::Ne)),
                    Some('~') => {
                        return Err("regular expressions (`!~`) are not supported by the emulator".into());
                    }
                    _ => return Err("`!` must be followed by `=`".into()),
                }
            }
            '<' | '>' => {
                chars.next();
                let eq = chars.peek() == Some(&'=');
                if eq {
                    chars.next();
                }
                out.push(Token::Op(match (c, eq) {
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    _ => Op::Ge,
                }));
            }
            ':' => {
                chars.next();
                out.push(Token::Op(Op::Has));
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated string".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e) => s.push(e),
                            None => return Err("unterminated string".into()),
                        },
                        Some(ch) => s.push(ch),
                    }
                }
                out.push(Token::Quoted(s));
            }
            '-' if out.last().is_none_or(|t| !matches!(t, Token::Op(_))) => {
                // `-` before a comparison is NOT; inside a word it is part of it (`jit-demo-prod`).
                chars.next();
                if chars.peek().is_none_or(|n| n.is_whitespace()) {
                    return Err("`-` must be followed by a comparison".into());
                }
                out.push(Token::Minus);
            }
            c if is_word_char(c) => {
                let mut s = String::new();
                while let Some(&ch) = chars.peek() {
                    if !is_word_char(ch) {
                        break;
                    }
                    s.push(ch);
                    chars.next();
                }
                out.push(Token::Word(s));
            }
            other => return Err(format!("unexpected character `{other}`")),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == k)
    }

    /// `and := or { [AND] or }`
    fn and(&mut self) -> Result<Filter, String> {
        let mut parts = vec![self.or()?];
        loop {
            match self.peek() {
                None | Some(Token::Close) => break,
                _ if self.keyword("AND") => {
                    self.at += 1;
                    parts.push(self.or()?);
                }
                _ => parts.push(self.or()?),
            }
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::And(parts) })
    }

    /// `or := unary { OR unary }`
    fn or(&mut self) -> Result<Filter, String> {
        let mut parts = vec![self.unary()?];
        while self.keyword("OR") {
            self.at += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::Or(parts) })
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("NOT") || self.peek() == Some(&Token::Minus) {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Filter, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.and()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("missing `)`".into()),
                }
            }
            Some(Token::Word(w)) if ["AND", "OR"].contains(&w.as_str()) => {
                Err(format!("`{w}` needs a comparison before it"))
            }
            Some(Token::Word(path)) => {
                if self.peek() == Some(&Token::Open) {
                    return Err(format!("functions (`{path}(…)`) are not supported by the emulator"));
                }
                let Some(Token::Op(op)) = self.next() else {
                    return Err(format!(
                        "global restrictions (`{path}` without a field and operator) are not supported by the emulator"
                    ));
                };
                let path = parse_path(&path)?;
                self.value(path, op)
            }
            Some(Token::Quoted(q)) => Err(format!(
                "global restrictions (`\"{q}\"` without a field and operator) are not supported by the emulator"
            )),
            Some(t) => Err(format!("unexpected {}", describe(&t))),
            None => Err("the filter ends where a comparison was expected".into()),
        }
    }

    fn value(&mut self, path: Vec<String>, op: Op) -> Result<Filter, String> {
        match self.next() {
            Some(Token::Quoted(v)) => Ok(Filter::Compare { path, op, value: v }),
            Some(Token::Word(v)) if op == Op::Has && v == "*" => Ok(Filter::Present(path)),
            Some(Token::Word(v)) if !["AND", "OR", "NOT"].contains(&v.as_str()) => {
                Ok(Filter::Compare { path, op, value: v })
            }
            Some(Token::Open) => {
                // `FIELD OP (V1 OR V2 …)`.
                let mut values = Vec::new();
                loop {
                    match self.next() {
                        Some(Token::Quoted(v)) => values.push(v),
                        Some(Token::Word(v)) if !["AND", "OR", "NOT"].contains(&v.as_str()) => values.push(v),
                        _ => return Err("a list of values is `(V1 OR V2 …)`".into()),
                    }
                    match self.next() {
                        Some(Token::Close) => break,
                        Some(Token::Word(w)) if w == "OR" => continue,
                        _ => return Err("a list of values is `(V1 OR V2 …)`".into()),
                    }
                }
                let alternatives: Vec<Filter> = values
                    .into_iter()
                    .map(|value| Filter::Compare { path: path.clone(), op, value })
                    .collect();
                Ok(if alternatives.len() == 1 {
                    alternatives.into_iter().next().expect("one")
                } else {
                    Filter::Or(alternatives)
                })
            }
            _ => Err(format!("a value is missing after `{}`", path.join("."))),
        }
    }
}

fn describe(t: &Token) -> String {
    match t {
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
        Token::Op(_) => "an operator".into(),
        Token::Minus => "`-`".into(),
        Token::Quoted(q) => format!("\"{q}\""),
        Token::Word(w) => format!("`{w}`"),
    }
}

fn parse_path(path: &str) -> Result<Vec<String>, String> {
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    if parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '@')) {
        return Err(format!("`{path}` is not a field path the emulator reads"));
    }
    Ok(parts)
}

/// Parses a filter; an empty one matches everything.
pub fn parse(text: &str) -> Result<Filter, String> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(format!("the filter is longer than {MAX_FILTER_CHARS} characters"));
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Ok(Filter::All);
    }
    let mut p = Parser { tokens, at: 0 };
    let f = p.and()?;
    match p.next() {
        None => Ok(f),
        Some(t) => Err(format!("unexpected {}", describe(&t))),
    }
}

/// Whether some leaf value at `path` in `v` (through arrays) satisfies `f`; no allocation, as it
/// runs for every entry of the log.
fn any_leaf(v: &Value, path: &[String], f: &mut dyn FnMut(&Value) -> bool) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| any_leaf(i, path, f)),
        _ => match path.split_first() {
            None => f(v),
            Some((head, rest)) => v.get(head.as_str()).is_some_and(|child| any_leaf(child, rest, f)),
        },
    }
}

/// Case-insensitive "contains" without allocating when both are ASCII.
fn contains_ignoring_case(text: &str, wanted: &str) -> bool {
    if text.is_ascii() && wanted.is_ascii() {
        let (t, w) = (text.as_bytes(), wanted.as_bytes());
        return w.is_empty() || t.windows(w.len()).any(|window| window.eq_ignore_ascii_case(w));
    }
    text.to_lowercase().contains(&wanted.to_lowercase())
}

/// Case-insensitive ordering without allocating when both are ASCII.
fn cmp_ignoring_case(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        let lower = |s: &str| s.bytes().map(|c| c.to_ascii_lowercase()).collect::<Vec<u8>>();
        if a.eq_ignore_ascii_case(b) {
            return std::cmp::Ordering::Equal;
        }
        return lower(a).cmp(&lower(b));
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn severity_rank(s: &str) -> Option<i64> {
    // <https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#logseverity>
    Some(match s.to_ascii_uppercase().as_str() {
        "DEFAULT" => 0,
        "DEBUG" => 100,
        "INFO" => 200,
        "NOTICE" => 300,
        "WARNING" => 400,
        "ERROR" => 500,
        "CRITICAL" => 600,
        "ALERT" => 700,
        "EMERGENCY" => 800,
        n => return n.parse().ok(),
    })
}

fn is_time_field(path: &[String]) -> bool {
    matches!(path, [p] if p == "timestamp" || p == "receiveTimestamp")
}

fn text_of(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(std::borrow::Cow::Owned(b.to_string())),
        _ => None,
    }
}

fn compare(path: &[String], op: Op, actual: &Value, wanted: &str) -> Result<bool, String> {
    let Some(text) = text_of(actual) else { return Ok(false) };
    if op == Op::Has {
        return Ok(contains_ignoring_case(&text, wanted));
    }
    let ordering = if is_time_field(path) {
        let w = parse_time(wanted)?;
        match DateTime::parse_from_rfc3339(&text) {
            Ok(a) => a.with_timezone(&Utc).cmp(&w),
            Err(_) => return Ok(false),
        }
    } else if matches!(path, [p] if p == "severity") {
        match (severity_rank(&text), severity_rank(wanted)) {
            (Some(a), Some(w)) => a.cmp(&w),
            _ => return Err(format!("`{wanted}` is not a severity")),
        }
    } else if let (Ok(a), Ok(w)) = (text.parse::<f64>(), wanted.parse::<f64>()) {
        a.partial_cmp(&w).unwrap_or(std::cmp::Ordering::Equal)
    } else {
        cmp_ignoring_case(&text, wanted)
    };
    use std::cmp::Ordering::*;
    Ok(match op {
        Op::Eq => ordering == Equal,
        Op::Ne => ordering != Equal,
        Op::Lt => ordering == Less,
        Op::Le => ordering != Greater,
        Op::Gt => ordering == Greater,
        Op::Ge => ordering != Less,
        Op::Has => unreachable!("handled above"),
    })
}

/// An instant: RFC 3339, or ISO 8601 with an offset without its colon (`+0000`), which
/// google-cloud-logging's Python client writes into the default filter it adds
/// (`_add_defaults_to_filter`, `strftime("%Y-%m-%dT%H:%M:%S.%f%z")`) and Logging accepts.
fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{s}` is not an RFC 3339 timestamp"))
}

/// Checks what evaluation would only find out later (a timestamp or severity that does not
/// parse), so that a bad value is a 400 even when no entry reaches it.
pub fn validate(f: &Filter) -> Result<(), String> {
    match f {
        Filter::All | Filter::Present(_) => Ok(()),
        Filter::And(parts) | Filter::Or(parts) => parts.iter().try_for_each(validate),
        Filter::Not(inner) => validate(inner),
        Filter::Compare { path, op, value } => {
            if *op != Op::Has && is_time_field(path) {
                parse_time(value)?;
            }
            if *op != Op::Has
                && matches!(path.as_slice(), [p] if p == "severity")
                && severity_rank(value).is_none()
            {
                return Err(format!("`{value}` is not a severity"));
            }
            Ok(())
        }
    }
}

/// Whether `entry` matches `f` (validated first: evaluation cannot fail after [`validate`]).
pub fn matches(f: &Filter, entry: &Value) -> bool {
    match f {
        Filter::All => true,
        Filter::And(parts) => parts.iter().all(|p| matches(p, entry)),
        Filter::Or(parts) => parts.iter().any(|p| matches(p, entry)),
        Filter::Not(inner) => !matches(inner, entry),
        Filter::Present(path) => any_leaf(entry, path, &mut |_| true),
        Filter::Compare { path, op, value } => {
            if *op == Op::Ne {
                // "not equal": no element equals the value (a missing field included).
                return !any_leaf(entry, path, &mut |a| compare(path, Op::Eq, a, value).unwrap_or(false));
            }
            any_leaf(entry, path, &mut |a| compare(path, *op, a, value).unwrap_or(false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry() -> Value {
        json!({
            "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
            "timestamp": "2026-11-25T12:00:00.000001Z",
            "severity": "NOTICE",
            "protoPayload": {
                "methodName": "SetIamPolicy",
                "serviceName": "cloudresourcemanager.googleapis.com",
                "serviceData": {"policyDelta": {"bindingDeltas": [
                    {"action": "ADD", "role": "roles/logging.viewer", "member": "user:bob@example.com"},
                    {"action": "REMOVE", "role": "roles/storage.admin", "member": "user:carol@example.com"}
                ]}}
            }
        })
    }

    fn m(filter: &str) -> bool {
        let f = parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
        validate(&f).unwrap();
        matches(&f, &entry())
    }

    #[test]
    fn comparisons() {
        assert!(m(r#"logName="projects/p/logs/cloudaudit.googleapis.com%2Factivity""#));
        assert!(m(r#"protoPayload.methodName="setiampolicy""#), "string comparisons ignore case");
        assert!(!m(r#"protoPayload.methodName="GetIamPolicy""#));
        assert!(m(r#"protoPayload.methodName:"IamPolicy""#));
        assert!(m(r#"protoPayload.methodName!="GetIamPolicy""#));
        assert!(m(r#"timestamp>="2026-11-25T11:00:00Z" AND timestamp<"2026-11-25T12:00:01Z""#));
        assert!(!m(r#"timestamp>"2026-11-25T12:00:00.5Z""#));
        assert!(m(r#"timestamp>="2026-11-25T13:00:00+01:00""#), "offsets are instants");
        assert!(m("severity>=NOTICE AND severity<ERROR"));
        assert!(
            m("protoPayload.serviceData.policyDelta.bindingDeltas.role=\"roles/storage.admin\""),
            "any element"
        );
        assert!(m("protoPayload.serviceData:*"));
        assert!(!m("protoPayload.status:*"));
        assert!(m(r#"protoPayload.methodName=("GetIamPolicy" OR "SetIamPolicy")"#));
        assert!(contains_ignoring_case("Ünïcode Name", "ünï") && !contains_ignoring_case("abc", "abcd"));
        assert_eq!(cmp_ignoring_case("ABC", "abd"), std::cmp::Ordering::Less);
    }

    #[test]
    fn boolean_operators_bind_as_google_documents() {
        // NOT, then OR, then AND: (a OR NOT b) AND (NOT c OR d).
        let f = parse(r#"x="a" OR NOT y="b" AND NOT z="c" OR w="d""#).unwrap();
        let cmp = |p: &str, v: &str| Filter::Compare { path: vec![p.into()], op: Op::Eq, value: v.into() };
        assert_eq!(
            f,
            Filter::And(vec![
                Filter::Or(vec![cmp("x", "a"), Filter::Not(Box::new(cmp("y", "b")))]),
                Filter::Or(vec![Filter::Not(Box::new(cmp("z", "c"))), cmp("w", "d")]),
            ])
        );
        assert!(
            m(r#"-protoPayload.methodName="GetIamPolicy" severity=NOTICE"#),
            "- is NOT, juxtaposition AND"
        );
        assert!(!m(r#"NOT (severity=NOTICE OR severity=ERROR)"#));
        assert!(m(r#"logName:"projects/jit-demo-prod" OR severity=NOTICE"#));
    }

    #[test]
    fn anything_else_is_an_error_never_a_match_all() {
        for bad in [
            "robot",
            r#""The cat in the hat""#,
            r#"protoPayload.methodName=~"Set.*""#,
            r#"log_id("cloudaudit.googleapis.com/activity")"#,
            r#"SEARCH("x")"#,
            r#"severity="#,
            r#"(severity=NOTICE"#,
            r#"severity=NOTICE)"#,
            r#"x="unterminated"#,
            "AND severity=NOTICE",
            r#"labels."a/b"="c""#,
        ] {
            assert!(parse(bad).is_err(), "{bad} parsed");
        }
        for bad in [r#"timestamp>="yesterday""#, "severity>=LOUD"] {
            assert!(validate(&parse(bad).unwrap()).is_err(), "{bad} validated");
        }
        assert!(parse(&"a".repeat(MAX_FILTER_CHARS + 1)).is_err());
        assert_eq!(parse("  ").unwrap(), Filter::All);
    }
}
