//! The process environment as jit sees it: its variables, which of stdin, stdout and stderr are
//! terminals, the current directory and the time. This is the only module that reads them
//! (issue 20 item 1): everything else is handed an [`Env`] or the [`Vars`] in it, so every
//! resolution is testable with made-up values.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A snapshot of the environment variables, taken once at start; cheap to clone (it is shared).
#[derive(Debug, Clone, Default)]
pub struct Vars(Arc<HashMap<String, OsString>>);

impl PartialEq for Vars {
    fn eq(&self, other: &Vars) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Vars {}

impl Vars {
    /// The process's variables (names that are not Unicode cannot be asked for, and are left out).
    pub fn from_process() -> Vars {
        Vars(Arc::new(std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))).collect()))
    }

    /// Made-up variables, for tests.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> Vars {
        Vars(Arc::new(
            pairs.into_iter().map(|(k, v)| (k.as_ref().to_string(), OsString::from(v.as_ref()))).collect(),
        ))
    }

    /// The variable as `std::env::var` gives it: set and Unicode, possibly empty.
    pub fn raw(&self, name: &str) -> Option<String> {
        self.0.get(name).and_then(|v| v.to_str()).map(str::to_string)
    }

    /// The variable when it holds more than blanks (an empty variable counts as unset, as in
    /// gcloud).
    pub fn get(&self, name: &str) -> Option<String> {
        self.raw(name).filter(|v| !v.trim().is_empty())
    }

    /// The variable as bytes (a path need not be Unicode) when it is not empty.
    pub fn os(&self, name: &str) -> Option<OsString> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// The parts of the process environment config reads, so resolution is testable.
#[derive(Debug, Clone)]
pub struct Env {
    pub vars: Vars,
    /// stdout is a terminal: tables by default, and the short "done" line after a confirmed plan.
    pub stdout_is_terminal: bool,
    /// stderr is a terminal: progress bars.
    pub stderr_is_terminal: bool,
    /// stdin and stderr are terminals: prompts and pickers are allowed.
    pub interactive: bool,
    /// The width tables fit: COLUMNS, else the terminal's on stdout, else none.
    pub table_width: Option<usize>,
    /// Where the upward search for a team file starts.
    pub cwd: Option<PathBuf>,
    pub now: DateTime<Utc>,
}

impl Env {
    /// The real process: its variables, its terminals, its directory and the clock, read once.
    pub fn from_process() -> Env {
        let vars = Vars::from_process();
        let stdout_is_terminal = std::io::stdout().is_terminal();
        let stderr_is_terminal = std::io::stderr().is_terminal();
        let table_width = columns(&vars)
            .or_else(|| terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0)));
        Env {
            stdout_is_terminal,
            stderr_is_terminal,
            interactive: std::io::stdin().is_terminal() && stderr_is_terminal,
            table_width,
            cwd: std::env::current_dir().ok(),
            now: Utc::now(),
            vars,
        }
    }

    /// Made-up variables, no terminal, no directory: for tests.
    pub fn with_vars(vars: Vars, now: DateTime<Utc>) -> Env {
        Env {
            vars,
            stdout_is_terminal: false,
            stderr_is_terminal: false,
            interactive: false,
            table_width: None,
            cwd: None,
            now,
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name)
    }

    /// COLUMNS when it holds a positive number: the width a user asks for, as `ls` reads it.
    pub fn columns(&self) -> Option<usize> {
        columns(&self.vars)
    }
}

fn columns(vars: &Vars) -> Option<usize> {
    crate::output::parse_columns(vars.raw("COLUMNS").as_deref())
}
