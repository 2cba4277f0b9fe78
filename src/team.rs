//! The team's config file (issue 11): defaults, per-role limits, denied roles and bundles, read
//! from `--config FILE`, `JIT_CONFIG`, a `jit.toml` in the current directory or above it, or
//! `$XDG_CONFIG_HOME/jit/config.toml`, in that order.
//!
//! These are jit's own guard-rails: anyone with `setIamPolicy` can go around them with gcloud
//! (docs/security.md). What Google enforces is delegation (`jit delegate`).
//!
//! Pure: finding and reading the file is `config::team_file`'s; parsing and every check take
//! their inputs as arguments. Every value is checked when the file is read, and a mistake is
//! reported with its line and column (exit 2) before anything is sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use toml::Spanned;

use crate::error::Error;
use crate::iam::ResourceId;
use crate::timespec;

/// The file name looked for in the current directory and its parents.
pub const FILE_NAME: &str = "jit.toml";

/// A checked team config.
#[derive(Debug, Clone, Default)]
pub struct Team {
    /// Where it was read from, for messages.
    pub path: PathBuf,
    /// The longest grant of any role.
    pub max_duration: Option<Duration>,
    /// How long a grant lasts when neither --for nor --until is given (jit's own default: 1h).
    pub default_duration: Option<String>,
    /// Every grant needs --reason.
    pub require_reason: bool,
    /// A reason must match this (unanchored, as `regex` matches; write `^` to anchor it).
    pub reason_pattern: Option<regex::Regex>,
    /// Roles `jit grant` refuses.
    pub denied_roles: Vec<String>,
    /// Roles `jit audit` reports when held without an end; `None`: audit's default list.
    pub sensitive_roles: Option<Vec<String>>,
    /// The resources a command works on when no scope flag is given.
    pub scopes: Vec<ResourceId>,
    /// Per-role limits, by role name.
    pub roles: BTreeMap<String, RoleRule>,
    /// Bundles, by name (without the `@`).
    pub bundles: BTreeMap<String, Bundle>,
    /// `[entitlements.ID]` and `[notify]`: Privileged Access Manager (src/entitlements.rs).
    pub pam: crate::entitlements::Pam,
    /// `[[audit.waive]]`: findings of `jit audit` the team has accepted, each with its reason.
    pub waivers: Vec<Waiver>,
}

/// One `[[audit.waive]]`: a finding on `member` holding `role` (on `resource`, or anywhere when
/// none is named) that the team accepts for `reason`; `jit audit` shows it as waived and does not
/// fail on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub member: String,
    pub role: String,
    /// The resource's name as reports show it (`projects/P`, `projects/_/buckets/B`, …).
    pub resource: Option<String>,
    pub reason: String,
}

impl Waiver {
    /// Whether this waiver covers a finding on `member` holding `role` on `resource`.
    pub fn covers(&self, resource: &str, role: &str, member: &str) -> bool {
        self.role == role
            && crate::iam::same_member(&self.member, member)
            && self.resource.as_deref().is_none_or(|r| r == resource)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleRule {
    pub max_duration: Option<Duration>,
}

/// `[bundles.NAME]`: roles granted together on a set of resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub name: String,
    pub roles: Vec<String>,
    /// Empty: the command line's scopes (or the config's defaults).
    pub resources: Vec<ResourceId>,
    pub max_duration: Option<Duration>,
}

// ---- the file as written ---------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    max_duration: Option<Spanned<String>>,
    default_duration: Option<Spanned<String>>,
    require_reason: Option<bool>,
    reason_pattern: Option<Spanned<String>>,
    #[serde(default)]
    denied_roles: Vec<Spanned<String>>,
    sensitive_roles: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    projects: Vec<Spanned<String>>,
    #[serde(default)]
    folders: Vec<Spanned<String>>,
    #[serde(default)]
    organizations: Vec<Spanned<String>>,
    #[serde(default)]
    resources: Vec<Spanned<String>>,
    #[serde(default)]
    roles: BTreeMap<Spanned<String>, RawRole>,
    #[serde(default)]
    bundles: BTreeMap<Spanned<String>, RawBundle>,
    #[serde(default)]
    entitlements: BTreeMap<Spanned<String>, crate::entitlements::RawEntitlement>,
    notify: Option<crate::entitlements::RawNotify>,
    audit: Option<RawAudit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    #[serde(default)]
    waive: Vec<RawWaiver>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    member: Spanned<String>,
    role: Spanned<String>,
    resource: Option<Spanned<String>>,
    reason: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    max_duration: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBundle {
    roles: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    projects: Vec<Spanned<String>>,
    #[serde(default)]
    folders: Vec<Spanned<String>>,
    #[serde(default)]
    organizations: Vec<Spanned<String>>,
    #[serde(default)]
    resources: Vec<Spanned<String>>,
    max_duration: Option<Spanned<String>>,
    /// Free text for people reading the file.
    #[allow(dead_code)]
    description: Option<String>,
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Reads a config file's text; `path` names it in messages.
pub fn parse(text: &str, path: &Path) -> Result<Team, Error> {
    let at = |span: std::ops::Range<usize>, message: &str| -> Error {
        let (line, column) = line_column(text, span.start);
        Error::usage_hint(
            format!("`{}`, line {line}, column {column}: {message}", path.display()),
            "`jit config check` checks the file; docs/usage.md lists every key",
        )
    };
    // TOML calls them keys; serde says "field".
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end().replace("unknown field `", "unknown key `");
        at(e.span().unwrap_or(0..0), &message)
    })?;

    let duration = |s: &Spanned<String>| -> Result<Duration, Error> {
        let d = timespec::parse_duration(s.get_ref()).map_err(|e| at(s.span(), &e.to_string()))?;
        if d <= Duration::zero() {
            return Err(at(s.span(), &format!("`{}` is not a positive duration", s.get_ref())));
        }
        Ok(d)
    };
    let role = |s: &Spanned<String>| -> Result<String, Error> {
        let name = s.get_ref().trim();
        crate::roles::check(name, None).map_err(|e| at(s.span(), &e.to_string()))?;
        Ok(name.to_string())
    };
    let scopes = |projects: &[Spanned<String>],
                  folders: &[Spanned<String>],
                  organizations: &[Spanned<String>],
                  resources: &[Spanned<String>]|
     -> Result<Vec<ResourceId>, Error> {
        let mut out = Vec::new();
        type Make = fn(&str) -> Result<ResourceId, Error>;
        let groups: [(&[Spanned<String>], Make); 4] = [
            (projects, ResourceId::project),
            (folders, ResourceId::folder),
            (organizations, ResourceId::organization),
            (resources, ResourceId::full_name),
        ];
        for (items, make) in groups {
            for s in items {
                out.push(make(s.get_ref().trim()).map_err(|e| at(s.span(), &e.to_string()))?);
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert(r.clone()));
        Ok(out)
    };

    let mut team = Team {
        path: path.to_path_buf(),
        max_duration: raw.max_duration.as_ref().map(duration).transpose()?,
        default_duration: match &raw.default_duration {
            Some(s) => {
                duration(s)?;
                Some(s.get_ref().trim().to_string())
            }
            None => None,
        },
        require_reason: raw.require_reason.unwrap_or(false),
        reason_pattern: match &raw.reason_pattern {
            Some(s) => Some(regex::Regex::new(s.get_ref()).map_err(|e| {
                at(
                    s.span(),
                    &format!(
                        "`{}` is not a valid regular expression: {}",
                        s.get_ref(),
                        first_line(&e.to_string())
                    ),
                )
            })?),
            None => None,
        },
        denied_roles: raw.denied_roles.iter().map(role).collect::<Result<_, _>>()?,
        sensitive_roles: raw.sensitive_roles.as_ref().map(|v| v.iter().map(role).collect()).transpose()?,
        scopes: scopes(&raw.projects, &raw.folders, &raw.organizations, &raw.resources)?,
        pam: crate::entitlements::parse(&raw.entitlements, raw.notify.as_ref(), &at)?,
        ..Team::default()
    };
    for w in raw.audit.iter().flat_map(|a| &a.waive) {
        team.waivers.push(waiver(w, &at)?);
    }
    for (name, rule) in &raw.roles {
        // `roles."roles/x "` or a no-break space would read as the role after trimming, or as a
        // role of its own that no grant names: either way a limit that does not mean what it says
        // (issue 17 item 2).
        if let Some(c) = name.get_ref().chars().find(|&c| c.is_whitespace() || invisible(c)) {
            return Err(at(
                name.span(),
                &format!(
                    "the key `{}` holds {} (U+{:04X}); write the role's name alone",
                    crate::output::escape(name.get_ref()),
                    if c.is_whitespace() { "a space" } else { "an invisible character" },
                    u32::from(c)
                ),
            ));
        }
        let role = role(name)?;
        team.roles
            .insert(role, RoleRule { max_duration: rule.max_duration.as_ref().map(duration).transpose()? });
    }
    for (name, b) in &raw.bundles {
        let key = name.get_ref();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err(at(
                name.span(),
                &format!(
                    "`{key}` is not a bundle name: use letters, digits, `-`, `_` and `.` (it is typed as `@NAME`)"
                ),
            ));
        }
        if b.roles.get_ref().is_empty() {
            return Err(at(b.roles.span(), &format!("bundle `{key}` names no role")));
        }
        let mut roles: Vec<String> = b.roles.get_ref().iter().map(role).collect::<Result<_, _>>()?;
        if let Some(denied) =
            b.roles.get_ref().iter().find(|r| team.denied_roles.iter().any(|d| d == r.get_ref().trim()))
        {
            return Err(at(
                denied.span(),
                &format!("bundle `{key}` names `{}`, which `denied_roles` denies", denied.get_ref().trim()),
            ));
        }
        roles.sort();
        roles.dedup();
        team.bundles.insert(
            key.clone(),
            Bundle {
                name: key.clone(),
                roles,
                resources: scopes(&b.projects, &b.folders, &b.organizations, &b.resources)?,
                max_duration: b.max_duration.as_ref().map(duration).transpose()?,
            },
        );
    }
    Ok(team)
}

/// One `[[audit.waive]]`, checked: a member as policies write it (a convenience or deleted member
/// too), a role's name, a resource as a name or a full resource name, and a reason that says
/// something.
fn waiver(w: &RawWaiver, at: &dyn Fn(std::ops::Range<usize>, &str) -> Error) -> Result<Waiver, Error> {
    let member = w.member.get_ref().trim();
    let member = if !member.contains(':') && member.contains('@') {
        crate::iam::member_of_email(member)
    } else {
        member.to_string()
    };
    if !crate::iam::Principal::is_well_formed(&member) {
        return Err(at(
            w.member.span(),
            &format!(
                "`{}` is not a member as a policy writes it (user:EMAIL, serviceAccount:EMAIL, group:EMAIL, …)",
                crate::output::escape(&member)
            ),
        ));
    }
    let role = w.role.get_ref().trim();
    if !crate::iam::Role::is_well_formed(role) {
        return Err(at(w.role.span(), &format!("`{}` is not a role's name", crate::output::escape(role))));
    }
    let resource = match &w.resource {
        None => None,
        Some(r) => {
            let text = r.get_ref().trim();
            let id = if text.starts_with("//") {
                ResourceId::full_name(text)
            } else {
                ResourceId::full_name(&format!("//{}/{text}", service_of_name(text)))
            };
            Some(
                id.map_err(|_| {
                    at(
                        r.span(),
                        &format!(
                            "`{}` is not a resource jit knows: write it as reports show it (projects/P, \
                         folders/N, projects/_/buckets/B, …) or as a full resource name",
                            crate::output::escape(text)
                        ),
                    )
                })?
                .name(),
            )
        }
    };
    let reason = w.reason.get_ref().trim();
    if reason.is_empty() || reason.chars().any(crate::text::is_terminal_control) {
        return Err(at(w.reason.span(), "a waiver needs a reason: one line of text saying why"));
    }
    Ok(Waiver { member, role: role.to_string(), resource, reason: reason.to_string() })
}

/// The service whose full resource names hold `name` as reports show it.
fn service_of_name(name: &str) -> &'static str {
    if name.starts_with("projects/_/buckets/") {
        "storage.googleapis.com"
    } else if name.contains("/secrets/") {
        "secretmanager.googleapis.com"
    } else if name.contains("/serviceAccounts/") {
        "iam.googleapis.com"
    } else if name.contains("/keyRings/") {
        "cloudkms.googleapis.com"
    } else if name.contains("/services/") {
        "run.googleapis.com"
    } else {
        "cloudresourcemanager.googleapis.com"
    }
}

/// Characters that show nothing: format characters (zero-width spaces and joiners, bidi marks
/// and controls, the byte-order mark, the soft hyphen), and the other control characters.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
        || c.is_control()
}

fn first_line(text: &str) -> String {
    // regex's messages draw the pattern over several lines; the last line says what is wrong.
    text.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(text)
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

/// Whether a predefined role can mean anything on `resource`: on a project, folder or
/// organization every role can (its permissions apply below); on a resource of another kind the
/// role must hold a permission of that kind's service (the prefix of its `getIamPolicy`
/// permission, src/kinds/), as Google's `queryGrantableRoles` answers. Custom roles, and
/// roles jit's copy does not know, are not judged.
fn grantable_on(role: &str, resource: &ResourceId) -> bool {
    if resource.is_container() {
        return true;
    }
    let Ok(crate::roles::RoleCheck::Predefined(r)) = crate::roles::check(role, None) else { return true };
    let get = crate::kinds::row(resource.kind).get_permission;
    // `storage.buckets.getIamPolicy` -> `storage.`; `iam.serviceAccounts.getIamPolicy` ->
    // `iam.serviceAccounts.` (IAM's own permissions are mostly about other things).
    let service = match get.split('.').collect::<Vec<_>>().as_slice() {
        ["iam", kind, ..] => format!("iam.{kind}."),
        [service, ..] => format!("{service}."),
        [] => return true,
    };
    r.permissions().any(|p| p.starts_with(&service))
}

// ---- applying it -------------------------------------------------------------------------------

/// A bundle named on the command line as `@NAME`.
pub fn bundle_name(arg: &str) -> Option<&str> {
    arg.trim().strip_prefix('@')
}

impl Team {
    /// The bundle `@NAME` names, or a usage error naming the bundles there are.
    pub fn bundle(&self, name: &str) -> Result<&Bundle, Error> {
        self.bundles.get(name).ok_or_else(|| {
            let known: Vec<String> = self.bundles.keys().map(|k| format!("`@{k}`")).collect();
            Error::usage_hint(
                format!("there is no bundle `@{name}` in `{}`", self.path.display()),
                if known.is_empty() {
                    "the file defines no bundles; add a [bundles.NAME] table".to_string()
                } else {
                    format!("bundles: {}", known.join(", "))
                },
            )
        })
    }

    /// The longest grant of `role` allowed, and what sets it: the role's own limit, the bundle's
    /// and the file's, whichever is least.
    pub fn limit(&self, role: &str, bundle: Option<&Bundle>) -> Option<(Duration, String)> {
        let mut limits: Vec<(Duration, String)> = Vec::new();
        if let Some(d) = self.roles.get(role).and_then(|r| r.max_duration) {
            limits.push((d, format!("`roles.\"{role}\".max_duration`")));
        }
        if let Some(b) = bundle
            && let Some(d) = b.max_duration
        {
            limits.push((d, format!("`bundles.{}.max_duration`", b.name)));
        }
        if let Some(d) = self.max_duration {
            limits.push((d, "`max_duration`".to_string()));
        }
        limits.into_iter().min_by_key(|(d, _)| *d)
    }

    /// The checks of a resolved grant before anything is read or sent: no denied role, a reason
    /// when one is required and the reason pattern, and each role's longest grant.
    pub fn check_grant(
        &self,
        roles: &[String],
        reason: Option<&str>,
        start: Option<DateTime<Utc>>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
        bundle: Option<&Bundle>,
    ) -> Result<(), Error> {
        let file = self.path.display();
        for r in roles {
            if self.denied_roles.iter().any(|d| d == r.trim()) {
                return Err(Error::usage_hint(
                    format!("role `{}` is denied by the team config `{file}`", r.trim()),
                    "its `denied_roles` lists it; ask the people who keep that file",
                ));
            }
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if self.require_reason && reason.is_none() {
            return Err(Error::usage_hint(
                format!("a reason is required by the team config `{file}`"),
                match &self.reason_pattern {
                    Some(p) => format!("add --reason TEXT matching `{}`", p.as_str()),
                    None => "add --reason TEXT".to_string(),
                },
            ));
        }
        if let (Some(p), Some(r)) = (&self.reason_pattern, reason)
            && !p.is_match(r)
        {
            return Err(Error::usage_hint(
                format!("the reason `{r}` does not match `{}` (the team config `{file}`)", p.as_str()),
                "give a reason such as a ticket number in that form",
            ));
        }
        let begins = start.map_or(now, |s| s.max(now));
        for r in roles {
            if let Some((max, source)) = self.limit(r.trim(), bundle)
                && end - begins > max
            {
                return Err(Error::usage_hint(
                    format!(
                        "`{}` is longer than the maximum of {} for `{}`",
                        timespec::words(end - begins),
                        timespec::words(max),
                        r.trim()
                    ),
                    format!("{source} in the team config `{file}` sets it; ask for less"),
                ));
            }
        }
        Ok(())
    }

    /// The rules of the file that can never work (issue 17 item 2), for `jit config check`: a
    /// default length over the maximum, a per-role or bundle maximum over the file's own (the
    /// least applies, so it can never be reached), a basic role in a bundle (Google refuses a
    /// condition on it), and a bundle role that cannot be granted on one of the bundle's
    /// resources (a predefined role whose permissions include none of that kind's service).
    pub fn impossible(&self) -> Vec<String> {
        let mut out = Vec::new();
        let cap = self.max_duration.unwrap_or(timespec::DEFAULT_MAX);
        let cap_name = if self.max_duration.is_some() { "`max_duration`" } else { "jit's default maximum" };
        if let Some(d) = &self.default_duration
            && let Ok(length) = timespec::parse_duration(d)
            && length > cap
        {
            out.push(format!(
                "`default_duration` ({}) is longer than {cap_name} ({}): every grant without --for would be refused",
                d,
                timespec::words(cap)
            ));
        }
        if let Some(max) = self.max_duration {
            for (role, rule) in &self.roles {
                if let Some(d) = rule.max_duration.filter(|d| *d > max) {
                    out.push(format!(
                        "`roles.\"{role}\".max_duration` ({}) is over `max_duration` ({}), which applies first",
                        timespec::words(d),
                        timespec::words(max)
                    ));
                }
            }
            for b in self.bundles.values() {
                if let Some(d) = b.max_duration.filter(|d| *d > max) {
                    out.push(format!(
                        "`bundles.{}.max_duration` ({}) is over `max_duration` ({}), which applies first",
                        b.name,
                        timespec::words(d),
                        timespec::words(max)
                    ));
                }
            }
        }
        for b in self.bundles.values() {
            for role in &b.roles {
                if crate::iam::BASIC_ROLES.contains(&role.as_str()) {
                    out.push(format!(
                        "bundle `{}` holds the basic role `{role}`, which Google never grants with a condition",
                        b.name
                    ));
                    continue;
                }
                if let Some(r) = b.resources.iter().find(|r| !grantable_on(role, r)) {
                    out.push(format!(
                        "bundle `{}` holds `{role}`, which has no permission on `{}`",
                        b.name,
                        r.name()
                    ));
                }
            }
        }
        out
    }

    /// True when some bundle holds `role` (audit's "role in no bundle").
    pub fn in_some_bundle(&self, role: &str) -> bool {
        self.bundles.values().any(|b| b.roles.iter().any(|r| r == role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of issue 11, as the docs give it.
    pub const EXAMPLE: &str = r#"max_duration = "8h"
require_reason = true
reason_pattern = "^(INC|CHG)-[0-9]+"
denied_roles = ["roles/iam.serviceAccountKeyAdmin"]

[roles."roles/logging.viewer"]
max_duration = "2h"

[bundles.oncall-payments]
roles = ["roles/logging.viewer", "roles/storage.objectViewer"]
projects = ["pay-prod", "pay-dev"]      # also folders, organizations, resources (full names)
max_duration = "4h"
"#;

    fn t(s: &str) -> DateTime<Utc> {
        crate::condition::parse_timestamp(s).unwrap()
    }

    fn err(text: &str) -> String {
        let e = parse(text, Path::new("jit.toml")).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        e.to_string()
    }

    #[test]
    fn the_issue_example_reads() {
        let team = parse(EXAMPLE, Path::new("jit.toml")).unwrap();
        assert_eq!(team.max_duration, Some(Duration::hours(8)));
        assert!(team.require_reason);
        assert_eq!(team.reason_pattern.as_ref().unwrap().as_str(), "^(INC|CHG)-[0-9]+");
        assert_eq!(team.denied_roles, ["roles/iam.serviceAccountKeyAdmin"]);
        assert_eq!(team.roles["roles/logging.viewer"].max_duration, Some(Duration::hours(2)));
        let b = &team.bundles["oncall-payments"];
        assert_eq!(b.roles, ["roles/logging.viewer", "roles/storage.objectViewer"]);
        assert_eq!(
            b.resources,
            [ResourceId::project("pay-prod").unwrap(), ResourceId::project("pay-dev").unwrap()]
        );
        assert_eq!(b.max_duration, Some(Duration::hours(4)));
        assert!(team.scopes.is_empty());
    }

    #[test]
    fn audit_waivers_are_checked_with_line_and_column() {
        assert_eq!(
            err("[[audit.waive]]\nmember = \"user:a@example.com\"\nrole = \"roles/owner\"\n"),
            "`jit.toml`, line 1, column 1: missing field `reason`"
        );
        assert_eq!(
            err("[[audit.waive]]\nmember = \"alice\"\nrole = \"roles/owner\"\nreason = \"r\"\n"),
            "`jit.toml`, line 2, column 10: `alice` is not a member as a policy writes it (user:EMAIL, \
             serviceAccount:EMAIL, group:EMAIL, …)"
        );
        assert_eq!(
            err("[[audit.waive]]\nmember = \"user:a@example.com\"\nrole = \"roles/owner\"\nreason = \" \"\n"),
            "`jit.toml`, line 4, column 10: a waiver needs a reason: one line of text saying why"
        );
        let e =
            err("[[audit.waive]]\nmember = \"user:a@example.com\"\nrole = \"roles/owner\"\nreason = \"r\"\n\
             resource = \"project/x\"\n");
        assert!(
            e.starts_with("`jit.toml`, line 5, column 12: `project/x` is not a resource jit knows"),
            "{e}"
        );
        let t = parse(
            "[[audit.waive]]\nmember = \"ci@p-1.iam.gserviceaccount.com\"\nrole = \"roles/owner\"\n\
             reason = \"CI deploys\"\nresource = \"projects/_/buckets/b-1\"\n",
            Path::new("jit.toml"),
        )
        .unwrap();
        assert_eq!(
            t.waivers,
            [Waiver {
                member: "serviceAccount:ci@p-1.iam.gserviceaccount.com".into(),
                role: "roles/owner".into(),
                resource: Some("projects/_/buckets/b-1".into()),
                reason: "CI deploys".into(),
            }]
        );
    }

    #[test]
    fn mistakes_have_a_line_and_column() {
        assert_eq!(
            err("max_duration = \"8h\"\nmax_durations = \"2h\"\n"),
            "`jit.toml`, line 2, column 1: unknown key `max_durations`, expected one of `max_duration`, \
             `default_duration`, `require_reason`, `reason_pattern`, `denied_roles`, `sensitive_roles`, \
             `projects`, `folders`, `organizations`, `resources`, `roles`, `bundles`, `entitlements`, `notify`, \
             `audit`"
        );
        assert_eq!(err("max_duration = \"8x\"\n"), "`jit.toml`, line 1, column 16: `8x` is not a duration");
        let e = err("[bundles.b]\nroles = [\"roles/logging.viewer\",\n  \"roles/logging.veiwer\"]\n");
        assert!(e.starts_with("`jit.toml`, line 3, column 3: `roles/logging.veiwer` is not a predefined role; did you mean `roles/logging.viewer`"), "{e}");
        assert_eq!(
            err("reason_pattern = \"^(INC\"\n"),
            "`jit.toml`, line 1, column 18: `^(INC` is not a valid regular expression: unclosed group"
        );
        let e = err("[roles.\"roles/logging.viewer\"]\nmax = \"2h\"\n");
        assert!(
            e.starts_with("`jit.toml`, line 2, column 1: unknown key `max`, expected `max_duration`"),
            "{e}"
        );
        let e = err("[bundles.b]\nroles = [\"roles/logging.viewer\"]\nprojects = [\"Bad_Project\"]\n");
        assert_eq!(e, "`jit.toml`, line 3, column 13: `Bad_Project` is not a valid project ID");
        assert_eq!(
            err("[bundles.b]\nroles = []\n"),
            "`jit.toml`, line 2, column 9: bundle `b` names no role"
        );
        assert_eq!(
            err("require_reason = \"yes\"\n"),
            "`jit.toml`, line 1, column 18: invalid type: string \"yes\", expected a boolean"
        );
        assert!(err("max_duration = \n").starts_with("`jit.toml`, line 1, column 16: "));
        assert_eq!(
            err("denied_roles = [\"roles/pubsub.viewer\"]\n[bundles.b]\nroles = [\"roles/pubsub.viewer\"]\n"),
            "`jit.toml`, line 3, column 10: bundle `b` names `roles/pubsub.viewer`, which `denied_roles` denies"
        );
        assert_eq!(
            err("max_duration = \"0s\"\n"),
            "`jit.toml`, line 1, column 16: the duration `0s` is zero"
        );
        assert!(
            err("[bundles.\"a b\"]\nroles = [\"roles/logging.viewer\"]\n")
                .starts_with("`jit.toml`, line 1, column 10: `a b` is not a bundle name")
        );
    }

    #[test]
    fn line_columns_count_characters() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é = 1", 3), (1, 3), "é is one character of two bytes");
        assert_eq!(line_column("x", 99), (1, 2));
    }

    #[test]
    fn grant_checks() {
        let team = parse(EXAMPLE, Path::new("jit.toml")).unwrap();
        let now = t("2026-11-25T12:00:00Z");
        let h = |n| now + Duration::hours(n);
        let b = &team.bundles["oncall-payments"];
        let ok = |roles: &[&str], reason, end, bundle| {
            let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            team.check_grant(&roles, reason, None, end, now, bundle).map_err(|e| e.to_string())
        };
        assert_eq!(ok(&["roles/storage.objectViewer"], Some("INC-42"), h(8), None), Ok(()));
        assert_eq!(
            ok(&["roles/storage.objectViewer"], Some("INC-42"), h(9), None),
            Err("`9h` is longer than the maximum of 8h for `roles/storage.objectViewer`".into())
        );
        assert_eq!(
            ok(&["roles/logging.viewer"], Some("INC-42"), h(3), None),
            Err("`3h` is longer than the maximum of 2h for `roles/logging.viewer`".into())
        );
        assert_eq!(
            ok(&["roles/storage.objectViewer"], Some("CHG-7"), h(5), Some(b)),
            Err("`5h` is longer than the maximum of 4h for `roles/storage.objectViewer`".into())
        );
        assert_eq!(
            ok(&["roles/storage.objectViewer"], None, h(1), None),
            Err("a reason is required by the team config `jit.toml`".into())
        );
        assert_eq!(
            ok(&["roles/storage.objectViewer"], Some("because"), h(1), None),
            Err("the reason `because` does not match `^(INC|CHG)-[0-9]+` (the team config `jit.toml`)".into())
        );
        assert_eq!(
            ok(&["roles/iam.serviceAccountKeyAdmin"], Some("INC-1"), h(1), None),
            Err("role `roles/iam.serviceAccountKeyAdmin` is denied by the team config `jit.toml`".into())
        );
        assert_eq!(
            team.limit("roles/logging.viewer", Some(b)).unwrap().1,
            "`roles.\"roles/logging.viewer\".max_duration`"
        );
        assert_eq!(
            team.limit("roles/storage.objectViewer", Some(b)).unwrap().1,
            "`bundles.oncall-payments.max_duration`"
        );
        assert!(team.in_some_bundle("roles/logging.viewer"));
        assert!(!team.in_some_bundle("roles/owner"));
        assert_eq!(team.bundle("nope").unwrap_err().to_string(), "there is no bundle `@nope` in `jit.toml`");
    }

    /// Issue 17 item 2: a role key that differs from the role by a space or an invisible
    /// character is refused with its line and column, not read as the role (or as another).
    #[test]
    fn keys_with_spaces_or_invisible_characters_are_refused() {
        let cases = [
            ("[roles.\"roles/logging.viewer \"]\nmax_duration = \"1h\"\n", "a space (U+0020)"),
            ("[roles.\"roles/logging.viewer\u{a0}\"]\nmax_duration = \"1h\"\n", "a space (U+00A0)"),
            (
                "\n[roles.\"roles/logging\u{200b}.viewer\"]\nmax_duration = \"1h\"\n",
                "an invisible character (U+200B)",
            ),
        ];
        for (text, what) in cases {
            let e = err(text);
            let line = if text.starts_with('\n') { 2 } else { 1 };
            assert!(e.starts_with(&format!("`jit.toml`, line {line}, column 8: the key `")), "{e}");
            assert!(e.ends_with(&format!("` holds {what}; write the role's name alone")), "{e}");
        }
        assert!(
            parse("[roles.\"roles/logging.viewer\"]\nmax_duration = \"1h\"\n", Path::new("jit.toml")).is_ok()
        );
    }

    /// Issue 17 item 2: rules that can never work are found (`jit config check` refuses them).
    #[test]
    fn rules_that_can_never_work_are_found() {
        let text = r#"max_duration = "4h"
default_duration = "6h"
[roles."roles/logging.viewer"]
max_duration = "8h"
[bundles.admin]
roles = ["roles/owner"]
[bundles.secrets]
roles = ["roles/secretmanager.secretAccessor", "roles/storage.objectViewer"]
resources = ["//secretmanager.googleapis.com/projects/pay-prod/secrets/db"]
max_duration = "5h"
[bundles.fine]
roles = ["roles/storage.objectViewer"]
resources = ["//storage.googleapis.com/projects/_/buckets/logs-1", "//cloudresourcemanager.googleapis.com/projects/pay-prod"]
"#;
        let team = parse(text, Path::new("jit.toml")).unwrap();
        assert_eq!(
            team.impossible(),
            [
                "`default_duration` (6h) is longer than `max_duration` (4h): every grant without --for would be refused",
                "`roles.\"roles/logging.viewer\".max_duration` (8h) is over `max_duration` (4h), which applies first",
                "`bundles.secrets.max_duration` (5h) is over `max_duration` (4h), which applies first",
                "bundle `admin` holds the basic role `roles/owner`, which Google never grants with a condition",
                "bundle `secrets` holds `roles/storage.objectViewer`, which has no permission on `projects/pay-prod/secrets/db`",
            ]
        );
        // Without a maximum of the file's own, jit's default (12h) is the one a default passes.
        let team = parse("default_duration = \"13h\"\n", Path::new("jit.toml")).unwrap();
        assert_eq!(
            team.impossible(),
            [
                "`default_duration` (13h) is longer than jit's default maximum (12h): every grant without --for would be refused"
            ]
        );
        assert_eq!(parse(EXAMPLE, Path::new("jit.toml")).unwrap().impossible(), Vec::<String>::new());
    }
}
