//! A local emulator for tests: in-process (through `jit_emulator::start`) or as the real
//! `jit emulator` binary, started from a seed, with helpers to read a policy back, move the clock,
//! inject faults, register tokens, write key files and run gcloud against it.
//!
//! ```ignore
//! let emu = harness::emulator().start();                 // the demo seed, credentials required
//! let emu = harness::emulator().seed(json!({...})).no_auth().binary().start();
//! emu.url;                                                // http://127.0.0.1:PORT
//! emu.policy("projects/jit-demo-prod");                    // the stored policy, with conditions
//! emu.set_clock("2026-11-25T12:00:00Z");                   // frozen there
//! emu.jit(&["list", "--project", "jit-demo-prod"]).run();  // the real jit binary, as alice
//! emu.advance(3600);
//! emu.gcloud("alice-token", &["projects", "get-iam-policy", "jit-demo-prod", "--format=json"]);
//! ```
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use jit::policy::Policy;
use serde_json::{Value, json};

use crate::support::{Jit, jit};

/// The demo seed with an expired time-bound grant on each `(resource, role, member, reason)`,
/// written as `jit grant` writes one (`jit::condition::build`, granted by alice) and ended an hour
/// ago by this machine's clock: `jit cleanup` removes it with no test waiting for a grant to end
/// (issue 20 item 6: tests wait for events, not time). `resource` is the stored name
/// (`projects/P`, `projects/_/buckets/B`, `projects/P/secrets/S`, …), `member` a principal.
pub fn demo_seed_with_expired(grants: &[(&str, &str, &str, Option<&str>)]) -> Value {
    let mut seed = serde_json::to_value(jit_emulator::demo_seed()).expect("the demo seed serialises");
    let end = chrono::Utc::now() - chrono::Duration::hours(1);
    for (resource, role, member, reason) in grants {
        let note = jit::condition::GrantNote {
            granted_by: Some("user:alice@example.com".into()),
            granted_at: Some(end - chrono::Duration::hours(1)),
            reason: reason.map(str::to_string),
        };
        let condition = jit::condition::build(None, end, &note);
        let binding = json!({"role": role, "members": [member], "condition": condition});
        let policies = seed["policies"].as_object_mut().expect("the seed's policies");
        let policy = policies
            .entry(resource.to_string())
            .or_insert_with(|| json!({"version": 3, "etag": "BwYRRpZ2AAA=", "bindings": []}));
        policy["version"] = json!(3);
        policy["bindings"].as_array_mut().expect("a policy's bindings").push(binding);
    }
    seed
}

/// Starts building an emulator.
pub fn emulator() -> EmulatorBuilder {
    EmulatorBuilder::default()
}

#[derive(Default)]
pub struct EmulatorBuilder {
    seed: Option<Value>,
    no_auth: bool,
    binary: bool,
    state: Option<PathBuf>,
    clock: Option<(String, bool)>,
    faults: Option<Value>,
}

impl EmulatorBuilder {
    /// A seed in the format of docs/emulator.md (`jit emulator --print-seed` shows the demo one).
    pub fn seed(mut self, seed: Value) -> Self {
        self.seed = Some(seed);
        self
    }

    /// No credentials needed, everything allowed.
    pub fn no_auth(mut self) -> Self {
        self.no_auth = true;
        self
    }

    /// Run the real `jit emulator` binary instead of an in-process server.
    pub fn binary(mut self) -> Self {
        self.binary = true;
        self
    }

    /// Keep the state in this file.
    pub fn state_file(mut self, path: &Path) -> Self {
        self.state = Some(path.to_path_buf());
        self
    }

    /// Start the emulator's clock at `time` (RFC 3339), frozen or ticking.
    pub fn clock(mut self, time: &str, frozen: bool) -> Self {
        self.clock = Some((time.to_string(), frozen));
        self
    }

    /// Faults as `POST /_emulator/faults` takes them.
    pub fn faults(mut self, faults: Value) -> Self {
        self.faults = Some(faults);
        self
    }

    #[track_caller]
    pub fn start(self) -> Emulator {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let seed: Option<jit_emulator::Data> = self
            .seed
            .as_ref()
            .map(|s| serde_json::from_value(s.clone()).expect("the seed matches the format"));
        let (url, handle, child) = if self.binary {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_jit"));
            cmd.args(["emulator", "--port", "0"]);
            if let Some(seed) = &self.seed {
                let path = dir.path().join("seed.json");
                std::fs::write(&path, seed.to_string()).expect("the seed file is written");
                cmd.arg("--seed").arg(path);
            }
            if self.no_auth {
                cmd.arg("--no-auth");
            }
            if let Some(state) = &self.state {
                cmd.arg("--state").arg(state);
            }
            if let Some((time, frozen)) = &self.clock {
                cmd.args(["--clock", time]);
                if *frozen {
                    cmd.arg("--freeze-clock");
                }
            }
            let mut child =
                cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("jit emulator starts");
            let mut first = String::new();
            BufReader::new(child.stdout.take().expect("piped stdout"))
                .read_line(&mut first)
                .expect("a first line");
            let url = first
                .trim()
                .strip_prefix("jit emulator listening on ")
                .unwrap_or_else(|| panic!("unexpected first line from jit emulator: {first:?}"))
                .to_string();
            (url, None, Some(child))
        } else {
            let opts = jit_emulator::Options {
                seed_data: seed,
                no_auth: self.no_auth,
                state: self.state.clone(),
                clock: self.clock.as_ref().map(|(t, _)| t.parse().expect("an RFC 3339 clock")),
                freeze_clock: self.clock.as_ref().is_some_and(|(_, f)| *f),
                ..jit_emulator::Options::default()
            };
            let handle = std::thread::scope(|s| {
                s.spawn(|| rt.block_on(jit_emulator::start(opts))).join().expect("start does not panic")
            })
            .expect("the emulator starts");
            (handle.url.clone(), Some(handle), None)
        };
        let emu = Emulator { url, rt: Some(rt), handle, child, dir };
        if let Some(f) = self.faults {
            emu.faults(f);
        }
        emu
    }
}

/// A running emulator; stopped on drop.
pub struct Emulator {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    rt: Option<tokio::runtime::Runtime>,
    handle: Option<jit_emulator::Handle>,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Answer {
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Emulator {
    /// `host:port`, e.g. for `GCE_METADATA_HOST`.
    pub fn host(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// A scratch directory that lives as long as the emulator.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The in-process emulator itself (its request log, faults, keys); not for `.binary()` ones.
    #[track_caller]
    pub fn handle(&self) -> &jit_emulator::Handle {
        self.handle.as_ref().expect("an in-process emulator (not started with .binary())")
    }

    /// A file holding `content` in the scratch directory.
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// The real `jit` binary pointed at the emulator with `token` as its access token.
    pub fn jit_as(&self, token: &str, args: &[&str]) -> Jit {
        self.jit_at(&self.url, token, args)
    }

    /// `jit` with `token` at another `endpoint` in front of this emulator (a proxy).
    pub fn jit_at(&self, endpoint: &str, token: &str, args: &[&str]) -> Jit {
        let file = self.file(&format!("{token}.token"), token);
        let mut full = vec!["--endpoint", endpoint, "--access-token-file", file.to_str().unwrap()];
        full.extend_from_slice(args);
        jit(&full)
    }

    /// `jit` as alice, the demo organization's admin.
    pub fn jit(&self, args: &[&str]) -> Jit {
        self.jit_as("alice-token", args)
    }

    /// The stored policy as jit's own type.
    #[track_caller]
    pub fn stored(&self, resource: &str) -> Policy {
        match &self.handle {
            // The emulator's own policy type, read as jit's through their common JSON shape.
            Some(h) => {
                let p = h.policy(resource).unwrap_or_else(|| panic!("no policy for {resource}"));
                serde_json::from_value(serde_json::to_value(p).unwrap())
                    .expect("a stored policy reads as a Policy")
            }
            None => serde_json::from_value(self.policy(resource)).expect("a stored policy reads as a Policy"),
        }
    }

    /// The stored policy exactly, for byte-for-byte comparisons.
    #[track_caller]
    pub fn policy_text(&self, resource: &str) -> String {
        serde_json::to_string(&self.stored(resource)).unwrap()
    }

    /// Which of `permissions` the holder of `token` has on `resource`, as the emulator evaluates
    /// them (conditions included, at its clock).
    #[track_caller]
    pub fn permissions(&self, token: &str, resource: &str, permissions: &[&str]) -> Vec<String> {
        let body = json!({ "permissions": permissions });
        let a = self.request("POST", &format!("/v3/{resource}:testIamPermissions"), Some(token), Some(body));
        assert_eq!(a.status, 200, "testIamPermissions: {}", a.text);
        a.json()["permissions"]
            .as_array()
            .map(|a| a.iter().map(|p| p.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    }

    /// Replaces a policy through the API as alice.
    #[track_caller]
    pub fn set_policy(&self, resource: &str, policy: Value) {
        let body = json!({ "policy": policy });
        let a =
            self.request("POST", &format!("/v3/{resource}:setIamPolicy"), Some("alice-token"), Some(body));
        assert_eq!(a.status, 200, "setIamPolicy: {}", a.text);
    }

    /// Any HTTP request to the emulator; `token` becomes `Authorization: Bearer`.
    #[track_caller]
    pub fn request(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let url = format!("{}{path}", self.url);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let rt = self.rt.as_ref().expect("running");
        std::thread::scope(|s| {
            s.spawn(|| {
                rt.block_on(async {
                    let client = http_client();
                    let mut req = client.request(method, &url);
                    if let Some(t) = token {
                        req = req.bearer_auth(t);
                    }
                    if let Some(b) = body {
                        req = req.header("content-type", "application/json").body(b.to_string());
                    }
                    let resp = req.send().await.expect("the emulator answers");
                    let status = resp.status().as_u16();
                    let headers = resp
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
                        .collect();
                    let text = resp.text().await.expect("a body");
                    Answer { status, headers, text }
                })
            })
            .join()
            .expect("the request does not panic")
        })
    }

    #[track_caller]
    fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let a = self.request(method, &format!("/_emulator/{path}"), None, body);
        assert_eq!(a.status, 200, "control route {path} failed: {}", a.text);
        a.json()
    }

    /// The stored policy of `projects/ID`, `folders/N` or `organizations/N`, conditions included.
    #[track_caller]
    pub fn policy(&self, resource: &str) -> Value {
        self.control("GET", &format!("policy?resource={resource}"), None)
    }

    /// Everything the emulator holds (the state file's shape).
    pub fn state(&self) -> Value {
        self.control("GET", "state", None)
    }

    /// Freezes the emulator's clock at `time`.
    pub fn set_clock(&self, time: &str) {
        self.control("POST", "clock", Some(json!({"time": time, "frozen": true})));
    }

    /// Moves the clock.
    pub fn advance(&self, seconds: i64) {
        self.control("POST", "clock/advance", Some(json!({ "seconds": seconds })));
    }

    /// The emulator's time now (RFC 3339).
    pub fn now(&self) -> String {
        self.control("GET", "clock", None)["time"].as_str().unwrap_or_default().to_string()
    }

    /// Replaces the faults (`{"conflictNext": 1}`, `{"errorNext": 2, "errorStatus": 429}`, …).
    pub fn faults(&self, faults: Value) {
        self.control("POST", "faults", Some(faults));
    }

    /// Cloud Asset Inventory's index: `{"lagSeconds": N, "apiEnabled": bool}`.
    pub fn asset_index(&self, index: Value) {
        self.control("POST", "asset", Some(index));
    }

    /// Registers a bearer token.
    pub fn add_token(&self, token: &str, principal: &str) {
        self.control("POST", "tokens", Some(json!({"token": token, "principal": principal})));
    }

    /// The request log.
    pub fn requests(&self) -> Vec<Value> {
        self.control("GET", "requests", None).as_array().cloned().unwrap_or_default()
    }

    /// Back to the seed.
    pub fn reset(&self) {
        self.control("POST", "reset", None);
    }

    /// Creates and registers a service-account key; returns the key file's path.
    pub fn service_account_key(&self, email: &str) -> PathBuf {
        let file = self.control("POST", "keys", Some(json!({ "serviceAccount": email })));
        let path = self.dir().join(format!("key-{}.json", rand_suffix()));
        std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
        path
    }

    /// A file holding `token`, for `CLOUDSDK_AUTH_ACCESS_TOKEN_FILE` or `--access-token-file`.
    pub fn token_file(&self, token: &str) -> PathBuf {
        let path = self.dir().join(format!("token-{}", rand_suffix()));
        std::fs::write(&path, token).unwrap();
        path
    }

    /// Runs gcloud against the emulator as the holder of `token`, with a configuration directory
    /// of this emulator's own; any metadata-server probe goes to the emulator, never off the
    /// machine.
    pub fn gcloud(&self, token: &str, args: &[&str]) -> Output {
        let config = self.dir().join("gcloud-config");
        std::fs::create_dir_all(&config).unwrap();
        // gcloud caches whether it runs on GCE here; "False" spares it the probe.
        std::fs::write(config.join("gce"), "False").unwrap();
        Command::new("gcloud")
            .args(args)
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER", format!("{}/", self.url))
            // Every kind's service on the one port (issue 9); Storage's override names its path.
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE", format!("{}/storage/v1/", self.url))
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER", format!("{}/", self.url))
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM", format!("{}/", self.url))
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS", format!("{}/", self.url))
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN", format!("{}/", self.url))
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET", format!("{}/", self.url))
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING", format!("{}/", self.url))
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_PRIVILEGEDACCESSMANAGER", format!("{}/", self.url))
            .env("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", self.token_file(token))
            .env("CLOUDSDK_CONFIG", &config)
            .env("CLOUDSDK_CORE_DISABLE_PROMPTS", "1")
            .env("CLOUDSDK_CORE_CHECK_GCE_METADATA", "false")
            .env("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true")
            .env("CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "true")
            .env("CLOUDSDK_SURVEY_DISABLE_PROMPTS", "true")
            .env("GCE_METADATA_ROOT", self.host())
            .env("GCE_METADATA_HOST", self.host())
            .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
            .env_remove("CLOUDSDK_CORE_PROJECT")
            .stdin(Stdio::null())
            .output()
            .expect("gcloud runs")
    }
}

/// A reqwest client (rustls needs its crypto provider installed first).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// True when gcloud is installed. Where it is not, the test that asked says "skipped: gcloud not
/// installed" (written straight to stderr, past the test harness's capture, so it shows in every
/// run) and returns early; under `CI=true` it fails instead (the brief: a test that needs a
/// missing tool never passes in silence there).
pub fn gcloud_available() -> bool {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        Command::new("gcloud")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !found {
        skipped("gcloud", "install the Google Cloud CLI (`gcloud`)");
    }
    found
}

/// Says that a test is skipped for want of `tool`, or fails it under `CI=true`.
pub fn skipped(tool: &str, how: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "skipped: {tool} not installed, and CI=true: a test that needs it must not pass without it ({how})"
        );
    }
    use std::io::Write as _;
    let name = std::thread::current().name().unwrap_or("a test").to_string();
    let _ = writeln!(std::io::stderr(), "{name}: skipped: {tool} not installed ({how})");
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

impl Drop for Emulator {
    fn drop(&mut self) {
        drop(self.handle.take());
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}
