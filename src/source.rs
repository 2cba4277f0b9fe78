//! Which tool wrote a conditional binding, told from its condition's title and description
//! (design §3).

use std::fmt;

use serde::Serialize;

use crate::condition::{self, TITLE_PREFIX};
use crate::policy::Expr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Source {
    #[serde(rename = "jit")]
    Jit,
    /// github.com/doitintl/gimme: title `granted by …`, description `… created by Gimme`.
    #[serde(rename = "gimme")]
    Gimme,
    /// github.com/GoogleCloudPlatform/jit-access: title `JIT access activation`.
    #[serde(rename = "jit-access")]
    JitAccess,
    /// github.com/3-shake/prel: title prefix `generated_by_prel`.
    #[serde(rename = "prel")]
    Prel,
    /// github.com/abcxyz/access-on-demand: title `abcxyz-aod-expiry`.
    #[serde(rename = "aod")]
    Aod,
    /// Google's Privileged Access Manager: title `Created by: PAM` on the binding a grant adds
    /// (what public tooling that must leave PAM's bindings alone matches on, e.g. Terraform
    /// modules' `pam_condition_title = "Created by: PAM"`). PAM removes it when the grant ends and
    /// flags the grant `externallyModified` when anyone else changes it
    /// (<https://cloud.google.com/iam/docs/reference/pam/rest/v1/folders.locations.entitlements.grants>),
    /// so jit never edits one ([`Source::is_managed_elsewhere`]).
    #[serde(rename = "pam")]
    Pam,
    #[serde(rename = "other")]
    Other,
}

/// The title Privileged Access Manager gives the condition of the bindings it adds.
pub const PAM_TITLE: &str = "Created by: PAM";

impl Source {
    /// Bindings another service owns and tracks: grant, revoke and cleanup leave them exactly as
    /// they are (issue 11 item 6).
    pub fn is_managed_elsewhere(self) -> bool {
        self == Source::Pam
    }

    pub fn of(condition: &Expr) -> Source {
        let title = condition.title().trim();
        let description = condition.description().trim();
        if title.starts_with(TITLE_PREFIX) {
            Source::Jit
        } else if title.eq_ignore_ascii_case(PAM_TITLE) {
            Source::Pam
        } else if title == "JIT access activation" {
            Source::JitAccess
        } else if title.starts_with("generated_by_prel") {
            Source::Prel
        } else if title == "abcxyz-aod-expiry" {
            Source::Aod
        } else if title.to_ascii_lowercase().starts_with("granted by ")
            || description.to_ascii_lowercase().ends_with("created by gimme")
        {
            Source::Gimme
        } else {
            Source::Other
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Jit => "jit",
            Source::Gimme => "gimme",
            Source::JitAccess => "jit-access",
            Source::Prel => "prel",
            Source::Aod => "aod",
            Source::Pam => "pam",
            Source::Other => "other",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who granted a binding, where its tool records it: jit's description, or gimme's title
/// (`granted by alice@example.com`).
pub fn granted_by(condition: &Expr) -> Option<String> {
    match Source::of(condition) {
        Source::Jit => condition::parse_description(condition.description()).and_then(|n| n.granted_by),
        Source::Gimme => {
            let title = condition.title().trim();
            title.get("granted by ".len()..).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
        }
        _ => None,
    }
}

/// Why it was granted, where its tool records it.
pub fn reason(condition: &Expr) -> Option<String> {
    match Source::of(condition) {
        Source::Jit => condition::parse_description(condition.description()).and_then(|n| n.reason),
        Source::JitAccess => {
            // JIT Access writes e.g. `Self-approved, justification: INC-1`.
            let d = condition.description();
            d.split_once("justification: ").map(|(_, r)| r.trim().to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(title: &str, description: &str) -> Expr {
        Expr {
            expression: "request.time < timestamp(\"2030-01-01T00:00:00Z\")".into(),
            title: Some(title.into()),
            description: Some(description.into()),
            ..Default::default()
        }
    }

    #[test]
    fn every_tool() {
        assert_eq!(Source::of(&expr("jit until 2030-01-01T00:00:00Z", "")), Source::Jit);
        assert_eq!(
            Source::of(&expr("granted by alice@example.com", "Temporary access created by Gimme")),
            Source::Gimme
        );
        assert_eq!(Source::of(&expr("something", "access created by Gimme")), Source::Gimme);
        assert_eq!(
            Source::of(&expr("JIT access activation", "Self-approved, justification: INC-1")),
            Source::JitAccess
        );
        assert_eq!(Source::of(&expr("generated_by_prel_12345", "")), Source::Prel);
        assert_eq!(Source::of(&expr("abcxyz-aod-expiry", "")), Source::Aod);
        assert_eq!(Source::of(&expr("Created by: PAM", "")), Source::Pam);
        assert_eq!(Source::of(&expr(" Created by: PAM ", "grant x")), Source::Pam);
        assert_eq!(Source::of(&expr("Created by: PAMELA", "")), Source::Other);
        assert_eq!(Source::of(&expr("expires_after_2030", "set by Terraform")), Source::Other);
        assert_eq!(Source::of(&Expr::default()), Source::Other);
        assert_eq!(Source::of(&expr("jitter", "")), Source::Other, "the prefix is `jit `, with the space");
    }

    #[test]
    fn who_and_why() {
        let jit = expr(
            "jit until 2030-01-01T00:00:00Z",
            "Granted by user:alice@example.com at 2029-12-31T22:00:00Z via jit. Reason: INC-7",
        );
        assert_eq!(granted_by(&jit).as_deref(), Some("user:alice@example.com"));
        assert_eq!(reason(&jit).as_deref(), Some("INC-7"));
        let gimme = expr("granted by bob@example.com", "… created by Gimme");
        assert_eq!(granted_by(&gimme).as_deref(), Some("bob@example.com"));
        let ja = expr("JIT access activation", "Self-approved, justification: INC-1");
        assert_eq!(reason(&ja).as_deref(), Some("INC-1"));
        assert_eq!(granted_by(&expr("x", "y")), None);
    }
}
