//! Where each setting came from, kept for `--verbose` and for the one line that names a team file
//! that changed a command (issue 17 item 2). The precedence is one for every setting: a flag, then
//! an environment variable, then the team file, then gcloud's configuration, then jit's default.

use std::fmt;
use std::path::PathBuf;

/// The source of one setting's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag (or argument), by name: `--for`, `ROLE`.
    Flag(&'static str),
    /// An environment variable, by name.
    Env(&'static str),
    /// The team file, and the key that set the value.
    Team { file: PathBuf, key: String },
    /// gcloud's configuration file.
    Gcloud(PathBuf),
    /// Asked on the terminal (the role picker of `jit grant`).
    Picker,
    /// The team file's place when the upward search or the XDG default found it.
    Found(&'static str),
    /// jit's own default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(name) => write!(f, "the command line ({name})"),
            Origin::Env(name) => write!(f, "the environment ({name})"),
            Origin::Team { file, key } => {
                write!(
                    f,
                    "the team config `{}` (`{key}`)",
                    crate::output::escape(&file.display().to_string())
                )
            }
            Origin::Gcloud(file) => {
                write!(f, "gcloud's configuration `{}`", crate::output::escape(&file.display().to_string()))
            }
            Origin::Picker => f.write_str("the picker"),
            Origin::Found(how) => f.write_str(how),
            Origin::Default => f.write_str("jit's default"),
        }
    }
}

/// One resolved setting: its name, its value as shown, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub value: String,
    pub origin: Origin,
}

/// The settings of one run, in the order they were resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(Vec<Setting>);

impl Origins {
    pub fn push(&mut self, name: &'static str, value: impl Into<String>, origin: Origin) {
        self.0.retain(|s| s.name != name);
        self.0.push(Setting { name, value: value.into(), origin });
    }

    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.0.iter().find(|s| s.name == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Setting> {
        self.0.iter()
    }

    pub fn extend(&mut self, other: &Origins) {
        for s in &other.0 {
            self.push(s.name, s.value.clone(), s.origin.clone());
        }
    }

    /// The keys of the team file that set a value, each once, in order.
    pub fn team_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for s in &self.0 {
            if let Origin::Team { key, .. } = &s.origin
                && !keys.contains(key)
            {
                keys.push(key.clone());
            }
        }
        keys
    }

    /// The lines `--verbose` prints: `setting NAME = VALUE (from ORIGIN)`.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|s| format!("setting {} = {} (from {})", s.name, crate::output::escape(&s.value), s.origin))
            .collect()
    }
}
