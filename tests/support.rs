//! Running the real `jit` binary: a builder for arguments, stdin and environment, and the result
//! with readable failure messages.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What a run of `jit` gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "jit failed\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn code(self, want: i32) -> Run {
        assert_eq!(self.code, want, "wrong exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The first line of stderr (the error itself, without the hint).
    /// The first line of stderr, past the line that names a team config in use (issue 17 item 2).
    pub fn error_line(&self) -> &str {
        self.stderr.lines().find(|l| !l.starts_with("note: the team config ")).unwrap_or_default()
    }
}

/// A `jit` command line being built.
pub struct Jit {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

/// `jit ARGS...` with a clean, deterministic environment: UTC, no gcloud configuration, no
/// credentials, no default project.
pub fn jit(args: &[&str]) -> Jit {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jit"));
    cmd.args(args);
    for var in [
        "CLOUDSDK_CORE_PROJECT",
        "GOOGLE_CLOUD_PROJECT",
        "CLOUDSDK_ACTIVE_CONFIG_NAME",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET",
        "CLOUDSDK_BILLING_QUOTA_PROJECT",
        "GOOGLE_CLOUD_QUOTA_PROJECT",
        // gcloud's identity settings, which jit honours (issue 19 item 2).
        "CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT",
        "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE",
        "CLOUDSDK_AUTH_DISABLE_CREDENTIALS",
        "JIT_MAX_DURATION",
        // No team config from the developer's environment (src/team.rs).
        "JIT_CONFIG",
        "GCE_METADATA_HOST",
        // Tables fit COLUMNS when it is set; tests that want a width set it themselves.
        "COLUMNS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("TZ", "UTC").env("CLOUDSDK_CONFIG", "/nonexistent-jit-test-gcloud").env("NO_COLOR", "1");
    cmd.env("XDG_CONFIG_HOME", "/nonexistent-jit-test-config");
    Jit { cmd, stdin: None }
}

#[allow(dead_code)]
impl Jit {
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Jit {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Jit {
        self.cmd.env_remove(key);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Jit {
        self.stdin = Some(input.into());
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Jit {
        self.cmd.current_dir(dir);
        self
    }

    pub fn run(mut self) -> Run {
        self.cmd.stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("the jit binary runs");
        if let Some(input) = self.stdin.take() {
            let mut pipe = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let out = child.wait_with_output().expect("jit finishes");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}
