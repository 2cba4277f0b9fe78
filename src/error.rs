//! One error type for the whole tool: a message per variant, an exit code (design §2) and an optional
//! hint that says what to do next.

use std::fmt;

/// Exit codes of design §2.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const PERMISSION: i32 = 3;
    pub const PARTIAL: i32 = 4;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Bad input from the user (flags, durations, principals, roles, files): exit 2.
    Usage { message: String, hint: Option<String> },
    /// A policy (from a file or the API) that jit must not edit, or an edit that would break one of
    /// Google's documented limits: exit 2, nothing is written.
    Policy { message: String, hint: Option<String> },
    /// The caller lacks a permission on a resource (HTTP 403): exit 3.
    PermissionDenied { resource: String, message: String, permission: Option<String> },
    /// The etag no longer matches (HTTP 409 ABORTED or 412): the caller repeats the whole
    /// read-modify-write.
    Conflict { resource: String, message: String },
    /// Google asked us to slow down or failed on its side (429, 5xx): retried honouring
    /// `Retry-After`.
    Unavailable { resource: String, status: u16, message: String, retry_after: Option<std::time::Duration> },
    /// The connection failed after it was made (dropped, timed out): retried like a 503, because
    /// the whole read-modify-write is safe to repeat.
    Network { resource: String, message: String },
    /// Any other failure from the API: exit 1.
    Api { resource: String, status: Option<u16>, message: String },
    /// Credentials could not be found or used.
    Auth { message: String, hint: Option<String> },
    /// Local I/O (files, the terminal).
    Io { message: String },
    /// Some resources of a multi-resource command failed, the rest were done: exit 4.
    Partial { failed: usize, total: usize },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The error of a build without the emulator (`--no-default-features`), for `jit emulator` and
    /// `jit --emulator` alike.
    pub fn no_emulator() -> Self {
        Error::usage_hint(
            "this build of jit has no emulator (it was built without the `emulator` feature)",
            "use a default build (`cargo install --path .`), or point jit at an emulator with --endpoint",
        )
    }

    /// An emulator error as one of jit's: bad input stays a usage error (exit 2).
    #[cfg(feature = "emulator")]
    pub fn from_emulator(e: jit_emulator::Error) -> Self {
        match e {
            jit_emulator::Error::Usage { message, hint: Some(hint) } => Error::usage_hint(message, hint),
            jit_emulator::Error::Usage { message, hint: None } => Error::usage(message),
            jit_emulator::Error::Io { message } => Error::io(message),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage { message: message.into(), hint: None }
    }

    pub fn usage_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage { message: message.into(), hint: Some(hint.into()) }
    }

    pub fn policy(message: impl Into<String>) -> Self {
        Error::Policy { message: message.into(), hint: None }
    }

    pub fn policy_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Policy { message: message.into(), hint: Some(hint.into()) }
    }

    pub fn io(message: impl Into<String>) -> Self {
        Error::Io { message: message.into() }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. } | Error::Policy { .. } => exit::USAGE,
            Error::PermissionDenied { .. } => exit::PERMISSION,
            Error::Partial { .. } => exit::PARTIAL,
            Error::Auth { .. } => exit::FAILED,
            Error::Conflict { .. }
            | Error::Unavailable { .. }
            | Error::Network { .. }
            | Error::Api { .. }
            | Error::Io { .. } => exit::FAILED,
        }
    }

    /// What to do about it, printed on a second line; escaped for a terminal like the message.
    pub fn hint(&self) -> Option<String> {
        self.raw_hint().map(|h| crate::text::escape(&h).into_owned())
    }

    fn raw_hint(&self) -> Option<String> {
        match self {
            Error::Usage { hint, .. } | Error::Policy { hint, .. } | Error::Auth { hint, .. } => hint.clone(),
            Error::PermissionDenied { resource, permission, .. } => Some(match permission {
                // No brackets: the hint often follows Google's own "(or it may not exist)." in a
                // report line (issue 12 item 8).
                // A delegate (`jit delegate`) holds the permission only for the roles its
                // delegation lists, and Google answers any other write with this same 403.
                Some(p) if p.ends_with(".setIamPolicy") => format!(
                    "ask for `{p}` on `{resource}`; a delegate may change only the roles delegated to it, \
                     and Google also answers 403 when the resource does not exist"
                ),
                Some(p) => format!(
                    "ask for `{p}` on `{resource}`; Google also answers 403 when the resource does not exist"
                ),
                None => format!(
                    "check that `{resource}` exists and that you may read and set its IAM policy; \
                     Google answers 403 for both"
                ),
            }),
            Error::Conflict { .. } => {
                Some("someone else kept changing the policy; run the command again".to_string())
            }
            Error::Unavailable { .. } => Some("Google's API is busy or failing; try again later".to_string()),
            Error::Network { .. } => Some("check the network (and HTTPS_PROXY), then try again".to_string()),
            Error::Partial { .. } => Some("the report above names each failed resource".to_string()),
            Error::Api { status: None, message, .. } if message.contains("invalid peer certificate") => Some(
                "the server's certificate is not from a CA this machine trusts; if a proxy re-signs \
                 HTTPS, point SSL_CERT_FILE at its CA certificate"
                    .to_string(),
            ),
            Error::Api { .. } | Error::Io { .. } => None,
        }
    }

    /// True for errors a read-modify-write loop should repeat the whole cycle for.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }
}

/// The message, escaped for a terminal (`text::escape`): messages echo roles, members,
/// resources, file names and file content, and those may hold escape sequences or bidirectional
/// overrides that must be shown, not obeyed. The escaping is idempotent, so a message built from
/// another error's text is not escaped twice.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::text::Escaped(Raw(self)))
    }
}

/// The message as built, before escaping.
struct Raw<'a>(&'a Error);

impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::Usage { message, .. } | Error::Policy { message, .. } | Error::Auth { message, .. } => {
                f.write_str(message)
            }
            Error::PermissionDenied { resource, message, .. } => {
                write!(f, "permission denied on `{resource}`: {message}")
            }
            Error::Conflict { resource, message } => {
                write!(f, "the policy of `{resource}` kept changing under us: {message}")
            }
            // An empty resource: a call about the credentials (tokeninfo), not about a policy.
            Error::Unavailable { resource, status, message, .. }
            | Error::Api { resource, status: Some(status), message }
                if resource.is_empty() =>
            {
                write!(f, "HTTP {status}: {message}")
            }
            Error::Api { resource, status: None, message } | Error::Network { resource, message }
                if resource.is_empty() =>
            {
                f.write_str(message)
            }
            Error::Unavailable { resource, status, message, .. } => {
                write!(f, "`{resource}`: HTTP {status}: {message}")
            }
            Error::Api { resource, status: Some(status), message } => {
                write!(f, "`{resource}`: HTTP {status}: {message}")
            }
            Error::Api { resource, status: None, message } | Error::Network { resource, message } => {
                write!(f, "`{resource}`: {message}")
            }
            Error::Io { message } => f.write_str(message),
            Error::Partial { failed, total } => {
                write!(f, "{failed} of {total} resources failed")
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_spec() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        assert_eq!(Error::policy("x").exit_code(), 2);
        let denied =
            Error::PermissionDenied { resource: "projects/p".into(), message: "no".into(), permission: None };
        assert_eq!(denied.exit_code(), 3);
        assert_eq!(Error::Partial { failed: 1, total: 3 }.exit_code(), 4);
        assert_eq!(Error::io("x").exit_code(), 1);
    }

    #[test]
    fn permission_hint_names_the_permission_and_the_resource() {
        let e = Error::PermissionDenied {
            resource: "projects/p".into(),
            message: "denied".into(),
            permission: Some("resourcemanager.projects.setIamPolicy".into()),
        };
        assert_eq!(e.to_string(), "permission denied on `projects/p`: denied");
        assert!(e.hint().unwrap().contains("`resourcemanager.projects.setIamPolicy` on `projects/p`"));
    }

    #[test]
    fn messages_and_hints_show_control_characters_escaped() {
        let e = Error::usage_hint("member `user:a\u{1b}[2Jb@example.com\r` is bad", "try `\u{202e}moc`\u{7}");
        assert_eq!(e.to_string(), "member `user:a\\u{1b}[2Jb@example.com\\u{d}` is bad");
        assert_eq!(e.hint().unwrap(), "try `\\u{202e}moc`\\u{7}");
        let api =
            Error::Api { resource: "projects/p\u{9b}31m".into(), status: Some(400), message: "x\ny".into() };
        assert_eq!(api.to_string(), "`projects/p\\u{9b}31m`: HTTP 400: x\\u{a}y");
        // Escaping twice changes nothing: a message built from another error's text stays readable.
        let wrapped = Error::io(format!("cannot go on: {e}"));
        assert_eq!(wrapped.to_string(), "cannot go on: member `user:a\\u{1b}[2Jb@example.com\\u{d}` is bad");
    }
}
