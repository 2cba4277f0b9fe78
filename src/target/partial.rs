//! The one rule for partial failure: the failed places are named, one error each, the others
//! are done, and the exit code says which happened.

use super::place::Place;
use crate::error::{Error, exit};
use crate::output::{self, ResourceError};

/// Splits a run's results into the values and the failures.
pub fn split<T>(results: Vec<(Place, Result<T, Error>)>) -> (Vec<T>, Vec<(Place, Error)>) {
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for (place, result) in results {
        match result {
            Ok(v) => values.push(v),
            Err(e) => errors.push((place, e)),
        }
    }
    (values, errors)
}

/// The exit code of a run over `total` places, the one rule for partial failure: the error
/// itself when the only place failed; when every place failed, their common exit code (1 if they
/// differ); 4 when some failed; 0 when none did.
pub fn settle(errors: &[(Place, Error)], total: usize) -> Result<i32, Error> {
    match errors {
        [] => Ok(exit::OK),
        [(_, e)] if total == 1 => Err(e.clone()),
        [(_, first), rest @ ..] if errors.len() == total => {
            let code = first.exit_code();
            Ok(if rest.iter().all(|(_, e)| e.exit_code() == code) { code } else { exit::FAILED })
        }
        _ => Ok(exit::PARTIAL),
    }
}

/// The failures as the report names them: the message and its hint as one flat sentence each
/// (issue 12 item 8: no brackets inside Google's own).
pub fn resource_errors(errors: &[(Place, Error)]) -> Vec<ResourceError> {
    errors
        .iter()
        .map(|(p, e)| ResourceError {
            resource: p.name(),
            message: match e.hint() {
                Some(h) => {
                    let mut hint = h.chars();
                    let first = hint.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
                    format!(
                        "{}. {first}{}.",
                        e.to_string().trim_end_matches('.'),
                        hint.as_str().trim_end_matches('.')
                    )
                }
                None => e.to_string(),
            },
        })
        .collect()
}

/// Every failure on stderr, one `error:` line each, whatever the format (issue 12 item 8: one rule
/// for every command; a JSON or YAML report lists them in `errors` too).
pub fn print_errors(errors: &[ResourceError]) {
    for e in errors {
        eprintln!("error: {}: {}", output::escape(&e.resource), output::escape(&e.message));
    }
}

/// One failure per place (issue 12 item 8): `cleanup --recursive` can fail on a root three times
/// (its own policy, listing its folders, listing its projects). Denied permissions on one place
/// become one denial naming them all; other mixes one error with every message.
pub fn one_error_per_place(errors: Vec<(Place, Error)>) -> Vec<(Place, Error)> {
    let mut grouped: Vec<(Place, Vec<Error>)> = Vec::new();
    for (place, e) in errors {
        match grouped.iter_mut().find(|(p, _)| *p == place) {
            Some((_, es)) => es.push(e),
            None => grouped.push((place, vec![e])),
        }
    }
    grouped
        .into_iter()
        .map(|(place, mut es)| {
            if es.len() == 1 {
                return (place, es.remove(0));
            }
            let denied: Option<Vec<String>> = es
                .iter()
                .map(|e| match e {
                    Error::PermissionDenied { permission: Some(p), .. } => Some(p.clone()),
                    _ => None,
                })
                .collect();
            let e = match denied {
                Some(mut permissions) => {
                    permissions.dedup();
                    let last = permissions.pop().unwrap_or_default();
                    let all = if permissions.is_empty() {
                        last
                    } else {
                        format!("{}` and `{last}", permissions.join("`, `"))
                    };
                    Error::PermissionDenied {
                        resource: place.name(),
                        message: format!("permissions `{all}` denied (or it may not exist)"),
                        permission: Some(all),
                    }
                }
                None => Error::Api {
                    resource: String::new(),
                    status: None,
                    message: es.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                },
            };
            (place, e)
        })
        .collect()
}
