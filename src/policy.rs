//! Allow-policy types that keep every JSON field they do not know, so that a read-modify-write
//! never drops anything (design §4.4).
//!
//! The JSON shape is Google's (`google.iam.v1.Policy`), as `gcloud ... get-iam-policy --format=json`
//! prints it and as the REST API sends it. The edits themselves live in [`crate::edit`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What Google appends to the role of a conditional binding when it answers a request for policy
/// version 1: `roles/storage.admin_withcond_8a0b2c3d4e5f60718293`.
/// <https://cloud.google.com/iam/docs/policies#versions>
pub const WITHCOND: &str = "_withcond_";

/// True for a role of a version-1 view of a conditional binding (see [`WITHCOND`]).
pub fn is_version1_role(role: &str) -> bool {
    role.contains(WITHCOND)
}

/// Google's limit on principals in one allow policy, counted as [`Policy::principal_count`] does.
/// <https://cloud.google.com/iam/docs/policies#limits>
pub const MAX_PRINCIPALS: usize = 1500;

/// `google.iam.v1.Policy`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Binding>,
    /// `auditConfigs` and anything Google adds later ride here untouched.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// `google.iam.v1.Binding`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub role: String,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Expr>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `google.type.Expr`: the condition of a binding.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Expr {
    #[serde(default)]
    pub expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Expr {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or_default()
    }

    pub fn description(&self) -> &str {
        self.description.as_deref().unwrap_or_default()
    }
}

impl Binding {
    /// Two bindings are the same binding when role and condition (expression, title, description)
    /// match; Google merges such bindings on write.
    pub fn same_target(&self, other: &Binding) -> bool {
        self.role == other.role && conditions_equal(self.condition.as_ref(), other.condition.as_ref())
    }
}

/// Conditions compare by the three fields Google compares; `location` and unknown fields are
/// bookkeeping.
pub fn conditions_equal(a: Option<&Expr>, b: Option<&Expr>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.expression == b.expression && a.title() == b.title() && a.description() == b.description()
        }
        _ => false,
    }
}

impl Policy {
    /// Parses a policy as `gcloud ... get-iam-policy --format=json` prints it (or as the API sends
    /// it).
    pub fn from_json(text: &str) -> Result<Policy, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Pretty JSON with keys sorted, as `gcloud --format=json` prints a policy, so the output
    /// diffs cleanly against gcloud's.
    pub fn to_json_pretty(&self) -> String {
        let value = serde_json::to_value(self).expect("a policy always serialises");
        let mut s = serde_json::to_string_pretty(&value).expect("a JSON value always serialises");
        s.push('\n');
        s
    }

    /// True when any role carries the `_withcond_` suffix of a version-1 view of a conditional
    /// policy; such a policy must never be written back (design §4.3).
    pub fn is_version1_view_of_conditions(&self) -> bool {
        self.version1_role().is_some()
    }

    /// The first role that shows this policy is a version-1 view of conditional bindings.
    pub fn version1_role(&self) -> Option<&str> {
        self.bindings.iter().map(|b| b.role.as_str()).find(|r| is_version1_role(r))
    }

    pub fn has_conditions(&self) -> bool {
        self.bindings.iter().any(|b| b.condition.is_some())
    }

    /// The principals Google counts against [`MAX_PRINCIPALS`]: every occurrence in a binding (not
    /// deduplicated), and every principal exempted from audit logging in `auditConfigs`
    /// (`auditLogConfigs[].exemptedMembers[]`), which Google counts too: a policy at the limit
    /// through its exemptions is refused on write (issue 8 defect 9; the emulator counts the same
    /// way). <https://cloud.google.com/iam/docs/policies#limits>
    pub fn principal_count(&self) -> usize {
        let in_bindings: usize = self.bindings.iter().map(|b| b.members.len()).sum();
        let exempted: usize = self
            .extra
            .get("auditConfigs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("auditLogConfigs").and_then(Value::as_array))
            .flatten()
            .filter_map(|l| l.get("exemptedMembers").and_then(Value::as_array))
            .map(Vec::len)
            .sum();
        in_bindings + exempted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GCLOUD: &str = r#"{
  "auditConfigs": [
    {
      "auditLogConfigs": [{"logType": "DATA_READ"}],
      "service": "storage.googleapis.com"
    }
  ],
  "bindings": [
    {
      "condition": {
        "description": "jit: granted by alice@example.com",
        "expression": "request.time < timestamp(\"2026-11-25T14:00:00Z\")",
        "title": "jit until 2026-11-25T14:00:00Z"
      },
      "members": ["user:bob@example.com"],
      "role": "roles/storage.admin"
    },
    {
      "members": ["user:alice@example.com", "group:sre@example.com"],
      "role": "roles/viewer",
      "futureField": {"x": 1}
    }
  ],
  "etag": "BwYRRpZ0Nr8=",
  "version": 3
}"#;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let p = Policy::from_json(GCLOUD).unwrap();
        assert_eq!(p.version, Some(3));
        assert_eq!(p.etag.as_deref(), Some("BwYRRpZ0Nr8="));
        assert!(p.extra.contains_key("auditConfigs"));
        assert_eq!(p.bindings[1].extra["futureField"]["x"], 1);
        let again = Policy::from_json(&p.to_json_pretty()).unwrap();
        assert_eq!(p, again);
        let a: Value = serde_json::from_str(GCLOUD).unwrap();
        let b: Value = serde_json::from_str(&p.to_json_pretty()).unwrap();
        assert_eq!(a, b, "nothing added or dropped");
    }

    #[test]
    fn numbers_in_unknown_fields_keep_every_digit() {
        // Issue 8 defect 10: `12345678901234567890123` came back as `1.2345678901234568e22`.
        let text = r#"{"bindings":[{"role":"roles/a.b","members":["user:a@example.com"],"n":-0.10000000000000000000001,
            "condition":{"expression":"true","big":18446744073709551616}}],
            "future":{"big":12345678901234567890123,"exp":1e400,"small":5e-324,"int":3},"etag":"BwX=","version":3}"#;
        let p = Policy::from_json(text).unwrap();
        assert_eq!(p.version, Some(3));
        let out = p.to_json_pretty();
        // serde_json keeps the digits as written; an exponent gets its sign spelled out (`1e+400`).
        for number in [
            "12345678901234567890123",
            "1e+400",
            "5e-324",
            "18446744073709551616",
            "-0.10000000000000000000001",
        ] {
            assert!(out.contains(number), "{number} lost: {out}");
        }
        assert_eq!(p.extra["future"]["int"], 3, "small integers still compare as numbers");
        let yaml =
            "bindings:\n- members:\n  - user:a@example.com\n  role: roles/a.b\nversion: 3\nfuture: 123\n";
        let p: Policy = serde_norway::from_str(yaml).unwrap();
        assert_eq!(p.version, Some(3));
    }

    #[test]
    fn audit_exemptions_count_as_principals() {
        let p = Policy::from_json(GCLOUD).unwrap();
        assert_eq!(p.principal_count(), 3);
        let p = Policy::from_json(
            r#"{"bindings":[{"role":"roles/viewer","members":["user:a@example.com"]}],
                "auditConfigs":[
                  {"service":"allServices","auditLogConfigs":[
                    {"logType":"DATA_READ","exemptedMembers":["user:a@example.com","user:b@example.com"]},
                    {"logType":"DATA_WRITE","exemptedMembers":["user:a@example.com"]}]},
                  {"service":"storage.googleapis.com","auditLogConfigs":[{"logType":"ADMIN_READ"}]},
                  {"service":"odd","auditLogConfigs":"not a list"}]}"#,
        )
        .unwrap();
        assert_eq!(p.principal_count(), 4, "every occurrence, bindings and exemptions");
    }

    #[test]
    fn withcond_roles_are_detected() {
        let p = Policy::from_json(
            r#"{"bindings":[{"role":"roles/storage.admin_withcond_8a0b2c3d4e5f60718293","members":["user:a@example.com"]}]}"#,
        )
        .unwrap();
        assert!(p.is_version1_view_of_conditions());
    }
}
