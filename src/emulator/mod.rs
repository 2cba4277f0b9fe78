//! A local stand-in for the parts of Google's Cloud Resource Manager API that jit uses (SPEC §6),
//! faithful enough that gcloud and Google's Rust SDK cannot tell. docs/emulator.md lists every
//! behaviour with its source.
//!
//! - `state`: the store (hierarchy, policies, etags, versions, validation, permissions); no HTTP.
//! - `server`: the routes; `wire`: Google's error JSON, HTML 404 and enum encoding.
//! - `auth`: tokens, service-account keys and self-signed JWTs.

pub mod auth;
pub mod catalog;
pub mod server;
pub mod state;
pub mod wire;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

pub use server::Faults;
pub use state::{Data, Store};

use crate::policy::Policy;

/// `jit emulator` flags.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Emulator options")]
pub struct Args {
    /// Port to listen on, on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Keep the state in this JSON file: written atomically after every change, reloaded on start.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Start from this seed (hierarchy, policies, identities) instead of the built-in demo.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Accept every request without credentials and allow everything.
    #[arg(long)]
    pub no_auth: bool,
    /// Start the emulator's clock (the `request.time` of conditions) at this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub clock: Option<String>,
    /// Keep the clock still (it moves only through the control routes).
    #[arg(long)]
    pub freeze_clock: bool,
    /// Fault: add this latency to every API call.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Fault: probability (0–1) that a setIamPolicy answers 409 ABORTED.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub conflict_rate: f64,
    /// Fault: probability (0–1) that an API call answers --error-status with Retry-After.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub error_rate: f64,
    /// Fault: the status of injected errors, 429 or 503.
    #[arg(long, value_name = "CODE", default_value_t = 503, value_parser = parse_error_status)]
    pub error_status: u16,
    /// Fault: Retry-After seconds on injected errors.
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    pub retry_after: u64,
    /// Fault: probability (0–1) that an API call's connection is dropped without an answer.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Write a service-account JSON key file (token_uri pointing at the emulator) and register its
    /// key, then serve.
    #[arg(long, value_name = "FILE")]
    pub write_key: Option<PathBuf>,
    /// The service account of --write-key.
    #[arg(long, value_name = "EMAIL", default_value = "jit-cleanup@jit-demo-prod.iam.gserviceaccount.com")]
    pub service_account: String,
    /// Print the built-in demo seed (the seed file format) and exit.
    #[arg(long)]
    pub print_seed: bool,
}

/// How to start an emulator (`jit emulator`, `jit --emulator`, tests). The default: port 0, the
/// demo seed, no state file, credentials required, no faults, the wall clock.
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

    /// The stored policy of `projects/ID`, `folders/N` or `organizations/N` (with conditions).
    pub fn policy(&self, resource: &str) -> Option<Policy> {
        let store = self.shared.store.lock().unwrap_or_else(|e| e.into_inner());
        let (c, id) = resource.split_once('/')?;
        let found = store.find(state::Kind::from_collection(c)?, id)?;
        Some(store.stored(&found.key))
    }

    /// A copy of everything the emulator holds.
    pub fn data(&self) -> Data {
        self.shared.store.lock().unwrap_or_else(|e| e.into_inner()).data.clone()
    }

    /// Sets the emulator's clock (ticking from `time`, or frozen there).
    pub fn set_clock(&self, time: DateTime<Utc>, frozen: bool) {
        let mut store = self.shared.store.lock().unwrap_or_else(|e| e.into_inner());
        store.data.clock = Some(server::clock_at(time, frozen, Utc::now()));
        let _ = self.shared.persist(&store);
    }

    /// The emulator's clock now.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.store.lock().unwrap_or_else(|e| e.into_inner()).now(Utc::now())
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// Registers a bearer token for a principal.
    pub fn add_token(&self, token: &str, principal: &str) {
        let mut store = self.shared.store.lock().unwrap_or_else(|e| e.into_inner());
        store.add_token(state::Token { token: token.into(), principal: principal.into(), expire_time: None });
        let _ = self.shared.persist(&store);
    }

    /// Creates a key for a service account, registers it and returns the JSON key file.
    pub fn new_service_account_key(&self, email: &str) -> crate::Result<serde_json::Value> {
        let (file, key) = auth::new_key(email, &format!("{}/token", self.url))?;
        let mut store = self.shared.store.lock().unwrap_or_else(|e| e.into_inner());
        store.add_service_account_key(email, key);
        let _ = self.shared.persist(&store);
        Ok(file)
    }

    /// The request log.
    pub fn requests(&self) -> Vec<server::LogEntry> {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}

fn read_data(path: &std::path::Path, what: &str) -> crate::Result<Data> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| crate::Error::io(format!("cannot read the {what} `{}`: {e}", path.display())))?;
    let hint = "docs/emulator.md describes the format; `jit emulator --print-seed` prints an example";
    let data: Data = serde_json::from_str(&text).map_err(|e| {
        crate::Error::usage_hint(format!("the {what} `{}` is not valid: {e}", path.display()), hint)
    })?;
    data.check().map_err(|e| {
        crate::Error::usage_hint(format!("the {what} `{}` is not valid: {e}", path.display()), hint)
    })?;
    Ok(data)
}

/// Starts an emulator inside the caller's tokio runtime.
pub async fn start(opts: Options) -> crate::Result<Handle> {
    let initial = match (&opts.seed_data, &opts.seed) {
        (Some(d), _) => {
            d.check().map_err(|e| crate::Error::usage(format!("the seed is not valid: {e}")))?;
            d.clone()
        }
        (None, Some(path)) => read_data(path, "seed file")?,
        (None, None) => state::demo_seed(),
    };
    let mut data = match &opts.state {
        Some(path) if path.exists() => read_data(path, "state file")?,
        _ => initial.clone(),
    };
    if let Some(t) = opts.clock {
        data.clock = Some(server::clock_at(t, opts.freeze_clock, Utc::now()));
    } else if opts.freeze_clock {
        data.clock = Some(server::clock_at(Utc::now(), true, Utc::now()));
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .map_err(|e| crate::Error::io(format!("cannot listen on 127.0.0.1:{}: {e}", opts.port)))?;
    let port = listener.local_addr().map_err(|e| crate::Error::io(e.to_string()))?.port();
    let url = format!("http://127.0.0.1:{port}");
    let shared = Arc::new(server::Shared {
        store: Mutex::new(Store::new(data)),
        initial,
        state_path: opts.state.clone(),
        no_auth: opts.no_auth,
        faults: Mutex::new(opts.faults.clone()),
        log: Mutex::new(VecDeque::new()),
        url: url.clone(),
    });
    {
        let store = shared.store.lock().unwrap_or_else(|e| e.into_inner());
        shared.persist(&store).map_err(|e| crate::Error::io(e.message))?;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, shared.clone(), stopped));
    Ok(Handle { url, port, shared, stop: Some(stop), task: Some(task) })
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<server::Shared>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or the like: wait a little, then go on.
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let mut stop = stopped.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| server::handle(shared.clone(), req));
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            _ = stopped.changed() => break,
        }
    }
}

fn parse_error_status(s: &str) -> Result<u16, String> {
    match s {
        "429" => Ok(429),
        "503" => Ok(503),
        _ => Err("injected errors are 429 or 503".to_string()),
    }
}

fn options_from(args: &Args) -> crate::Result<Options> {
    let clock = match &args.clock {
        Some(s) => Some(crate::condition::parse_timestamp(s).ok_or_else(|| {
            crate::Error::usage_hint(
                format!("`{s}` is not a time"),
                "use RFC 3339, e.g. 2026-11-25T12:00:00Z",
            )
        })?),
        None => None,
    };
    for (name, p) in [
        ("--conflict-rate", args.conflict_rate),
        ("--error-rate", args.error_rate),
        ("--drop-rate", args.drop_rate),
    ] {
        if !(0.0..=1.0).contains(&p) {
            return Err(crate::Error::usage(format!("{name} must be between 0 and 1, not {p}")));
        }
    }
    Ok(Options {
        port: args.port,
        state: args.state.clone(),
        seed: args.seed.clone(),
        seed_data: None,
        no_auth: args.no_auth,
        faults: Faults {
            latency_ms: args.latency_ms,
            conflict_rate: args.conflict_rate,
            error_rate: args.error_rate,
            error_status: args.error_status,
            retry_after_seconds: Some(args.retry_after),
            drop_rate: args.drop_rate,
            ..Faults::default()
        },
        clock,
        freeze_clock: args.freeze_clock,
    })
}

/// `jit emulator`: starts, prints the URL and the environment that points gcloud and jit at it,
/// and serves until interrupted.
pub fn run(args: Args) -> crate::Result<()> {
    if args.print_seed {
        println!("{}", state::DEMO_SEED);
        return Ok(());
    }
    let opts = options_from(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| crate::Error::io(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let handle = start(opts).await?;
        if let Some(path) = &args.write_key {
            let file = handle.new_service_account_key(&args.service_account)?;
            let text = serde_json::to_string_pretty(&file).expect("JSON serialises");
            std::fs::write(path, text + "\n")
                .map_err(|e| crate::Error::io(format!("cannot write `{}`: {e}", path.display())))?;
        }
        print_banner(&handle, &args);
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| crate::Error::io(format!("cannot wait for Ctrl-C: {e}")))?;
        handle.shutdown().await;
        Ok(())
    })
}

fn print_banner(handle: &Handle, args: &Args) {
    use std::io::Write as _;
    let url = &handle.url;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "jit emulator listening on {url}");
    let _ = writeln!(out);
    let _ = writeln!(out, "Point gcloud at it (the token file holds one of the tokens below):");
    let _ = writeln!(out, "  export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER={url}/");
    let _ = writeln!(
        out,
        "  export CLOUDSDK_AUTH_ACCESS_TOKEN_FILE=$(mktemp) && echo alice-token > $CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"
    );
    let _ = writeln!(out, "Point jit at it:");
    let _ = writeln!(out, "  jit --endpoint {url} --access-token-file $CLOUDSDK_AUTH_ACCESS_TOKEN_FILE ...");
    let _ = writeln!(out, "Metadata server (its token is the seed's metadataPrincipal):");
    let _ = writeln!(out, "  export GCE_METADATA_HOST=127.0.0.1:{}", handle.port);
    if let Some(path) = &args.write_key {
        let _ = writeln!(out, "Service-account key ({}):", args.service_account);
        let _ = writeln!(out, "  export GOOGLE_APPLICATION_CREDENTIALS={}", path.display());
    }
    if args.no_auth {
        let _ = writeln!(out, "Running with --no-auth: every request is allowed, with or without a token.");
    } else {
        let data = handle.data();
        let _ = writeln!(out, "Tokens:");
        for t in data.tokens.iter().filter(|t| t.expire_time.is_none()) {
            let _ = writeln!(out, "  {:<16} {}", t.token, t.principal);
        }
    }
    let _ = writeln!(
        out,
        "Control: {url}/_emulator/clock, /_emulator/faults, /_emulator/requests, /_emulator/reset"
    );
    let _ = writeln!(out, "Press Ctrl-C to stop.");
    let _ = out.flush();
}
