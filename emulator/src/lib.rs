//! A local stand-in for the parts of Google's APIs that jit uses (design §6): Cloud Resource Manager's
//! hierarchy and allow policies, and the allow policies of buckets, secrets, service accounts, KMS
//! key rings and keys and Cloud Run services, each in its service's own shape, on one port;
//! faithful enough that gcloud and Google's Rust SDK cannot tell. docs/emulator.md lists every
//! behaviour with its source.
//!
//! This crate does not depend on jit: its policy types, its validation of members, roles,
//! conditions and limits, and its error type are its own, written from Google's documentation, so
//! that it can disagree with jit.
//!
//! - [`state`]: the model, the store (hierarchy, policies, etags, versions, permissions), the
//!   validation, the role catalog and the demo seed; no HTTP.
//! - [`server`]: one module per service surface, the control routes, faults, and `wire`, which
//!   alone renders Google's error JSON.
//! - [`auth`]: tokens, service-account keys and self-signed JWTs.
//!
//! ```no_run
//! # async fn demo() -> jit_emulator::Result<()> {
//! let emulator = jit_emulator::start(jit_emulator::Options::default()).await?;
//! let token = emulator.mint_token("user:alice@example.com")?;
//! println!("{} answers {token}", emulator.url);
//! # Ok(()) }
//! ```

pub mod auth;
pub mod error;
pub mod server;
pub mod state;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

pub use error::{Error, Result};
pub use server::{Faults, Limits, LogEntry};
pub use state::{DEMO_SEED, Data, Policy, Store, demo_seed};

use server::lock;

/// How to start an emulator (`jit emulator`, `jit --emulator`, tests). The default: port 0, the
/// demo seed, no state file, credentials required, no faults, the wall clock, [`Limits::default`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// 0 picks a free port.
    pub port: u16,
    /// State file: loaded if it exists, written atomically after every change.
    pub state: Option<PathBuf>,
    /// Seed file; with neither `seed` nor `seed_data`, the built-in demo seed.
    pub seed: Option<PathBuf>,
    /// A seed given in memory (tests); wins over `seed`.
    pub seed_data: Option<Data>,
    /// No credentials needed, everything allowed.
    pub no_auth: bool,
    pub faults: Faults,
    /// Start the clock at this time (ticking unless `freeze_clock`).
    pub clock: Option<DateTime<Utc>>,
    pub freeze_clock: bool,
    pub limits: Limits,
    /// Cloud Asset Inventory's index lag: its search sees the policies as they were this many
    /// seconds ago (`jit emulator --asset-lag`).
    pub asset_lag_seconds: u64,
    /// Google's rate quotas, none enforced by default (`jit emulator --quota-…`).
    pub quotas: server::quota::Quotas,
}

/// A running emulator. Dropping it (or [`Handle::shutdown`]) stops the server.
pub struct Handle {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub port: u16,
    shared: Arc<server::Shared>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Handle {
    /// Stops accepting, closes idle connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The stored policy (with conditions) of `projects/ID`, `folders/N`, `organizations/N`, or a
    /// resource below a project by its canonical name (`projects/_/buckets/B`,
    /// `projects/ID/secrets/S`, `projects/ID/serviceAccounts/EMAIL`, …).
    pub fn policy(&self, resource: &str) -> Option<Policy> {
        let store = lock(&self.shared.store);
        let found = store.find_key(resource)?;
        Some(store.stored(&found.key))
    }

    /// A copy of everything the emulator holds.
    pub fn data(&self) -> Data {
        lock(&self.shared.store).data.clone()
    }

    /// Sets the emulator's clock (ticking from `time`, or frozen there); refused outside the times
    /// CEL can represent.
    pub fn set_clock(&self, time: DateTime<Utc>, frozen: bool) -> Result<()> {
        let clock = server::control::clock_at(time, frozen, Utc::now()).map_err(Error::usage)?;
        let mut store = lock(&self.shared.store);
        store.data.clock = Some(clock);
        self.shared.persist(&store).map_err(|e| Error::io(e.message))
    }

    /// The emulator's clock now.
    pub fn now(&self) -> DateTime<Utc> {
        lock(&self.shared.store).now(Utc::now())
    }

    /// Sets Cloud Asset Inventory's index lag and whether its API is enabled.
    pub fn set_asset_index(&self, index: server::asset::AssetIndex) {
        *lock(&self.shared.asset) = index;
    }

    /// Sets the rate quotas the emulator enforces (and forgets the calls counted so far).
    pub fn set_quotas(&self, quotas: server::quota::Quotas) {
        lock(&self.shared.quota).set(quotas);
    }

    /// Calls answered 429 over a quota since the quotas were last set.
    pub fn quotas_refused(&self) -> u64 {
        lock(&self.shared.quota).refused_total()
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.faults) = faults;
    }

    /// Registers a bearer token for a principal.
    pub fn add_token(&self, token: &str, principal: &str) {
        let mut store = lock(&self.shared.store);
        store.add_token(state::Token { token: token.into(), principal: principal.into(), expire_time: None });
        let _ = self.shared.persist(&store);
    }

    /// Mints a fresh access token for `principal` (`user:…`, `serviceAccount:…`), valid for an
    /// hour of wall time, as Google's token endpoint would issue one: how a program that runs the
    /// emulator in-process (`jit --emulator`) gets its credentials, with no token file.
    pub fn mint_token(&self, principal: &str) -> Result<String> {
        if state::validation::member_kind(principal) != Some(state::validation::MemberKind::Email) {
            return Err(Error::usage(format!(
                "`{principal}` is not a principal a token can stand for (user:EMAIL or serviceAccount:EMAIL)"
            )));
        }
        let mut store = lock(&self.shared.store);
        let token = store.issue_token(principal, Utc::now(), 3599);
        self.shared.persist(&store).map_err(|e| Error::io(e.message))?;
        Ok(token.token)
    }

    /// Creates a key for a service account, registers it and returns the JSON key file.
    pub fn new_service_account_key(&self, email: &str) -> Result<serde_json::Value> {
        let (file, key) = auth::new_key(email, &format!("{}/token", self.url))?;
        let mut store = lock(&self.shared.store);
        store.add_service_account_key(email, key);
        let _ = self.shared.persist(&store);
        Ok(file)
    }

    /// The request log.
    pub fn requests(&self) -> Vec<LogEntry> {
        lock(&self.shared.log).entries.iter().cloned().collect()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}

const FORMAT_HINT: &str =
    "docs/emulator.md describes the format; `jit emulator --print-seed` prints an example";

fn read_data(path: &Path, what: &str) -> Result<Data> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read the {what} `{}`: {e}", path.display())))?;
    let data: Data = serde_json::from_str(&text).map_err(|e| {
        Error::usage_hint(format!("the {what} `{}` is not valid: {e}", path.display()), FORMAT_HINT)
    })?;
    data.check().map_err(|e| {
        Error::usage_hint(format!("the {what} `{}` cannot be served: {e}", path.display()), FORMAT_HINT)
    })?;
    Ok(data)
}

/// Starts an emulator inside the caller's tokio runtime. A seed or state file that cannot be
/// served (malformed, or holding a clock, policy or identity Google could not have) is refused
/// here, with the reason, before anything listens.
pub async fn start(opts: Options) -> Result<Handle> {
    opts.faults.check().map_err(|e| Error::usage(format!("faults: {e}")))?;
    opts.quotas.check().map_err(|e| Error::usage(format!("quotas: {e}")))?;
    let index = server::asset::AssetIndex { lag_seconds: opts.asset_lag_seconds, api_enabled: true };
    index.check().map_err(|e| Error::usage(format!("asset lag: {e}")))?;
    let initial = match (&opts.seed_data, &opts.seed) {
        (Some(d), _) => {
            d.check().map_err(|e| Error::usage(format!("the seed cannot be served: {e}")))?;
            d.clone()
        }
        (None, Some(path)) => read_data(path, "seed file")?,
        (None, None) => demo_seed(),
    };
    let mut data = match &opts.state {
        Some(path) if path.exists() => read_data(path, "state file")?,
        _ => initial.clone(),
    };
    let wall = Utc::now();
    if let Some(t) = opts.clock {
        data.clock = Some(server::control::clock_at(t, opts.freeze_clock, wall).map_err(Error::usage)?);
    } else if opts.freeze_clock {
        let now = data.clock.clone().unwrap_or_default().now(wall);
        data.clock = Some(server::control::clock_at(now, true, wall).map_err(Error::usage)?);
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .map_err(|e| Error::io(format!("cannot listen on 127.0.0.1:{}: {e}", opts.port)))?;
    let port = listener.local_addr().map_err(|e| Error::io(e.to_string()))?.port();
    let url = format!("http://127.0.0.1:{port}");
    let shared = Arc::new(server::Shared {
        store: Mutex::new(Store::new(data)),
        initial,
        state_path: opts.state.clone(),
        no_auth: opts.no_auth,
        faults: Mutex::new(opts.faults.clone()),
        asset: Mutex::new(index),
        asset_cache: Mutex::new(server::asset::Cache::default()),
        log: Mutex::new(server::Log::default()),
        quota: Mutex::new(server::quota::Meter::new(opts.quotas)),
        limits: opts.limits.clone(),
        url: url.clone(),
    });
    {
        let store = lock(&shared.store);
        shared.persist(&store).map_err(|e| Error::io(e.message))?;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(server::accept_loop(listener, shared.clone(), stopped));
    Ok(Handle { url, port, shared, stop: Some(stop), task: Some(task) })
}

/// A service-account key file to write at start (`jit emulator --write-key`).
#[derive(Debug, Clone)]
pub struct KeyFile {
    pub path: PathBuf,
    pub service_account: String,
}

/// `jit emulator`: starts, prints the URL and the environment that points gcloud and jit at it,
/// and serves until interrupted (Ctrl-C).
pub fn serve(opts: Options, key: Option<KeyFile>) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io(format!("cannot start the runtime: {e}")))?;
    let no_auth = opts.no_auth;
    runtime.block_on(async move {
        let handle = start(opts).await?;
        if let Some(k) = &key {
            let file = handle.new_service_account_key(&k.service_account)?;
            let text = serde_json::to_string_pretty(&file).expect("JSON serialises");
            write_private(&k.path, (text + "\n").as_bytes())
                .map_err(|e| Error::io(format!("cannot write `{}`: {e}", k.path.display())))?;
        }
        print_banner(&handle, key.as_ref(), no_auth);
        tokio::signal::ctrl_c().await.map_err(|e| Error::io(format!("cannot wait for Ctrl-C: {e}")))?;
        handle.shutdown().await;
        Ok(())
    })
}

fn print_banner(handle: &Handle, key: Option<&KeyFile>, no_auth: bool) {
    use std::io::Write as _;
    let url = &handle.url;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "jit emulator listening on {url}");
    let _ = writeln!(out);
    let _ = writeln!(out, "Point gcloud at it (the token file holds one of the tokens below):");
    let _ = writeln!(out, "  export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER={url}/");
    // Every kind's service answers on the same port; Storage's override names its path.
    let _ = writeln!(out, "  export CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE={url}/storage/v1/");
    for service in
        ["SECRETMANAGER", "IAM", "CLOUDKMS", "RUN", "CLOUDASSET", "PRIVILEGEDACCESSMANAGER", "LOGGING"]
    {
        let _ = writeln!(out, "  export CLOUDSDK_API_ENDPOINT_OVERRIDES_{service}={url}/");
    }
    let _ = writeln!(
        out,
        "  export CLOUDSDK_AUTH_ACCESS_TOKEN_FILE=$(mktemp) && echo alice-token > $CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"
    );
    let _ = writeln!(out, "Point jit at it:");
    let _ = writeln!(out, "  jit --endpoint {url} --access-token-file $CLOUDSDK_AUTH_ACCESS_TOKEN_FILE ...");
    let _ = writeln!(out, "Metadata server (its token is the seed's metadataPrincipal):");
    let _ = writeln!(out, "  export GCE_METADATA_HOST=127.0.0.1:{}", handle.port);
    if let Some(k) = key {
        let _ = writeln!(out, "Service-account key ({}):", k.service_account);
        let _ = writeln!(out, "  export GOOGLE_APPLICATION_CREDENTIALS={}", k.path.display());
    }
    if no_auth {
        let _ = writeln!(out, "Running with --no-auth: every request is allowed, with or without a token.");
        if let Some(who) = handle.data().metadata_principal {
            let _ = writeln!(out, "  A token the emulator does not know stands for {who}");
            let _ = writeln!(
                out,
                "  (the metadata server's principal). jit with no token file takes that token with:"
            );
            let _ = writeln!(out, "  GCE_METADATA_HOST=127.0.0.1:{} jit --endpoint {url} ...", handle.port);
        }
    } else {
        let data = handle.data();
        let _ = writeln!(out, "Tokens:");
        for t in data.tokens.iter().filter(|t| t.expire_time.is_none()) {
            let _ = writeln!(out, "  {:<16} {}", t.token, t.principal);
        }
    }
    let _ = writeln!(
        out,
        "Control: {url}/_emulator/clock, /_emulator/faults, /_emulator/asset, /_emulator/requests, /_emulator/reset"
    );
    let _ = writeln!(out, "Press Ctrl-C to stop.");
    let _ = out.flush();
}

/// Writes a file only its owner may read (mode 0600: the state holds access tokens, a key file is
/// a private key), in a directory created only its owner may enter (0700) when it does not exist
/// yet (issue 17 item 8). An existing file's mode is set too: `mode` on open applies only when
/// the file is created.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(all(test, unix))]
mod private_file_tests {
    use std::os::unix::fs::PermissionsExt;

    /// Issue 17 item 8: the state file (which holds tokens) and a key file are 0600, in a
    /// directory created 0700.
    #[test]
    fn state_and_key_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("jit/state/emulator.json");
        super::server::write_atomically(&state, &Default::default()).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state), 0o600);
        assert_eq!(mode(state.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.path().join("jit")), 0o700);
        // An existing file written before (0644) becomes private too.
        let key = dir.path().join("key.json");
        std::fs::write(&key, "{}").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::write_private(&key, b"{}\n").unwrap();
        assert_eq!(mode(&key), 0o600);
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "{}\n");
    }
}
