//! Unknown fields and parameters are refused (issue 18 item 4), as Google's front end refuses
//! them: a query parameter that is neither a system parameter nor one of the method's is
//! `400 INVALID_ARGUMENT` "Invalid JSON payload received. Unknown name "X": Cannot bind query
//! parameter. Field 'X' could not be found in request message." (pulumi/pulumi-google-native#836,
//! `optionsRequestedPolicyVersion` sent to IAM), and a field a request message does not have is
//! "Invalid JSON payload received. Unknown name "X" at 'PATH': Cannot find field." (PATH left
//! out at the top), each with a `google.rpc.BadRequest` naming the field. So a misspelt
//! `options.requestedPolicyVersion` fails instead of handing back a downgraded policy.
//!
//! Field names are taken in either JSON form proto3 accepts (`requestedPolicyVersion` or
//! `requested_policy_version`). The messages and parameters are those of each API's discovery
//! document (googleapis/google-api-go-client: `cloudresourcemanager/v1|v2|v3`,
//! `secretmanager/v1`, `iam/v1`, `cloudkms/v1`, `run/v1|v2`, `cloudasset/v1`, `logging/v2`,
//! `iamcredentials/v1`). Cloud Storage's JSON API refuses an unknown query parameter in its own
//! shape ([`check_storage_query`]); its bodies are not checked.

use serde_json::{Value, json};

use super::wire::ApiError;

/// The system parameters every API takes (`parameters` of every discovery document), and `$alt`,
/// which the Rust SDK sends (`$alt=json;enum-encoding=int`).
const SYSTEM: [&str; 14] = [
    "$.xgafv",
    "access_token",
    "alt",
    "$alt",
    "callback",
    "fields",
    "key",
    "oauth_token",
    "prettyPrint",
    "quotaUser",
    "uploadType",
    "upload_protocol",
    "userIp",
    "$fields",
];

/// A request message: its fields, each with the message it holds (`None`: a scalar, or a list
/// or map of scalars).
pub struct Message(&'static [(&'static str, Option<&'static Message>)]);

const EXPR: Message =
    Message(&[("expression", None), ("title", None), ("description", None), ("location", None)]);
const BINDING: Message = Message(&[("role", None), ("members", None), ("condition", Some(&EXPR))]);
const AUDIT_LOG_CONFIG: Message = Message(&[("logType", None), ("exemptedMembers", None)]);
const AUDIT_CONFIG: Message = Message(&[("service", None), ("auditLogConfigs", Some(&AUDIT_LOG_CONFIG))]);
const POLICY: Message = Message(&[
    ("version", None),
    ("bindings", Some(&BINDING)),
    ("auditConfigs", Some(&AUDIT_CONFIG)),
    ("etag", None),
]);
const OPTIONS: Message = Message(&[("requestedPolicyVersion", None)]);
/// `GetIamPolicyRequest`.
pub const GET_IAM_POLICY: Message = Message(&[("options", Some(&OPTIONS))]);
/// `SetIamPolicyRequest`.
pub const SET_IAM_POLICY: Message = Message(&[("policy", Some(&POLICY)), ("updateMask", None)]);
/// `TestIamPermissionsRequest`.
pub const TEST_IAM_PERMISSIONS: Message = Message(&[("permissions", None)]);
/// IAM `QueryGrantableRolesRequest`.
pub const QUERY_GRANTABLE_ROLES: Message =
    Message(&[("fullResourceName", None), ("pageSize", None), ("pageToken", None), ("view", None)]);
/// Logging `ListLogEntriesRequest`.
pub const LIST_LOG_ENTRIES: Message = Message(&[
    ("resourceNames", None),
    ("projectIds", None),
    ("filter", None),
    ("orderBy", None),
    ("pageSize", None),
    ("pageToken", None),
]);
/// IAM Credentials `GenerateAccessTokenRequest`.
pub const GENERATE_ACCESS_TOKEN: Message =
    Message(&[("delegates", None), ("scope", None), ("lifetime", None)]);
/// Resource Manager v1 `SearchOrganizationsRequest`.
pub const SEARCH_ORGANIZATIONS: Message =
    Message(&[("filter", None), ("pageSize", None), ("pageToken", None)]);
/// A request without a body (or whose body the emulator does not read).
pub const EMPTY: Message = Message(&[]);

/// `requested_policy_version` → `requestedPolicyVersion`.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A body with every field name in its camelCase JSON form: proto3's JSON parser takes the
/// field's name as declared (`requested_policy_version`) as well as its JSON name, so both must
/// mean the same to the handlers (a snake_case option must not fall back to a version-1 view).
pub fn camel_keys(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            Value::Object(fields.into_iter().map(|(k, v)| (camel(&k), camel_keys(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

/// Google's 400 for a field or parameter that is not there, with its `BadRequest`.
fn unknown(description: String, field: &str) -> ApiError {
    let mut e = ApiError::invalid(description.clone());
    let mut violation = json!({"description": description});
    if !field.is_empty() {
        violation["field"] = json!(field);
    }
    e.details.push(json!({
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [violation]
    }));
    e
}

/// Checks the query: every parameter a system one or one of `allowed` (dotted names as the
/// discovery document gives them, in either JSON form).
pub fn check_query(pairs: &[(String, String)], allowed: &[&str]) -> Result<(), ApiError> {
    for (name, _) in pairs {
        let known =
            SYSTEM.contains(&name.as_str()) || allowed.iter().any(|a| *a == name || *a == camel(name));
        if !known {
            return Err(unknown(
                format!(
                    "Invalid JSON payload received. Unknown name \"{name}\": Cannot bind query parameter. Field \
                     '{name}' could not be found in request message."
                ),
                "",
            ));
        }
    }
    Ok(())
}

/// Checks a JSON body against `message`: every field of every object one the message has.
pub fn check_body(body: &Value, message: &Message) -> Result<(), ApiError> {
    walk(body, message, "")
}

fn walk(value: &Value, message: &Message, path: &str) -> Result<(), ApiError> {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, message, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (name, v) in fields {
                let Some((_, inner)) = message.0.iter().find(|(f, _)| *f == name || *f == camel(name)) else {
                    let at = if path.is_empty() { String::new() } else { format!(" at '{path}'") };
                    return Err(unknown(
                        format!(
                            "Invalid JSON payload received. Unknown name \"{name}\"{at}: Cannot find field."
                        ),
                        path,
                    ));
                };
                if let Some(inner) = inner {
                    let here = if path.is_empty() { camel(name) } else { format!("{path}.{}", camel(name)) };
                    walk(v, inner, &here)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The query parameters and body message of a route, as `server::route` matched it (`s`: the
/// path's segments, `verb` its `:verb`); `None` for the routes not checked (Cloud Storage, the
/// emulator's own).
fn spec(method: &str, s: &[&str], verb: Option<&str>) -> Option<(&'static [&'static str], &'static Message)> {
    const VERSION: &[&str] = &["options.requestedPolicyVersion"];
    const PAGE: &[&str] = &["pageSize", "pageToken"];
    const LIST_V3: &[&str] = &["parent", "pageSize", "pageToken", "showDeleted"];
    const SEARCH_V3: &[&str] = &["query", "pageSize", "pageToken"];
    const ROLES: &[&str] = &["pageSize", "pageToken", "parent", "showDeleted", "view"];
    if s.first() == Some(&"storage") {
        return None;
    }
    // Privileged Access Manager's routes (emulator/src/server/pam.rs): the query parameters of
    // its discovery document; bodies are checked by its own handlers.
    if s.iter().any(|x| matches!(*x, "entitlements" | "grants" | "operations")) {
        const PAM_LIST: &[&str] = &["filter", "orderBy", "pageSize", "pageToken"];
        return match (method, verb) {
            ("GET", Some("search")) if s.last() == Some(&"entitlements") => {
                Some((&["callerAccessType", "filter", "pageSize", "pageToken"], &EMPTY))
            }
            ("GET", Some("search")) => {
                Some((&["callerRelationship", "filter", "pageSize", "pageToken"], &EMPTY))
            }
            ("GET", None) => Some((PAM_LIST, &EMPTY)),
            _ => None,
        };
    }
    let service_account = s.len() == 5 && s[1] == "projects" && s[3] == "serviceAccounts";
    Some(match (method, verb) {
        ("POST", Some("getIamPolicy")) if service_account => (VERSION, &GET_IAM_POLICY),
        ("POST", Some("getIamPolicy")) => (&[], &GET_IAM_POLICY),
        ("GET", Some("getIamPolicy")) => (VERSION, &EMPTY),
        (_, Some("setIamPolicy")) => (&[], &SET_IAM_POLICY),
        (_, Some("testIamPermissions")) => (&[], &TEST_IAM_PERMISSIONS),
        (_, Some("generateAccessToken")) => (&[], &GENERATE_ACCESS_TOKEN),
        (_, Some("searchAllIamPolicies")) => {
            (&["query", "assetTypes", "pageSize", "pageToken", "orderBy"], &EMPTY)
        }
        (_, Some("queryGrantableRoles")) => (&[], &QUERY_GRANTABLE_ROLES),
        (_, Some("list")) => (&[], &LIST_LOG_ENTRIES),
        ("POST", Some("search")) => (&[], &SEARCH_ORGANIZATIONS),
        ("GET", Some("search")) => (SEARCH_V3, &EMPTY),
        ("GET", None) => match s {
            ["v1", "projects"] => (&["filter", "pageSize", "pageToken"], &EMPTY),
            ["v3", "projects"] | ["v2" | "v3", "folders"] => (LIST_V3, &EMPTY),
            ["v1", "roles"] => (ROLES, &EMPTY),
            ["v1", _, _, "roles"] => (ROLES, &EMPTY),
            _ if s.len() <= 2 => (PAGE, &EMPTY),
            _ => (&[], &EMPTY),
        },
        _ => return None,
    })
}

/// Checks a request's query and (when it is JSON) body against its route's message.
pub(crate) fn check(
    method: &str,
    query: &[(String, String)],
    body: &[u8],
    s: &[&str],
    verb: Option<&str>,
) -> Result<(), ApiError> {
    if s.first() == Some(&"storage") {
        return check_storage_query(method, s, query);
    }
    let Some((params, message)) = spec(method, s, verb) else { return Ok(()) };
    check_query(query, params)?;
    if let Ok(body) = serde_json::from_slice::<Value>(body) {
        check_body(&body, message)?;
    }
    Ok(())
}

/// Cloud Storage's standard query parameters (`StandardQueryParameters` of gcloud's generated
/// `storage/v1` client: no `$.xgafv`, `callback` or `access_token`, but `trace` and `userIp`).
const STORAGE_SYSTEM: [&str; 9] =
    ["alt", "fields", "key", "oauth_token", "prettyPrint", "quotaUser", "trace", "uploadType", "userIp"];

/// Cloud Storage's JSON API: every query parameter one of its standard ones or one of the
/// method's (`storage/v1`'s `buckets.get`, `getIamPolicy`, `setIamPolicy`, `testIamPermissions`,
/// as gcloud's generated client declares them), else 400 in Storage's shape: "Invalid argument."
/// (the JSON API's word for an argument it refuses, google-cloud-java#2864; its XML API refuses an
/// unknown parameter with the same words and "Invalid query parameter(s): [X]",
/// nextcloud/server#9716) with `errors[{reason: invalid, location: X, locationType: parameter}]`,
/// the JSON APIs' form for a parameter's error (e.g. Drive's in
/// torre76/django-googledrive-storage#59). Names are exact: Storage's parameters have one
/// spelling (`optionsRequestedPolicyVersion`).
pub fn check_storage_query(method: &str, s: &[&str], pairs: &[(String, String)]) -> Result<(), ApiError> {
    let allowed: &[&str] = match (method, s) {
        ("GET", [_, _, "b", _]) => &[
            "generation",
            "ifMetagenerationMatch",
            "ifMetagenerationNotMatch",
            "projection",
            "softDeleted",
            "userProject",
        ],
        ("GET", [_, _, "b", _, "iam"]) => &["optionsRequestedPolicyVersion", "userProject"],
        ("PUT", [_, _, "b", _, "iam"]) => &["userProject"],
        ("GET", [_, _, "b", _, "iam", "testPermissions"]) => &["permissions", "userProject"],
        _ => return Ok(()),
    };
    match pairs.iter().find(|(n, _)| !STORAGE_SYSTEM.contains(&n.as_str()) && !allowed.contains(&n.as_str()))
    {
        None => Ok(()),
        Some((name, _)) => {
            let mut e = ApiError::new(400, "INVALID_ARGUMENT", "invalid", "Invalid argument.");
            e.location = Some((name.clone(), "parameter"));
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_option_is_refused_with_googles_words() {
        let e = check_body(&json!({"options": {"requestedPolicyVerson": 3}}), &GET_IAM_POLICY).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid JSON payload received. Unknown name \"requestedPolicyVerson\" at 'options': Cannot find field."
        );
        assert_eq!(e.code, 400);
        assert_eq!(e.details[0]["fieldViolations"][0]["field"], "options");
        assert!(check_body(&json!({"options": {"requested_policy_version": 3}}), &GET_IAM_POLICY).is_ok());
        let e = check_body(
            &json!({"policy": {"bindings": [{"role": "r", "members": [], "condition": {"expresion": "x"}}]}}),
            &SET_IAM_POLICY,
        )
        .unwrap_err();
        assert!(e.message.contains("at 'policy.bindings[0].condition'"), "{}", e.message);
        let e = check_body(&json!({"polcy": {}}), &SET_IAM_POLICY).unwrap_err();
        assert_eq!(e.message, "Invalid JSON payload received. Unknown name \"polcy\": Cannot find field.");
    }

    #[test]
    fn unknown_query_parameters_are_refused_and_system_ones_taken() {
        let q =
            |s: &[(&str, &str)]| s.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        assert!(
            check_query(
                &q(&[("alt", "json"), ("options.requestedPolicyVersion", "3")]),
                &["options.requestedPolicyVersion"]
            )
            .is_ok()
        );
        assert!(
            check_query(
                &q(&[("options.requested_policy_version", "3")]),
                &["options.requestedPolicyVersion"]
            )
            .is_ok()
        );
        let e =
            check_query(&q(&[("optionsRequestedPolicyVersion", "3")]), &["options.requestedPolicyVersion"])
                .unwrap_err();
        assert_eq!(
            e.message,
            "Invalid JSON payload received. Unknown name \"optionsRequestedPolicyVersion\": Cannot bind query \
             parameter. Field 'optionsRequestedPolicyVersion' could not be found in request message."
        );
    }
}
