//! IAM Conditions: building jit's own, and reading the time bounds of anyone's (design §3).
//!
//! Pure: nothing here reads the clock; `now` is always an argument. Expressions are analysed on the
//! AST of the `cel` crate's parser, never with a regex, so `request.time<timestamp('…')`,
//! `timestamp("…") > request.time` and `(A && B) || C` all read the same way as Google reads them.
//! The one shortcut: an expression that is byte for byte one jit itself writes is read without the
//! parser (see `own_window`; tests hold it to the parser's reading).

use std::collections::HashMap;
use std::fmt;

use cel::common::ast::{Expr as Ast, LiteralValue};
use cel::{Context, IdedExpr, Program, Value};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::policy::Expr;

/// Google's limits on `google.type.Expr` in IAM Conditions.
/// <https://cloud.google.com/iam/docs/conditions-overview#limitations>
pub const TITLE_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 256;
pub const EXPRESSION_MAX: usize = 12_800;

/// Every title jit writes starts with this; it is how `source` recognises jit's bindings.
pub const TITLE_PREFIX: &str = "jit ";

/// One end of a time window: the instant, and whether the instant itself is inside the window
/// (`<=`/`>=`) or not (`<`/`>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub at: DateTime<Utc>,
    pub inclusive: bool,
}

impl Bound {
    fn upper_key(&self) -> (DateTime<Utc>, bool) {
        // A later instant ends later; at the same instant `<=` ends later than `<`.
        (self.at, self.inclusive)
    }

    fn lower_key(&self) -> (DateTime<Utc>, bool) {
        // A later instant starts later; at the same instant `>` starts later than `>=`.
        (self.at, !self.inclusive)
    }
}

/// The time window an expression can grant access in, as far as its structure tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// The expression is false at every time after this (U in design §3).
    pub upper: Option<Bound>,
    /// The expression is false at every time before this (L in design §3).
    pub lower: Option<Bound>,
}

/// Where a time-bound grant stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Scheduled,
    Active,
    Expired,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Scheduled => "scheduled",
            State::Active => "active",
            State::Expired => "expired",
        })
    }
}

impl Window {
    /// True when the expression can never be true at `t` or later.
    pub fn ended_by(&self, t: DateTime<Utc>) -> bool {
        match self.upper {
            Some(u) => t > u.at || (t == u.at && !u.inclusive),
            None => false,
        }
    }

    /// True when the expression cannot be true yet at `t`.
    pub fn not_started_at(&self, t: DateTime<Utc>) -> bool {
        match self.lower {
            Some(l) => t < l.at || (t == l.at && !l.inclusive),
            None => false,
        }
    }

    pub fn state(&self, now: DateTime<Utc>) -> State {
        if self.ended_by(now) {
            State::Expired
        } else if self.not_started_at(now) {
            State::Scheduled
        } else {
            State::Active
        }
    }

    pub fn is_time_bound(&self) -> bool {
        self.upper.is_some()
    }
}

/// A condition the `cel` parser rejects; carries the parser's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a CEL expression; the error is the parser's message. The `cel` parser is not written to be
/// panic-free on every input, so a panic is caught and reported as a parse error too.
pub fn parse(expression: &str) -> Result<Program, ParseError> {
    let owned = expression.to_string();
    let result = std::panic::catch_unwind(move || Program::compile(&owned));
    match result {
        Ok(Ok(program)) => Ok(program),
        Ok(Err(errors)) => Err(ParseError(errors.to_string())),
        Err(_) => Err(ParseError("the CEL parser could not read this expression".to_string())),
    }
}

/// The time window of an expression (design §3). A malformed expression is an error, never a panic.
pub fn window(expression: &str) -> Result<Window, ParseError> {
    match own_window(expression) {
        Some(w) => Ok(w),
        None => parsed_window(expression),
    }
}

/// [`window`] always through the parser and the AST.
pub fn parsed_window(expression: &str) -> Result<Window, ParseError> {
    let program = parse(expression)?;
    Ok(Window { upper: upper(program.expression()), lower: lower(program.expression()) })
}

/// The window of an expression that is exactly, byte for byte, one [`build`] writes:
/// `request.time < timestamp("E")` or `request.time >= timestamp("S") && request.time <
/// timestamp("E")` with both times in jit's own format. Anything else, down to a space or a
/// fractional second, is `None` and goes to the parser. This is not a second reading of CEL: it
/// recognises jit's own output, whose meaning the tests check against the parser's, and spares
/// the parser (about 90 µs an expression) on every jit binding of every policy.
fn own_window(expression: &str) -> Option<Window> {
    const FROM: &str = r#"request.time >= timestamp(""#;
    const UNTIL: &str = r#"request.time < timestamp(""#;
    const AND_UNTIL: &str = r#"") && request.time < timestamp(""#;
    const END: &str = r#"")"#;
    let (start, end) = match expression.strip_prefix(FROM) {
        Some(rest) => {
            let (start, rest) = rest.split_once(AND_UNTIL)?;
            (Some(start), rest.strip_suffix(END)?)
        }
        None => (None, expression.strip_prefix(UNTIL)?.strip_suffix(END)?),
    };
    // Only the exact text `format_timestamp` writes, so the whole expression is `build`'s.
    let own = |text: &str| parse_timestamp(text).filter(|t| format_timestamp(*t) == text);
    let lower = match start {
        Some(text) => Some(Bound { at: own(text)?, inclusive: true }),
        None => None,
    };
    Some(Window { upper: Some(Bound { at: own(end)?, inclusive: false }), lower })
}

fn upper(e: &IdedExpr) -> Option<Bound> {
    let Ast::Call(call) = &e.expr else { return None };
    match (call.func_name.as_str(), call.args.as_slice()) {
        ("_&&_", [a, b]) => match (upper(a), upper(b)) {
            (Some(x), Some(y)) => Some(if x.upper_key() <= y.upper_key() { x } else { y }),
            (x, y) => x.or(y),
        },
        ("_||_", [a, b]) => match (upper(a), upper(b)) {
            (Some(x), Some(y)) => Some(if x.upper_key() >= y.upper_key() { x } else { y }),
            _ => None,
        },
        (op, [a, b]) => match comparison(op, a, b)? {
            (Side::Upper, bound) => Some(bound),
            (Side::Lower, _) => None,
        },
        _ => None,
    }
}

fn lower(e: &IdedExpr) -> Option<Bound> {
    let Ast::Call(call) = &e.expr else { return None };
    match (call.func_name.as_str(), call.args.as_slice()) {
        ("_&&_", [a, b]) => match (lower(a), lower(b)) {
            (Some(x), Some(y)) => Some(if x.lower_key() >= y.lower_key() { x } else { y }),
            (x, y) => x.or(y),
        },
        ("_||_", [a, b]) => match (lower(a), lower(b)) {
            (Some(x), Some(y)) => Some(if x.lower_key() <= y.lower_key() { x } else { y }),
            _ => None,
        },
        (op, [a, b]) => match comparison(op, a, b)? {
            (Side::Lower, bound) => Some(bound),
            (Side::Upper, _) => None,
        },
        _ => None,
    }
}

enum Side {
    Upper,
    Lower,
}

/// `request.time OP timestamp("T")` or `timestamp("T") OP request.time`.
fn comparison(op: &str, a: &IdedExpr, b: &IdedExpr) -> Option<(Side, Bound)> {
    // Normalise to `request.time OP T`.
    let (op, t) = if is_request_time(a) {
        (op, timestamp_literal(b)?)
    } else if is_request_time(b) {
        let flipped = match op {
            "_<_" => "_>_",
            "_<=_" => "_>=_",
            "_>_" => "_<_",
            "_>=_" => "_<=_",
            _ => return None,
        };
        (flipped, timestamp_literal(a)?)
    } else {
        return None;
    };
    match op {
        "_<_" => Some((Side::Upper, Bound { at: t, inclusive: false })),
        "_<=_" => Some((Side::Upper, Bound { at: t, inclusive: true })),
        "_>_" => Some((Side::Lower, Bound { at: t, inclusive: false })),
        "_>=_" => Some((Side::Lower, Bound { at: t, inclusive: true })),
        _ => None,
    }
}

fn is_request_time(e: &IdedExpr) -> bool {
    match &e.expr {
        Ast::Select(s) if !s.test && s.field == "time" => {
            matches!(&s.operand.expr, Ast::Ident(name) if name == "request")
        }
        _ => false,
    }
}

fn timestamp_literal(e: &IdedExpr) -> Option<DateTime<Utc>> {
    let Ast::Call(call) = &e.expr else { return None };
    if call.func_name != "timestamp" || call.target.is_some() || call.args.len() != 1 {
        return None;
    }
    let Ast::Literal(LiteralValue::String(s)) = &call.args[0].expr else { return None };
    parse_timestamp(s.as_ref())
}

/// RFC 3339 as CEL's `timestamp()` takes it: `Z` or a numeric offset, optional fractional seconds.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// Evaluates an expression the way IAM does for the attributes jit's tests need: `request.time`
/// is `now`; any other attribute is absent. An evaluation error or a non-boolean result grants
/// nothing, as in IAM.
pub fn evaluate(expression: &str, now: DateTime<Utc>) -> Result<bool, ParseError> {
    let program = parse(expression)?;
    Ok(evaluate_program(&program, now))
}

/// [`evaluate`] for an already parsed expression.
pub fn evaluate_program(program: &Program, now: DateTime<Utc>) -> bool {
    let mut context = Context::default();
    let mut request: HashMap<&str, Value> = HashMap::new();
    request.insert("time", Value::Timestamp(now.fixed_offset()));
    context.add_variable_from_value("request", request);
    let program_ref = std::panic::AssertUnwindSafe(program);
    let context_ref = std::panic::AssertUnwindSafe(&context);
    matches!(std::panic::catch_unwind(move || program_ref.execute(*context_ref)), Ok(Ok(Value::Bool(true))))
}

/// RFC 3339 in UTC with whole seconds and `Z`, as jit writes every timestamp.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// RFC 3339 in UTC with `Z` and only as many fractional digits as the instant has, as jit reports
/// a time in JSON and YAML (docs/output.md). One source for the format of every reported time.
pub fn format_reported(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The earliest and the latest instant a CEL `timestamp` can hold: 0001-01-01T00:00:00Z and
/// 9999-12-31T23:59:59Z (whole seconds; jit writes no fractions). A condition with a time outside
/// this range is refused or never true, so jit writes none.
/// <https://github.com/google/cel-spec/blob/master/doc/langdef.md#overflow>: "timestamp values
/// ... range [0001-01-01T00:00:00Z, 9999-12-31T23:59:59.999999999Z]".
pub const CEL_EARLIEST: &str = "0001-01-01T00:00:00Z";
pub const CEL_LATEST: &str = "9999-12-31T23:59:59Z";
const CEL_EARLIEST_SECONDS: i64 = -62_135_596_800;
const CEL_LATEST_SECONDS: i64 = 253_402_300_799;

/// True when a condition can hold `t` (see [`CEL_LATEST`]).
pub fn in_cel_range(t: DateTime<Utc>) -> bool {
    (CEL_EARLIEST_SECONDS..=CEL_LATEST_SECONDS).contains(&t.timestamp())
        && !(t.timestamp() == CEL_LATEST_SECONDS && t.timestamp_subsec_nanos() > 0)
}

/// What jit records about a grant in the condition's description.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GrantNote {
    pub granted_by: Option<String>,
    pub granted_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// Builds jit's condition for a grant (design §3):
///
/// - expression `request.time < timestamp("E")`, or with a start
///   `request.time >= timestamp("S") && request.time < timestamp("E")`;
/// - title `jit until E` (or `jit from S until E`);
/// - description `Granted by WHO at WHEN via jit. Reason: REASON` (see [`parse_description`]).
///
/// Times are truncated to whole seconds.
pub fn build(start: Option<DateTime<Utc>>, end: DateTime<Utc>, note: &GrantNote) -> Expr {
    let end = whole_seconds(end);
    let e = format_timestamp(end);
    let (expression, title) = match start.map(whole_seconds) {
        Some(s) => {
            let s = format_timestamp(s);
            (
                format!(r#"request.time >= timestamp("{s}") && request.time < timestamp("{e}")"#),
                format!("{TITLE_PREFIX}from {s} until {e}"),
            )
        }
        None => (format!(r#"request.time < timestamp("{e}")"#), format!("{TITLE_PREFIX}until {e}")),
    };
    Expr {
        expression,
        title: Some(title),
        description: Some(description(note)),
        location: None,
        extra: Default::default(),
    }
}

/// `t` without its fraction of a second: jit writes and compares whole seconds.
pub fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).expect("whole seconds of a valid time are valid")
}

const DESCRIPTION_HEAD: &str = "Granted by ";
const DESCRIPTION_VIA: &str = " via jit.";
const DESCRIPTION_REASON: &str = " Reason: ";

/// `Granted by user:alice@example.com at 2026-11-25T12:00:00Z via jit. Reason: INC-42 disk full`
///
/// The granter is a principal (no spaces), `at` is RFC 3339, and the reason runs to the end. The
/// reason is stripped of control characters (each run becomes one space) and cut with `…` so the
/// whole description stays within Google's 256 characters.
pub fn description(note: &GrantNote) -> String {
    let who = note.granted_by.as_deref().map(clean).filter(|s| !s.is_empty()).unwrap_or("unknown".into());
    let who = who.replace(' ', "");
    let when = note.granted_at.map(format_timestamp).unwrap_or_else(|| "unknown".into());
    let mut out = format!("{DESCRIPTION_HEAD}{who} at {when}{DESCRIPTION_VIA}");
    if out.chars().count() > DESCRIPTION_MAX {
        out = cut(&out, DESCRIPTION_MAX);
    }
    if let Some(reason) = note.reason.as_deref().map(clean).filter(|r| !r.is_empty()) {
        let room = DESCRIPTION_MAX.saturating_sub(out.chars().count() + DESCRIPTION_REASON.chars().count());
        if room >= 2 {
            out.push_str(DESCRIPTION_REASON);
            out.push_str(&cut(&reason, room));
        }
    }
    out
}

/// Reads a description jit wrote back into its parts; `None` for anyone else's.
pub fn parse_description(text: &str) -> Option<GrantNote> {
    let rest = text.strip_prefix(DESCRIPTION_HEAD)?;
    let (who, rest) = rest.split_once(" at ")?;
    let (when, rest) = rest.split_once(DESCRIPTION_VIA)?;
    let reason = match rest {
        "" => None,
        r => Some(r.strip_prefix(DESCRIPTION_REASON)?.to_string()),
    };
    Some(GrantNote {
        granted_by: (who != "unknown").then(|| who.to_string()),
        granted_at: parse_timestamp(when),
        reason,
    })
}

/// Control characters out (each run becomes a single space), surrounding space trimmed.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_control = false;
    for c in text.chars() {
        if c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            if !in_control {
                out.push(' ');
            }
            in_control = true;
        } else {
            out.push(c);
            in_control = false;
        }
    }
    out.trim().to_string()
}

/// At most `max` characters; a longer text keeps `max - 1` and ends with `…`.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// The API attribute Google binds, for a `setIamPolicy` request, to "the role names from the role
/// bindings that the request modifies"; for any other request it is not defined and
/// `api.getAttribute` returns its default (`[]`).
/// <https://cloud.google.com/iam/docs/conditions-attribute-reference#api-attributes>
pub const MODIFIED_GRANTS_BY_ROLE: &str = "iam.googleapis.com/modifiedGrantsByRole";

/// "You can include up to 10 values in the list of allowed roles. All of these values must be
/// string constants." <https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>
pub const DELEGATION_ROLES_MAX: usize = 10;

/// What a delegation condition allows: the roles whose bindings the holder may change, and the
/// time window of the rest of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    pub roles: Vec<String>,
    pub window: Window,
}

/// The condition Google documents for limiting role granting
/// (<https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>): `api.getAttribute(
/// 'iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([ROLES])`, with jit's time bound
/// `&& request.time < timestamp("END")` when it ends. Roles in single quotes, as Google's examples
/// write them; role names hold no quote (`iam::Role`).
pub fn build_delegation(roles: &[String], end: Option<DateTime<Utc>>) -> String {
    let list: Vec<String> = roles.iter().map(|r| format!("'{r}'")).collect();
    let mut e = format!("api.getAttribute('{MODIFIED_GRANTS_BY_ROLE}', []).hasOnly([{}])", list.join(", "));
    if let Some(end) = end {
        e.push_str(&format!(" && request.time < timestamp(\"{}\")", format_timestamp(end)));
    }
    e
}

/// Recognises a delegation condition on the parser's AST (never a regex): one `hasOnly` call of
/// the documented form, alone or joined with `&&` to comparisons of `request.time` only. Anything
/// else (`||`, other attributes, a default other than `[]`, which Google refuses) is `None`.
pub fn delegation(expression: &str) -> Option<Delegation> {
    if !expression.contains(MODIFIED_GRANTS_BY_ROLE) {
        // Spares the parser on every other binding of every policy.
        return None;
    }
    let program = parse(expression).ok()?;
    let e = program.expression();
    let roles = delegation_roles(e)?;
    Some(Delegation { roles, window: Window { upper: upper(e), lower: lower(e) } })
}

fn delegation_roles(e: &IdedExpr) -> Option<Vec<String>> {
    if let Some(roles) = has_only(e) {
        return Some(roles);
    }
    let Ast::Call(call) = &e.expr else { return None };
    match (call.func_name.as_str(), call.args.as_slice()) {
        ("_&&_", [a, b]) => match (delegation_roles(a), delegation_roles(b)) {
            (Some(r), None) if time_only(b) => Some(r),
            (None, Some(r)) if time_only(a) => Some(r),
            _ => None,
        },
        _ => None,
    }
}

/// `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['R', …])`.
fn has_only(e: &IdedExpr) -> Option<Vec<String>> {
    let Ast::Call(call) = &e.expr else { return None };
    if call.func_name != "hasOnly" || call.args.len() != 1 {
        return None;
    }
    let Ast::Call(get) = &call.target.as_ref()?.expr else { return None };
    if get.func_name != "getAttribute" || !matches!(&get.target.as_ref()?.expr, Ast::Ident(n) if n == "api") {
        return None;
    }
    match get.args.as_slice() {
        [name, default] => {
            let Ast::Literal(LiteralValue::String(n)) = &name.expr else { return None };
            let Ast::List(d) = &default.expr else { return None };
            if n.as_ref() as &str != MODIFIED_GRANTS_BY_ROLE || !d.elements.is_empty() {
                return None;
            }
        }
        _ => return None,
    }
    let Ast::List(list) = &call.args[0].expr else { return None };
    list.elements
        .iter()
        .map(|r| match &r.expr {
            Ast::Literal(LiteralValue::String(s)) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}

/// Comparisons of `request.time` with timestamps, joined by `&&`.
fn time_only(e: &IdedExpr) -> bool {
    let Ast::Call(call) = &e.expr else { return false };
    match (call.func_name.as_str(), call.args.as_slice()) {
        ("_&&_", [a, b]) => time_only(a) && time_only(b),
        (op, [a, b]) => comparison(op, a, b).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_timestamp(s).unwrap()
    }

    fn upper_of(expr: &str) -> Option<DateTime<Utc>> {
        window(expr).unwrap().upper.map(|b| b.at)
    }

    fn lower_of(expr: &str) -> Option<DateTime<Utc>> {
        window(expr).unwrap().lower.map(|b| b.at)
    }

    #[test]
    fn cel_range_ends_are_the_documented_ones() {
        assert_eq!(parse_timestamp(CEL_EARLIEST).unwrap().timestamp(), CEL_EARLIEST_SECONDS);
        assert_eq!(parse_timestamp(CEL_LATEST).unwrap().timestamp(), CEL_LATEST_SECONDS);
        assert!(in_cel_range(t(CEL_EARLIEST)));
        assert!(in_cel_range(t(CEL_LATEST)));
        assert!(!in_cel_range(t("9999-12-31T23:59:59.5Z")));
        assert!(!in_cel_range(t("9999-12-31T23:59:59-00:01")));
        assert!(!in_cel_range(t("0001-01-01T00:00:00+00:01")));
    }

    #[test]
    fn jit_expression_round_trips() {
        let end = t("2026-11-25T14:00:00.750Z");
        let c = build(None, end, &GrantNote::default());
        assert_eq!(c.expression, r#"request.time < timestamp("2026-11-25T14:00:00Z")"#);
        assert_eq!(c.title(), "jit until 2026-11-25T14:00:00Z");
        let w = window(&c.expression).unwrap();
        assert_eq!(w.upper, Some(Bound { at: t("2026-11-25T14:00:00Z"), inclusive: false }));
        assert_eq!(w.lower, None);

        let start = t("2026-11-25T12:00:00Z");
        let c = build(Some(start), end, &GrantNote::default());
        assert_eq!(
            c.expression,
            r#"request.time >= timestamp("2026-11-25T12:00:00Z") && request.time < timestamp("2026-11-25T14:00:00Z")"#
        );
        let w = window(&c.expression).unwrap();
        assert_eq!(w.lower, Some(Bound { at: start, inclusive: true }));
        assert_eq!(w.state(t("2026-11-25T11:59:59Z")), State::Scheduled);
        assert_eq!(w.state(start), State::Active);
        assert_eq!(w.state(t("2026-11-25T13:59:59Z")), State::Active);
        assert_eq!(w.state(t("2026-11-25T14:00:00Z")), State::Expired);
        assert!(c.title().len() <= TITLE_MAX);
    }

    #[test]
    fn every_comparison_form() {
        let want = Some(t("2030-01-01T00:00:00Z"));
        for e in [
            r#"request.time < timestamp("2030-01-01T00:00:00Z")"#,
            r#"request.time <= timestamp("2030-01-01T00:00:00Z")"#,
            r#"timestamp("2030-01-01T00:00:00Z") > request.time"#,
            r#"timestamp("2030-01-01T00:00:00Z") >= request.time"#,
            "request.time < timestamp('2030-01-01T00:00:00Z')",
            "request.time<timestamp('2030-01-01T01:00:00+01:00')",
            "request.time < timestamp(\"2029-12-31T19:00:00-05:00\")",
            "request.time < timestamp(\"2030-01-01T00:00:00.000Z\")",
            "(request.time < timestamp(\"2030-01-01T00:00:00Z\"))",
        ] {
            assert_eq!(upper_of(e), want, "{e}");
            assert_eq!(lower_of(e), None, "{e}");
        }
        for e in [
            r#"request.time > timestamp("2030-01-01T00:00:00Z")"#,
            r#"request.time >= timestamp("2030-01-01T00:00:00Z")"#,
            r#"timestamp("2030-01-01T00:00:00Z") < request.time"#,
            r#"timestamp("2030-01-01T00:00:00Z") <= request.time"#,
        ] {
            assert_eq!(lower_of(e), want, "{e}");
            assert_eq!(upper_of(e), None, "{e}");
        }
        assert_eq!(
            upper_of("request.time < timestamp('2030-01-01T00:00:00.123456789Z')")
                .unwrap()
                .timestamp_subsec_nanos(),
            123_456_789
        );
    }

    #[test]
    fn and_or_not() {
        let a = r#"request.time < timestamp("2030-01-01T00:00:00Z")"#;
        let b = r#"request.time < timestamp("2031-01-01T00:00:00Z")"#;
        let other = r#"resource.name.startsWith("projects/_/buckets/logs")"#;
        assert_eq!(upper_of(&format!("{a} && {b}")), Some(t("2030-01-01T00:00:00Z")));
        assert_eq!(upper_of(&format!("{a} || {b}")), Some(t("2031-01-01T00:00:00Z")));
        assert_eq!(upper_of(&format!("{a} && {other}")), Some(t("2030-01-01T00:00:00Z")));
        assert_eq!(upper_of(&format!("{other} && {a}")), Some(t("2030-01-01T00:00:00Z")));
        assert_eq!(upper_of(&format!("{a} || {other}")), None);
        assert_eq!(upper_of(&format!("!({a})")), None);
        assert_eq!(upper_of(&format!("!(!({a}))")), None, "`!` gives no bound, whatever is under it");
        assert_eq!(upper_of(&format!("({a} || {b}) && {other}")), Some(t("2031-01-01T00:00:00Z")));
        assert_eq!(upper_of(other), None);
        assert_eq!(upper_of("true"), None);
        assert_eq!(upper_of(r#"request.time < timestamp("2030-01-01T00:00:00Z") + duration("1h")"#), None);
        assert_eq!(upper_of(r#"request.time.getHours("Europe/Berlin") < 17"#), None);
        assert_eq!(upper_of(r#"request.time < timestamp("not a time")"#), None);
        assert_eq!(upper_of(r#"a.time < timestamp("2030-01-01T00:00:00Z")"#), None);
        assert_eq!(upper_of(r#"request.time == timestamp("2030-01-01T00:00:00Z")"#), None);
        // `<=` ends later than `<` at the same instant, and `||` keeps the later end.
        let w = window(&format!("{a} || request.time <= timestamp(\"2030-01-01T00:00:00Z\")")).unwrap();
        assert!(w.upper.unwrap().inclusive);
        assert!(!w.ended_by(t("2030-01-01T00:00:00Z")));
        assert!(w.ended_by(t("2030-01-01T00:00:01Z")));
    }

    #[test]
    fn jit_access_eligibility_markers_have_no_bound() {
        for e in ["has({}.jitAccessConstraint)", "has({}.multiPartyApprovalConstraint)"] {
            let w = window(e).unwrap();
            assert_eq!(w, Window::default());
            assert!(!evaluate(e, Utc::now()).unwrap());
        }
    }

    #[test]
    fn formats_other_tools_write() {
        // gimme (github.com/doitintl/gimme): a plain expiry.
        assert_eq!(
            upper_of(r#"request.time < timestamp("2024-03-04T10:15:30Z")"#),
            Some(t("2024-03-04T10:15:30Z"))
        );
        // JIT Access (GoogleCloudPlatform/jit-access): activation window with both ends.
        let ja = r#"(request.time >= timestamp("2024-03-04T09:15:30.123Z") && request.time < timestamp("2024-03-04T10:15:30.123Z"))"#;
        assert_eq!(lower_of(ja), Some(t("2024-03-04T09:15:30.123Z")));
        assert_eq!(upper_of(ja), Some(t("2024-03-04T10:15:30.123Z")));
        // prel: expiry with a numeric offset.
        assert_eq!(
            upper_of(r#"request.time < timestamp("2024-03-04T19:15:30+09:00")"#),
            Some(t("2024-03-04T10:15:30Z"))
        );
        // abcxyz access-on-demand: expiry in single quotes.
        assert_eq!(
            upper_of("request.time < timestamp('2024-03-04T10:15:30Z')"),
            Some(t("2024-03-04T10:15:30Z"))
        );
        // Hand-written gcloud / Terraform: expiry combined with a resource condition.
        let tf = r#"resource.name.startsWith("projects/_/buckets/prod-") &&
            request.time < timestamp("2024-12-31T23:59:59Z")"#;
        assert_eq!(upper_of(tf), Some(t("2024-12-31T23:59:59Z")));
        // Terraform's documented example with a `>` on the other side.
        assert_eq!(
            lower_of(r#"request.time > timestamp("2020-01-01T00:00:00Z")"#),
            Some(t("2020-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn malformed_expressions_are_errors_not_panics() {
        for bad in [
            "request.time < ",
            "request.time < timestamp(\"2030-01-01T00:00:00Z\"",
            "&&",
            "",
            "\"unterminated",
            "request.time <<< 3",
            "((((((((((",
        ] {
            let e = window(bad).unwrap_err();
            assert!(!e.0.is_empty(), "{bad}");
        }
    }

    #[test]
    fn evaluation_follows_the_clock() {
        let e = r#"request.time < timestamp("2030-01-01T00:00:00Z")"#;
        assert!(evaluate(e, t("2029-12-31T23:59:59Z")).unwrap());
        assert!(!evaluate(e, t("2030-01-01T00:00:00Z")).unwrap());
        assert!(
            !evaluate("resource.name == 'x'", t("2030-01-01T00:00:00Z")).unwrap(),
            "missing attribute grants nothing"
        );
    }

    #[test]
    fn descriptions_are_cleaned_cut_and_parse_back() {
        let note = GrantNote {
            granted_by: Some("user:alice@example.com".into()),
            granted_at: Some(t("2026-11-25T12:00:00Z")),
            reason: Some("INC-42:\n\tdisk \"full\" \u{7}".into()),
        };
        let d = description(&note);
        assert_eq!(
            d,
            r#"Granted by user:alice@example.com at 2026-11-25T12:00:00Z via jit. Reason: INC-42: disk "full""#
        );
        let back = parse_description(&d).unwrap();
        assert_eq!(back.granted_by.as_deref(), Some("user:alice@example.com"));
        assert_eq!(back.granted_at, note.granted_at);
        assert_eq!(back.reason.as_deref(), Some(r#"INC-42: disk "full""#));

        let long = GrantNote { reason: Some("é".repeat(2000)), ..note.clone() };
        let d = description(&long);
        assert_eq!(d.chars().count(), DESCRIPTION_MAX);
        assert!(d.ends_with('…'));
        assert!(parse_description(&d).unwrap().reason.unwrap().ends_with('…'));

        let none = description(&GrantNote::default());
        assert_eq!(none, "Granted by unknown at unknown via jit.");
        assert_eq!(parse_description(&none).unwrap(), GrantNote::default());
        assert_eq!(parse_description("Self-approved, justification: x"), None);
    }

    #[test]
    fn own_expressions_are_read_without_the_parser_and_nothing_else_is() {
        let own = [
            r#"request.time < timestamp("2026-11-25T14:00:00Z")"#,
            r#"request.time >= timestamp("2026-11-25T12:00:00Z") && request.time < timestamp("2026-11-25T14:00:00Z")"#,
        ];
        for e in own {
            assert_eq!(own_window(e), Some(parsed_window(e).unwrap()), "{e}");
        }
        let others = [
            r#"request.time <= timestamp("2026-11-25T14:00:00Z")"#,
            r#"request.time < timestamp("2026-11-25T14:00:00.500Z")"#,
            r#"request.time < timestamp("2026-11-25T14:00:00+00:00")"#,
            r#"request.time < timestamp("2026-11-25T16:00:00+02:00")"#,
            r#"request.time < timestamp('2026-11-25T14:00:00Z')"#,
            r#"request.time<timestamp("2026-11-25T14:00:00Z")"#,
            r#" request.time < timestamp("2026-11-25T14:00:00Z")"#,
            r#"request.time < timestamp("2026-11-25T14:00:00Z") || true"#,
            r#"request.time < timestamp("2026-11-25T14:00:00Z") || request.time < timestamp("2030-01-01T00:00:00Z")"#,
            r#"request.time >= timestamp("2026-11-25T12:00:00Z") && request.time < timestamp("2026-11-25T14:00:00Z") || request.time < timestamp("2030-01-01T00:00:00Z")"#,
            r#"request.time >= timestamp("2026-11-25T12:00:00Z") || x && request.time < timestamp("2026-11-25T14:00:00Z")"#,
            r#"request.time >= timestamp("2026-11-25T12:00:00Z") && request.time < timestamp("2026-11-25T14:00:00Z"))"#,
            r#"request.time < timestamp("2026-13-25T14:00:00Z")"#,
            r#"request.time < timestamp("")"#,
        ];
        for e in others {
            assert_eq!(own_window(e), None, "{e}");
            assert_eq!(window(e), parsed_window(e), "{e}");
        }
    }

    proptest::proptest! {
        /// Every expression `build` writes is read by the shortcut exactly as the parser reads it.
        #[test]
        fn own_window_agrees_with_the_parser_on_everything_build_writes(
            end in 0i64..4_102_444_800,
            start in proptest::option::of(0i64..4_102_444_800),
            nanos in 0u32..1_000_000_000,
        ) {
            let at = |secs: i64| DateTime::from_timestamp(secs, nanos).unwrap();
            let e = build(start.map(at), at(end), &GrantNote::default()).expression;
            proptest::prop_assert_eq!(own_window(&e), Some(parsed_window(&e).unwrap()));
        }

        /// Whatever else the shortcut accepts, it reads as the parser does: jit's expressions with
        /// a character changed, dropped or added anywhere.
        #[test]
        fn own_window_never_disagrees_with_the_parser(
            end in 0i64..4_102_444_800,
            start in proptest::option::of(0i64..4_102_444_800),
            at in 0usize..200,
            edit in 0u8..3,
            c in proptest::sample::select(vec!['"', '\'', ' ', ')', '(', '|', '&', '<', '=', '0', '9', 'Z', '.', '+', ':', '-', 'T']),
        ) {
            let time = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap();
            let mut chars: Vec<char> = build(start.map(time), time(end), &GrantNote::default()).expression.chars().collect();
            let i = at % (chars.len() + 1);
            match edit {
                0 if i < chars.len() => chars[i] = c,
                1 if i < chars.len() => { chars.remove(i); }
                _ => chars.insert(i, c),
            }
            let e: String = chars.into_iter().collect();
            if let Some(w) = own_window(&e) {
                proptest::prop_assert_eq!(Ok(w), parsed_window(&e), "{}", e);
            }
        }
    }
}

#[cfg(test)]
mod delegation_tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn jit_writes_google_s_documented_form_and_reads_it_back() {
        let roles = vec!["roles/logging.viewer".to_string(), "roles/pubsub.editor".to_string()];
        let e = build_delegation(&roles, None);
        assert_eq!(
            e,
            "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.viewer', \
             'roles/pubsub.editor'])"
        );
        assert_eq!(delegation(&e), Some(Delegation { roles: roles.clone(), window: Window::default() }));
        let end = t("2026-12-31T00:00:00Z");
        let e = build_delegation(&roles, Some(end));
        assert!(e.ends_with(" && request.time < timestamp(\"2026-12-31T00:00:00Z\")"), "{e}");
        let d = delegation(&e).unwrap();
        assert_eq!(d.roles, roles);
        assert_eq!(d.window.upper, Some(Bound { at: end, inclusive: false }));
    }

    #[test]
    fn other_spellings_and_other_conditions() {
        // Any spelling the parser reads the same way: double quotes, the time bound first.
        let d = delegation(
            "timestamp(\"2027-01-01T00:00:00Z\") > request.time && \
             api.getAttribute(\"iam.googleapis.com/modifiedGrantsByRole\", [])\n  .hasOnly([\"roles/run.invoker\"])",
        )
        .unwrap();
        assert_eq!(d.roles, ["roles/run.invoker"]);
        assert_eq!(d.window.upper.unwrap().at, t("2027-01-01T00:00:00Z"));
        for not_one in [
            // Another attribute alongside: not only a delegation.
            "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/a.b']) && \
             resource.name.startsWith('projects/p')",
            // `||` of two lists: Google advises against it, and it is not one list of roles.
            "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/a.b']) || \
             api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/c.d'])",
            // A default other than `[]` (Google refuses it) and a role that is not a constant.
            "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', ['x']).hasOnly(['roles/a.b'])",
            "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([request.path])",
            "api.getAttribute('iam.googleapis.com/other', []).hasOnly(['roles/a.b'])",
            "request.time < timestamp(\"2027-01-01T00:00:00Z\")",
            "iam.googleapis.com/modifiedGrantsByRole (",
        ] {
            assert_eq!(delegation(not_one), None, "{not_one}");
        }
    }
}
