//! Domain types that exist only in valid form past the CLI boundary: roles, principals and the
//! resources whose allow policies jit edits.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
pub use crate::kinds::{Kind, ResourceId, is_domain, is_number};

/// Google's basic roles, which cannot be used in a conditional binding.
/// <https://cloud.google.com/iam/docs/conditions-overview#limitations>
pub const BASIC_ROLES: [&str; 3] = ["roles/owner", "roles/editor", "roles/viewer"];

/// Principals that Google refuses in a conditional binding (and in project policies altogether for
/// conditions). <https://cloud.google.com/iam/docs/conditions-overview#limitations>
pub const PUBLIC_PRINCIPALS: [&str; 2] = ["allUsers", "allAuthenticatedUsers"];

/// A role that jit may put in a time-bound binding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Role(String);

impl Role {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// jit's syntactic check (the emulator has its own, from Google's docs): `roles/NAME`,
    /// `projects/ID/roles/NAME` or `organizations/N/roles/NAME`.
    pub fn is_well_formed(role: &str) -> bool {
        let name_ok =
            |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
        let parts: Vec<&str> = role.split('/').collect();
        match parts.as_slice() {
            ["roles", name] => name_ok(name),
            ["projects", id, "roles", name] => ResourceId::project_ok(id) && name_ok(name),
            ["organizations", n, "roles", name] => is_number(n) && name_ok(name),
            _ => false,
        }
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        refuse_terminal_controls("role", s)?;
        if crate::policy::is_version1_role(s) {
            return Err(Error::usage_hint(
                format!("role `{s}` is a version-1 view of a conditional binding, not a real role"),
                "name the role without its `_withcond_` suffix",
            ));
        }
        if !Role::is_well_formed(s) {
            let hint = if !s.contains('/') && !s.is_empty() {
                format!("predefined roles look like `roles/{s}`")
            } else {
                "use `roles/NAME`, `projects/ID/roles/NAME` or `organizations/N/roles/NAME`".to_string()
            };
            return Err(Error::usage_hint(format!("`{s}` is not a valid role"), hint));
        }
        if BASIC_ROLES.contains(&s) {
            return Err(Error::usage_hint(
                format!("role `{s}` cannot be granted with a condition"),
                "Google refuses basic roles in conditional bindings; pick a predefined role instead",
            ));
        }
        Ok(Role(s.to_string()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A principal that jit may put in a time-bound binding, in Google's `type:value` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Principal(String);

impl Principal {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The syntactic check of a member string as it may appear in any policy (jit's and other
    /// tools'). The emulator validates members with its own code, so that it can disagree.
    pub fn is_well_formed(member: &str) -> bool {
        if PUBLIC_PRINCIPALS.contains(&member) {
            return true;
        }
        if let Some(rest) = member.strip_prefix("deleted:") {
            // `deleted:user:alice@example.com?uid=123`
            let base = rest.split('?').next().unwrap_or_default();
            return Principal::is_well_formed(base);
        }
        if member.starts_with("principal://") || member.starts_with("principalSet://") {
            return member.len() > "principal://".len() + 3 && !member.chars().any(char::is_whitespace);
        }
        match member.split_once(':') {
            Some(("user" | "group" | "serviceAccount", email)) => is_email(email),
            Some(("domain", domain)) => is_domain(domain),
            Some(("projectOwner" | "projectEditor" | "projectViewer", project)) => {
                ResourceId::project_ok(project)
            }
            _ => false,
        }
    }
}

impl FromStr for Principal {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        refuse_terminal_controls("member", s)?;
        if PUBLIC_PRINCIPALS.contains(&s) {
            return Err(Error::usage_hint(
                format!("`{s}` cannot be granted access with a condition"),
                "Google refuses allUsers and allAuthenticatedUsers in conditional bindings",
            ));
        }
        let full = if !s.contains(':') && is_email(s) { member_of_email(s) } else { s.to_string() };
        if full.starts_with("deleted:") || full.starts_with("project") || !Principal::is_well_formed(&full) {
            // Not "a principal jit can grant to": list and revoke parse --member too (issue 12
            // item 9).
            return Err(Error::usage_hint(
                format!("`{s}` is not a principal"),
                "use user:EMAIL, group:EMAIL, serviceAccount:EMAIL, domain:DOMAIN, principal://… or \
                 principalSet://…, or an e-mail address",
            ));
        }
        Ok(Principal(full))
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// jit never writes a role or member holding a character a terminal would act on (an escape
/// sequence, a carriage return, a bidirectional override: `text::is_terminal_control`): every
/// later reader of the policy would be shown something else than what is there. Checked before the
/// syntax, so the message says what is actually wrong.
pub(crate) fn refuse_terminal_controls(what: &str, s: &str) -> Result<(), Error> {
    match s.chars().find(|&c| crate::text::is_terminal_control(c)) {
        Some(c) => Err(Error::usage_hint(
            format!("{what} `{s}` contains the control character `{}`", crate::text::escape(&c.to_string())),
            "jit refuses control characters (escape sequences, carriage returns, bidirectional overrides) \
             in roles and members; type the name again",
        )),
        None => Ok(()),
    }
}

/// The bare-e-mail rule, the one place it lives: a bare e-mail address is a service account when
/// its domain is one of Google's service-account domains (`*.gserviceaccount.com`: `iam.`,
/// `developer.`, `appspot.`…), in any case, and a user otherwise.
/// <https://cloud.google.com/iam/docs/service-account-overview>
pub fn member_of_email(email: &str) -> String {
    if email.to_ascii_lowercase().ends_with(".gserviceaccount.com") {
        format!("serviceAccount:{email}")
    } else {
        format!("user:{email}")
    }
}

/// Member kinds whose value is an e-mail address or a domain. Google stores such a member in the
/// account's own case, which can differ from the case it was sent in, and treats the value
/// case-insensitively; so does Terraform (terraform-provider-google #4276, #3880, #5107, and its
/// `normalizeIamMemberCasing`). `principal://` and `principalSet://` identifiers (and every other
/// kind) are compared exactly: their subject attributes are case-sensitive.
const CASE_INSENSITIVE_KINDS: [&str; 4] = ["user:", "group:", "serviceAccount:", "domain:"];

/// The form in which a member compares with another: the value of an e-mail or domain member
/// (also inside `deleted:`) lowercased, the kind and every other member exactly as written.
pub fn member_key(member: &str) -> std::borrow::Cow<'_, str> {
    let (deleted, rest) = match member.strip_prefix("deleted:") {
        Some(rest) => ("deleted:", rest),
        None => ("", member),
    };
    match CASE_INSENSITIVE_KINDS.iter().find(|k| rest.starts_with(**k)) {
        Some(kind) if rest.chars().any(char::is_uppercase) => {
            format!("{deleted}{kind}{}", rest[kind.len()..].to_lowercase()).into()
        }
        _ => member.into(),
    }
}

/// True when two member strings name the same principal (see [`member_key`]).
pub fn same_member(a: &str, b: &str) -> bool {
    a == b || member_key(a) == member_key(b)
}

pub(crate) fn is_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && !local.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c))
                && is_domain(domain)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {

    /// The one bare-e-mail rule, as the gcp layer uses it for the e-mail Google returns for the
    /// caller (tokeninfo, the metadata server).
    #[test]
    fn emails_google_returns_become_principals() {
        assert_eq!(member_of_email("a@example.com"), "user:a@example.com");
        assert_eq!(
            member_of_email("ci@p.iam.gserviceaccount.com"),
            "serviceAccount:ci@p.iam.gserviceaccount.com"
        );
    }
    use super::*;

    #[test]
    fn bare_emails_get_their_type() {
        assert_eq!(Principal::from_str("alice@example.com").unwrap().as_str(), "user:alice@example.com");
        assert_eq!(
            Principal::from_str("ci@p-1234.iam.gserviceaccount.com").unwrap().as_str(),
            "serviceAccount:ci@p-1234.iam.gserviceaccount.com"
        );
        assert_eq!(
            Principal::from_str("CI@P-1234.IAM.GSERVICEACCOUNT.COM").unwrap().as_str(),
            "serviceAccount:CI@P-1234.IAM.GSERVICEACCOUNT.COM"
        );
        assert_eq!(Principal::from_str("group:sre@example.com").unwrap().as_str(), "group:sre@example.com");
        assert_eq!(Principal::from_str("domain:example.com").unwrap().as_str(), "domain:example.com");
        let wif = "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*";
        assert_eq!(Principal::from_str(wif).unwrap().as_str(), wif);
    }

    #[test]
    fn email_members_match_in_any_case_principal_identifiers_exactly() {
        for (a, b) in [
            ("user:jane.doe@example.com", "user:Jane.Doe@Example.COM"),
            ("group:SRE@example.com", "group:sre@example.com"),
            (
                "serviceAccount:CI@p-1.iam.gserviceaccount.com",
                "serviceAccount:ci@p-1.iam.gserviceaccount.com",
            ),
            ("domain:Example.com", "domain:example.com"),
            ("deleted:user:Jane@example.com?uid=123", "deleted:user:jane@example.com?uid=123"),
            (
                "deleted:serviceAccount:A@p.iam.gserviceaccount.com?uid=1",
                "deleted:serviceAccount:a@p.iam.gserviceaccount.com?uid=1",
            ),
        ] {
            assert!(same_member(a, b), "{a} and {b} are one principal");
        }
        for (a, b) in [
            ("user:jane@example.com", "group:jane@example.com"),
            ("User:jane@example.com", "user:jane@example.com"),
            (
                "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/Jane",
                "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/jane",
            ),
            (
                "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/attribute.team/SRE",
                "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/attribute.team/sre",
            ),
            ("allUsers", "allusers"),
            ("deleted:user:jane@example.com?uid=1", "user:jane@example.com"),
        ] {
            assert!(!same_member(a, b), "{a} and {b} are different principals");
        }
    }

    #[test]
    fn bad_principals_are_refused() {
        let public = |p: &str| format!("`{p}` cannot be granted access with a condition");
        let not = |p: &str| format!("`{p}` is not a principal");
        let mut failures = Vec::new();
        for (bad, want) in [
            ("allUsers", public("allUsers")),
            ("allAuthenticatedUsers", public("allAuthenticatedUsers")),
            ("alice", not("alice")),
            ("user:alice", not("user:alice")),
            ("user:", not("user:")),
            ("robot:x@example.com", not("robot:x@example.com")),
            ("user:a b@example.com", not("user:a b@example.com")),
            ("deleted:user:a@example.com?uid=1", not("deleted:user:a@example.com?uid=1")),
            ("domain:localhost", not("domain:localhost")),
            ("projectOwner:my-project", not("projectOwner:my-project")),
            ("", not("")),
        ] {
            match Principal::from_str(bad) {
                Err(e) if e.to_string() == want && e.exit_code() == 2 => {}
                other => failures.push(format!("{bad:?}: {other:?}, want {want:?}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn control_characters_are_refused_in_members_and_roles() {
        let mut wrong = Vec::new();
        for (input, want) in [
            (
                "user:a\u{1b}[31m@example.com",
                "member `user:a\\u{1b}[31m@example.com` contains the control character `\\u{1b}`",
            ),
            (
                "principal://iam.googleapis.com/x\u{7}",
                "member `principal://iam.googleapis.com/x\\u{7}` contains the control character `\\u{7}`",
            ),
            (
                "user:moc.elpmaxe\u{202e}@evil.com",
                "member `user:moc.elpmaxe\\u{202e}@evil.com` contains the control character `\\u{202e}`",
            ),
            ("bob\rx@example.com", "member `bob\\u{d}x@example.com` contains the control character `\\u{d}`"),
        ] {
            match Principal::from_str(input) {
                Err(e) if (e.to_string(), e.exit_code()) == (want.to_string(), 2) => {}
                other => wrong.push(format!("{input:?}: got {other:?}, want {want:?}")),
            }
        }
        for (input, want) in [
            ("roles/a\u{1b}[2J", "role `roles/a\\u{1b}[2J` contains the control character `\\u{1b}`"),
            ("roles/x\u{85}y", "role `roles/x\\u{85}y` contains the control character `\\u{85}`"),
            ("roles/\u{2066}x", "role `roles/\\u{2066}x` contains the control character `\\u{2066}`"),
        ] {
            match Role::from_str(input) {
                Err(e) if (e.to_string(), e.exit_code()) == (want.to_string(), 2) => {}
                other => wrong.push(format!("{input:?}: got {other:?}, want {want:?}")),
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        // Surrounding whitespace (a newline from `$(…)`) is trimmed, as before, not refused.
        assert_eq!(Principal::from_str("a@example.com\n").unwrap().as_str(), "user:a@example.com");
    }

    #[test]
    fn roles() {
        for good in
            ["roles/storage.admin", "projects/my-proj/roles/custom_1", "organizations/123/roles/custom"]
        {
            assert_eq!(Role::from_str(good).map(|r| r.to_string()), Ok(good.to_string()));
        }
        let e = Role::from_str("roles/owner").unwrap_err();
        assert_eq!(e.to_string(), "role `roles/owner` cannot be granted with a condition");
        assert_eq!(
            Role::from_str("storage.admin").unwrap_err().hint().as_deref(),
            Some("predefined roles look like `roles/storage.admin`")
        );
        let message = |r: &str| Role::from_str(r).map_err(|e| e.to_string()).unwrap_err();
        assert_eq!(
            message("roles/x_withcond_0123456789abcdef0123"),
            "role `roles/x_withcond_0123456789abcdef0123` is a version-1 view of a conditional binding, not a real role"
        );
        assert_eq!(message("roles/"), "`roles/` is not a valid role");
        assert_eq!(message("roles/a b"), "`roles/a b` is not a valid role");
    }

    #[test]
    fn resources() {
        assert_eq!(ResourceId::project("my-project").unwrap().name(), "projects/my-project");
        for bad in ["My-Project", "short", "ends-with-"] {
            assert_eq!(
                ResourceId::project(bad).map_err(|e| e.to_string()),
                Err(format!("`{bad}` is not a valid project ID"))
            );
        }
        assert_eq!(
            ResourceId::project("example.com:legacy-proj").map(|r| r.name()),
            Ok("projects/example.com:legacy-proj".to_string())
        );
        assert_eq!(ResourceId::folder("folders/123").unwrap().name(), "folders/123");
        assert_eq!(
            ResourceId::folder("abc").map_err(|e| e.to_string()),
            Err("`abc` is not a folder number".to_string())
        );
        assert_eq!("organizations/42".parse::<ResourceId>().unwrap().kind, Kind::Organization);
    }
}
