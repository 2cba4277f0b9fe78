//! The process environment as config reads it.

use chrono::{DateTime, Utc};

/// The parts of the process environment config reads, so resolution is testable.
pub struct Env<'a> {
    pub var: &'a dyn Fn(&str) -> Option<String>,
    pub stdout_is_terminal: bool,
    pub interactive: bool,
    pub now: DateTime<Utc>,
}

impl Env<'_> {
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.var)(name).filter(|v| !v.trim().is_empty())
    }
}
