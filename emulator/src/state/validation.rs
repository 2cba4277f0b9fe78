//! The emulator's own reading of what Google accepts in an allow policy: members, roles,
//! conditions and limits, written from Google's documentation and nowhere imported from jit, so
//! that the emulator can disagree with jit (a validation bug in jit is then caught, not copied).
//!
//! Sources (each rule below names its own):
//! - principal identifiers: <https://cloud.google.com/iam/docs/principal-identifiers> and the
//!   `members` field of `google.iam.v1.Binding`
//!   (<https://cloud.google.com/resource-manager/reference/rest/Shared.Types/Policy>);
//! - conditions: <https://cloud.google.com/iam/docs/conditions-overview#limitations>;
//! - limits: <https://cloud.google.com/iam/quotas> and <https://cloud.google.com/iam/docs/policies#limits>.

use std::collections::HashMap;

use cel::common::ast::Expr as Ast;
use cel::{Context, IdedExpr, Program, Value};
use chrono::{DateTime, Utc};

/// "Each allow policy can contain up to 1,500 principals"; every appearance counts, audit-log
/// exemptions included. <https://cloud.google.com/iam/docs/policies#limits>,
/// <https://cloud.google.com/iam/quotas>
pub const MAX_PRINCIPALS: usize = 1500;
/// At most 20 role bindings with the same role and the same principal (each with another
/// condition). <https://cloud.google.com/iam/quotas>
pub const MAX_SAME_ROLE_AND_MEMBER: usize = 20;
/// At most 12 logical operators (`&&`, `||`, `!`) in one condition expression.
/// <https://cloud.google.com/iam/docs/conditions-overview#limitations>
pub const MAX_LOGICAL_OPERATORS: usize = 12;
/// The largest expression the emulator hands to the CEL parser. Not a limit Google documents for
/// allow policies in one number the emulator could source; it is far above any real condition and
/// keeps a hostile body from making the parser recurse without end.
pub const MAX_EXPRESSION_BYTES: usize = 64 * 1024;

/// Basic roles: "You can't use basic roles … in conditional role bindings"
/// (<https://cloud.google.com/iam/docs/conditions-overview#limitations>).
pub const BASIC_ROLES: [&str; 3] = ["roles/owner", "roles/editor", "roles/viewer"];

/// The two public principals (<https://cloud.google.com/iam/docs/principal-identifiers>).
pub const PUBLIC: [&str; 2] = ["allUsers", "allAuthenticatedUsers"];

/// What kind of principal a well-formed member names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    Public,
    /// `user:`, `group:`, `serviceAccount:` with an e-mail address: compared without regard to
    /// case, as Google stores e-mail members in the account's own case.
    Email,
    Domain,
    Federated,
    Deleted,
    /// `projectOwner:`, `projectEditor:`, `projectViewer:` (convenience values).
    Convenience,
}

/// Checks one member against the identifier formats Google documents for allow policies
/// (<https://cloud.google.com/iam/docs/principal-identifiers>, "Principal identifiers for allow
/// policies", and `Binding.members`). `None`: not a member Google accepts.
pub fn member_kind(member: &str) -> Option<MemberKind> {
    if PUBLIC.contains(&member) {
        return Some(MemberKind::Public);
    }
    if let Some(rest) = member.strip_prefix("deleted:") {
        // `deleted:user:EMAIL?uid=UID`, `deleted:serviceAccount:…`, `deleted:group:…`,
        // `deleted:principal://…` (Binding.members).
        let (base, uid) = rest.split_once("?uid=")?;
        if uid.is_empty() || !uid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        return match member_kind(base)? {
            MemberKind::Email | MemberKind::Federated => Some(MemberKind::Deleted),
            _ => None,
        };
    }
    if let Some(path) = member.strip_prefix("principal://") {
        return federated_subject(path).then_some(MemberKind::Federated);
    }
    if let Some(path) = member.strip_prefix("principalSet://") {
        return federated_set(path).then_some(MemberKind::Federated);
    }
    let (kind, value) = member.split_once(':')?;
    match kind {
        "user" | "group" => email(value).then_some(MemberKind::Email),
        // Also `serviceAccount:PROJECT_ID.svc.id.goog[NAMESPACE/KSA]`, a Kubernetes service account
        // (Binding.members).
        "serviceAccount" => (email(value) || kubernetes_sa(value)).then_some(MemberKind::Email),
        "domain" => domain(value).then_some(MemberKind::Domain),
        "projectOwner" | "projectEditor" | "projectViewer" => {
            project_id(value).then_some(MemberKind::Convenience)
        }
        _ => None,
    }
}

/// An e-mail address: a local part without spaces, controls or the characters RFC 5322 reserves,
/// at a domain.
fn email(s: &str) -> bool {
    let Some((local, host)) = s.rsplit_once('@') else { return false };
    !local.is_empty()
        && local.len() <= 64
        && local.chars().all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"@".contains(c))
        && domain(host)
}

/// A DNS name of two labels or more.
fn domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    s.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// A project ID: 6 to 30 lowercase letters, digits and hyphens, starting with a letter, not
/// ending with a hyphen (<https://cloud.google.com/resource-manager/docs/creating-managing-projects>);
/// legacy domain-scoped IDs (`example.com:proj`) too.
pub fn project_id(s: &str) -> bool {
    let id = match s.split_once(':') {
        Some((d, rest)) => {
            if !domain(d) {
                return false;
            }
            rest
        }
        None => s,
    };
    let b = id.as_bytes();
    (6..=30).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'-'
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `PROJECT_ID.svc.id.goog[NAMESPACE/KSA]`.
fn kubernetes_sa(s: &str) -> bool {
    let Some((pool, rest)) = s.split_once(".svc.id.goog[") else { return false };
    let Some(inner) = rest.strip_suffix(']') else { return false };
    let Some((ns, ksa)) = inner.split_once('/') else { return false };
    project_id(pool) && segment(ns) && segment(ksa)
}

/// One path segment of a federated identifier: printable, no slash, no space.
fn segment(s: &str) -> bool {
    !s.is_empty() && s.len() <= 512 && s.chars().all(|c| !c.is_control() && !c.is_whitespace() && c != '/')
}

/// The pool part of a workforce or workload identity pool:
/// `locations/global/workforcePools/POOL` or
/// `projects/NUMBER/locations/global/workloadIdentityPools/POOL`; returns the rest.
fn pool<'a>(parts: &'a [&'a str]) -> Option<&'a [&'a str]> {
    match parts {
        ["locations", "global", "workforcePools", p, rest @ ..] if segment(p) => Some(rest),
        ["projects", n, "locations", "global", "workloadIdentityPools", p, rest @ ..]
            if number(n) && segment(p) =>
        {
            Some(rest)
        }
        _ => None,
    }
}

/// `principal://…`: one identity.
fn federated_subject(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        // A Google Account (<https://cloud.google.com/iam/docs/principal-identifiers>).
        ["goog", "subject", e] => email(e),
        ["iam.googleapis.com", rest @ ..] => match pool(rest) {
            // GKE: `…/workloadIdentityPools/PROJECT.svc.id.goog/subject/ns/NS/sa/KSA`.
            Some(["subject", s]) => segment(s),
            Some(["subject", "ns", ns, "sa", sa]) => segment(ns) && segment(sa),
            _ => false,
        },
        _ => false,
    }
}

/// `principalSet://…`: a set of identities.
fn federated_set(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["goog", "group", g] => email(g),
        ["goog", "cloudIdentityCustomerId", c] => segment(c),
        // All service accounts of a project, folder or organization.
        [
            "cloudresourcemanager.googleapis.com",
            "projects" | "folders" | "organizations",
            n,
            "type",
            "ServiceAccount",
        ] => number(n),
        ["iam.googleapis.com", rest @ ..] => match pool(rest) {
            Some(["group", g]) => segment(g),
            Some(["*"]) => true,
            // `attribute.NAME/VALUE`; for GKE also every pod of a namespace or cluster.
            Some([attr, value]) => {
                let named = attr.strip_prefix("attribute.").is_some_and(|a| !a.is_empty() && segment(a))
                    || matches!(*attr, "namespace" | "kubernetes.cluster" | "kubernetes.namespace");
                named && segment(value)
            }
            _ => false,
        },
        _ => false,
    }
}

/// A role Google accepts in a binding: a predefined role `roles/NAME`, or a custom role
/// `projects/PROJECT_ID/roles/NAME` or `organizations/NUMBER/roles/NAME`, whose ID is letters,
/// digits, periods and underscores, at most 64 bytes
/// (<https://cloud.google.com/iam/docs/roles-overview>, <https://cloud.google.com/iam/quotas>:
/// "ID of a custom role: 64 bytes"). A `_withcond_` role is a version-1 view, never a role.
pub fn role_ok(role: &str) -> bool {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 64
            && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
    };
    if role.contains("_withcond_") {
        return false;
    }
    match role.split('/').collect::<Vec<_>>().as_slice() {
        ["roles", name] => name_ok(name),
        ["projects", id, "roles", name] => project_id(id) && name_ok(name),
        ["organizations", n, "roles", name] => number(n) && name_ok(name),
        _ => false,
    }
}

/// Compiles an expression with the `cel` crate, never panicking; the error is the parser's first
/// line.
pub fn compile(expression: &str) -> Result<Program, String> {
    if expression.trim().is_empty() {
        return Err("the expression is empty".into());
    }
    if expression.len() > MAX_EXPRESSION_BYTES {
        return Err(format!("the expression is longer than {MAX_EXPRESSION_BYTES} bytes"));
    }
    let owned = expression.to_string();
    match std::panic::catch_unwind(move || Program::compile(&owned)) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(e.to_string().lines().next().unwrap_or_default().to_string()),
        Err(_) => Err("the CEL parser could not read this expression".into()),
    }
}

/// The logical operators of an expression, counted as Google's limit counts them.
fn logical_operators(e: &IdedExpr) -> usize {
    match &e.expr {
        Ast::Call(call) => {
            let own = usize::from(matches!(call.func_name.as_str(), "_&&_" | "_||_" | "!_"));
            own + call.target.as_deref().map_or(0, logical_operators)
                + call.args.iter().map(logical_operators).sum::<usize>()
        }
        Ast::List(l) => l.elements.iter().map(logical_operators).sum(),
        Ast::Select(s) => logical_operators(&s.operand),
        Ast::Comprehension(c) => {
            logical_operators(&c.iter_range) + logical_operators(&c.loop_step) + logical_operators(&c.result)
        }
        _ => 0,
    }
}

/// Why a condition expression is refused, if it is: it must parse as CEL and hold at most
/// [`MAX_LOGICAL_OPERATORS`] logical operators. Remembered per text: every write validates every
/// condition of the policy, and a parse costs about 90 µs.
pub fn condition_error(expression: &str) -> Option<String> {
    static SEEN: std::sync::OnceLock<std::sync::Mutex<HashMap<String, Option<String>>>> =
        std::sync::OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(known) = seen.lock().unwrap_or_else(|e| e.into_inner()).get(expression) {
        return known.clone();
    }
    let error = match compile(expression) {
        Err(e) => Some(e),
        Ok(p) => {
            let n = logical_operators(p.expression());
            if n > MAX_LOGICAL_OPERATORS {
                Some(format!(
                    "the expression has {n} logical operators; at most {MAX_LOGICAL_OPERATORS} are allowed"
                ))
            } else {
                delegation_error(p.expression())
            }
        }
    };
    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    if seen.len() >= 10_000 {
        seen.clear();
    }
    seen.insert(expression.to_string(), error.clone());
    error
}

/// The API attribute bound, for a `setIamPolicy` request, to "the role names from the role
/// bindings that the request modifies"; for other requests it is not defined, and
/// `api.getAttribute` returns its default.
/// <https://cloud.google.com/iam/docs/conditions-attribute-reference#api-attributes>
pub const MODIFIED_GRANTS_BY_ROLE: &str = "iam.googleapis.com/modifiedGrantsByRole";

/// "You can include up to 10 values in the list of allowed roles. All of these values must be
/// string constants." <https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>
pub const MAX_HAS_ONLY_ROLES: usize = 10;

/// Evaluates a condition as IAM does for the attributes the emulator models (an error or a
/// non-boolean result grants nothing, <https://cloud.google.com/iam/docs/conditions-overview#evaluation>):
///
/// - `request.time` is `now`;
/// - `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', [])` is `modified` for a
///   `setIamPolicy` request (`Some`), and the default for any other request (`None`);
/// - `hasOnly(list)` is true when every element of the target list is in `list`, so `[]` has only
///   anything ("If the attribute contains the default value ([]), the function returns true",
///   <https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>).
///
/// Any other attribute is absent, so a condition on it fails to evaluate and grants nothing.
pub fn evaluate(expression: &str, now: DateTime<Utc>) -> bool {
    evaluate_request(expression, now, None)
}

/// [`evaluate`] for a request that sets a policy changing the bindings of `modified` roles.
pub fn evaluate_request(expression: &str, now: DateTime<Utc>, modified: Option<&[String]>) -> bool {
    let Ok(program) = compile(expression) else { return false };
    let mut context = Context::default();
    let mut request: HashMap<&str, Value> = HashMap::new();
    request.insert("time", Value::Timestamp(now.fixed_offset()));
    context.add_variable_from_value("request", request);
    let mut api: HashMap<String, Value> = HashMap::new();
    if let Some(roles) = modified {
        let list: Vec<Value> = roles.iter().map(|r| Value::String(std::sync::Arc::new(r.clone()))).collect();
        api.insert(MODIFIED_GRANTS_BY_ROLE.to_string(), Value::List(std::sync::Arc::new(list)));
    }
    context.add_variable_from_value("api", api);
    // Neither name is one of the standard library's, so adding them cannot fail.
    let _ = context.add_function("getAttribute", get_attribute);
    let _ = context.add_function("hasOnly", has_only);
    let program = std::panic::AssertUnwindSafe(&program);
    let context = std::panic::AssertUnwindSafe(&context);
    matches!(std::panic::catch_unwind(move || program.execute(*context)), Ok(Ok(Value::Bool(true))))
}

/// `api.getAttribute(name, default)`: the attribute when the request defines it, else `default`.
fn get_attribute(
    cel::extractors::This(this): cel::extractors::This<Value>,
    name: std::sync::Arc<String>,
    default: Value,
) -> Value {
    match this {
        Value::Map(m) => m.get(&cel::objects::Key::from(name)).cloned().unwrap_or(default),
        _ => default,
    }
}

/// `list.hasOnly(allowed)`: every element of `list` is in `allowed`.
fn has_only(
    cel::extractors::This(this): cel::extractors::This<std::sync::Arc<Vec<Value>>>,
    allowed: std::sync::Arc<Vec<Value>>,
) -> bool {
    this.iter().all(|v| allowed.contains(v))
}

/// Google's rules for a condition on `modifiedGrantsByRole`: the default of `api.getAttribute`
/// "must be an empty list", and the list given to `hasOnly` holds "up to 10 values … string
/// constants" (<https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>). The reason a
/// condition breaks them, if it does. (Google's message is not documented; these are the
/// emulator's words.)
pub fn delegation_error(e: &IdedExpr) -> Option<String> {
    let mut found = None;
    visit(e, &mut |e| {
        let Ast::Call(call) = &e.expr else { return };
        if found.is_some() {
            return;
        }
        if call.func_name == "getAttribute"
            && let [name, default] = call.args.as_slice()
            && matches!(&name.expr, Ast::Literal(cel::common::ast::LiteralValue::String(n)) if n.as_ref() as &str == MODIFIED_GRANTS_BY_ROLE)
            && !matches!(&default.expr, Ast::List(l) if l.elements.is_empty())
        {
            found = Some(format!("the default value of {MODIFIED_GRANTS_BY_ROLE} must be an empty list"));
        }
        if call.func_name == "hasOnly"
            && let Some(target) = &call.target
            && uses_modified_grants(target)
            && let [list] = call.args.as_slice()
        {
            match &list.expr {
                Ast::List(l)
                    if l.elements.len() <= MAX_HAS_ONLY_ROLES
                        && l.elements.iter().all(|r| {
                            matches!(&r.expr, Ast::Literal(cel::common::ast::LiteralValue::String(_)))
                        }) => {}
                Ast::List(l) if l.elements.len() > MAX_HAS_ONLY_ROLES => {
                    found = Some(format!(
                        "hasOnly() on {MODIFIED_GRANTS_BY_ROLE} lists {} roles; at most {MAX_HAS_ONLY_ROLES} are allowed",
                        l.elements.len()
                    ));
                }
                _ => {
                    found = Some(format!(
                        "hasOnly() on {MODIFIED_GRANTS_BY_ROLE} takes a list of string constants"
                    ))
                }
            }
        }
    });
    found
}

/// True when a condition reads `iam.googleapis.com/modifiedGrantsByRole` (on its parsed AST).
pub fn reads_modified_grants(expression: &str) -> bool {
    compile(expression).is_ok_and(|p| uses_modified_grants(p.expression()))
}

fn uses_modified_grants(e: &IdedExpr) -> bool {
    let mut yes = false;
    visit(e, &mut |e| {
        if let Ast::Literal(cel::common::ast::LiteralValue::String(s)) = &e.expr
            && s.as_ref() as &str == MODIFIED_GRANTS_BY_ROLE
        {
            yes = true;
        }
    });
    yes
}

/// Calls `f` on `e` and every expression below it.
fn visit(e: &IdedExpr, f: &mut dyn FnMut(&IdedExpr)) {
    f(e);
    match &e.expr {
        Ast::Call(c) => {
            if let Some(t) = &c.target {
                visit(t, f);
            }
            for a in &c.args {
                visit(a, f);
            }
        }
        Ast::List(l) => l.elements.iter().for_each(|x| visit(x, f)),
        Ast::Select(s) => visit(&s.operand, f),
        Ast::Comprehension(c) => {
            visit(&c.iter_range, f);
            visit(&c.loop_step, f);
            visit(&c.result, f);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn members_follow_the_documented_identifiers() {
        let good = [
            "allUsers",
            "allAuthenticatedUsers",
            "user:alex@example.com",
            "user:Jane.Doe@example.com",
            "group:my-group@example.com",
            "serviceAccount:my-service-account@my-project.iam.gserviceaccount.com",
            "serviceAccount:my-project.svc.id.goog[my-namespace/my-kubernetes-sa]",
            "domain:example.com",
            "deleted:user:alice@example.com?uid=123456789012345678901",
            "deleted:serviceAccount:sa@p-123456.iam.gserviceaccount.com?uid=1",
            "principal://goog/subject/alex@example.com",
            "principalSet://goog/group/admins@example.com",
            "principalSet://goog/cloudIdentityCustomerId/C01Abc35",
            "principal://iam.googleapis.com/locations/global/workforcePools/my-pool/subject/alex",
            "principalSet://iam.googleapis.com/locations/global/workforcePools/my-pool/group/admins",
            "principalSet://iam.googleapis.com/locations/global/workforcePools/my-pool/attribute.dept/eng",
            "principalSet://iam.googleapis.com/locations/global/workforcePools/my-pool/*",
            "principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/p/subject/s",
            "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*",
            "principalSet://cloudresourcemanager.googleapis.com/projects/123456789012/type/ServiceAccount",
            "projectOwner:my-project",
        ];
        let mut wrong = Vec::new();
        for m in good {
            if member_kind(m).is_none() {
                wrong.push(format!("refused {m}"));
            }
        }
        let bad = [
            "alice@example.com",
            "user:",
            "user:alice",
            "user:alice@localhost",
            "user:al ice@example.com",
            "robot:x@example.com",
            "domain:example",
            "deleted:user:alice@example.com",
            "deleted:domain:example.com?uid=1",
            "principal://",
            "principal://goog/subject/",
            "principalSet://iam.googleapis.com/locations/global/workforcePools/p/unknown/x",
            "principalSet://cloudresourcemanager.googleapis.com/projects/my-project/type/ServiceAccount",
            "projectOwner:P",
            "allusers",
        ];
        for m in bad {
            if member_kind(m).is_some() {
                wrong.push(format!("accepted {m}"));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
        assert_eq!(member_kind("user:Jane.Doe@example.com"), Some(MemberKind::Email));
        assert_eq!(member_kind("domain:example.com"), Some(MemberKind::Domain));
    }

    #[test]
    fn roles() {
        for ok in ["roles/storage.admin", "projects/my-project/roles/custom_1", "organizations/1/roles/x.y"] {
            assert!(role_ok(ok), "{ok}");
        }
        for bad in [
            "storage.admin",
            "roles/",
            "roles/a b",
            "roles/storage.admin_withcond_0123456789abcdef0123",
            "projects/P/roles/x",
            "folders/1/roles/x",
        ] {
            assert!(!role_ok(bad), "{bad}");
        }
        assert!(!role_ok(&format!("roles/{}", "a".repeat(65))));
    }

    #[test]
    fn conditions_parse_and_count_logical_operators() {
        assert_eq!(condition_error("request.time < timestamp(\"2026-11-25T14:00:00Z\")"), None);
        assert!(condition_error("request.time < ").is_some());
        assert_eq!(condition_error("  ").as_deref(), Some("the expression is empty"));
        let twelve = vec!["true"; 13].join(" && ");
        assert_eq!(condition_error(&twelve), None);
        let thirteen = vec!["true"; 14].join(" && ");
        assert_eq!(
            condition_error(&thirteen).as_deref(),
            Some("the expression has 13 logical operators; at most 12 are allowed")
        );
        assert!(condition_error(&"(".repeat(100_000)).is_some());
    }

    #[test]
    fn evaluation_uses_request_time_only() {
        let t = |h| Utc.with_ymd_and_hms(2026, 11, 25, h, 0, 0).unwrap();
        let e = "request.time < timestamp(\"2026-11-25T14:00:00Z\")";
        assert!(evaluate(e, t(13)));
        assert!(!evaluate(e, t(14)));
        assert!(!evaluate("resource.name == \"x\"", t(13)));
        assert!(!evaluate("1", t(13)));
    }
}
