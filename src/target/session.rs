//! The connection of one run to the API: the options `gcp` is built from, and behind `--emulator`
//! the in-process emulator with its state file, its lock and the caller it mints a token for.

use std::path::PathBuf;
use std::str::FromStr;

use crate::config::{Config, Connection};
use crate::error::Error;
use crate::gcp::{self, Gcp};
use crate::iam::Principal;
#[cfg(feature = "emulator")]
use crate::output;

/// Who `--emulator` acts as: the built-in demo seed's organization admin, so that permissions are
/// checked and "granted by" is filled in as against Google.
#[cfg(feature = "emulator")]
const EMULATOR_CALLER: &str = "user:alice@example.com";

/// A connection for one run: the API client, and the in-process emulator behind `--emulator`.
pub(super) struct Session {
    pub(super) gcp: Gcp,
    #[cfg(feature = "emulator")]
    _emulator: Option<jit_emulator::Handle>,
    /// Held while an in-process emulator runs, so two `jit --emulator` processes take turns
    /// instead of each overwriting the other's state file.
    _lock: Option<std::fs::File>,
    /// Who the credentials belong to, asked at most once per run.
    caller: tokio::sync::OnceCell<Option<Principal>>,
}

/// Where `--emulator` keeps its state: `$XDG_STATE_HOME/jit/emulator.json`, else
/// `~/.local/state/jit/emulator.json`.
pub fn emulator_state_file(vars: &crate::config::env::Vars) -> Result<PathBuf, Error> {
    let base = vars
        .os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| vars.os("HOME").map(|h| PathBuf::from(h).join(".local").join("state")))
        .ok_or_else(|| {
            Error::usage("cannot place the emulator's state: neither XDG_STATE_HOME nor HOME is set")
        })?;
    Ok(base.join("jit").join("emulator.json"))
}

impl Session {
    pub(super) async fn connect(config: &Config, conn: &Connection) -> Result<Session, Error> {
        #[cfg_attr(not(feature = "emulator"), allow(unused_mut))]
        let mut opts = gcp::Options {
            endpoint: conn.endpoint.clone(),
            access_token_file: conn.access_token_file.clone(),
            access_token: None,
            impersonate: conn.impersonate.clone(),
            anonymous: conn.anonymous,
            verbose: config.verbose,
            retry: gcp::RetryBudget {
                max_attempts: conn.retry_attempts,
                max_elapsed: conn.retry_timeout.to_std().unwrap_or(gcp::retry::DEFAULT_TIMEOUT),
                ..Default::default()
            },
            quota_project: conn.quota_project.clone(),
            pace: gcp::pace::Settings {
                writes_per_minute: conn.writes_per_minute,
                searches_per_minute: conn.searches_per_minute,
                // `--writes-per-minute 0` turns every write pace off, buckets' included.
                bucket_writes_per_second: if conn.writes_per_minute == 0 {
                    0
                } else {
                    gcp::pace::BUCKET_WRITES_PER_SECOND
                },
            },
            listing_timeout: conn.list_timeout.to_std().ok(),
            vars: conn.vars.clone(),
        };
        #[cfg_attr(not(feature = "emulator"), allow(unused_mut))]
        let mut lock = None;
        #[cfg(feature = "emulator")]
        let mut handle = None;
        if conn.emulator {
            #[cfg(not(feature = "emulator"))]
            return Err(Error::no_emulator());
            #[cfg(feature = "emulator")]
            {
                let state = emulator_state_file(&conn.vars)?;
                if let Some(dir) = state.parent().filter(|d| !d.exists()) {
                    // Only its owner may enter it: the state holds tokens (issue 17 item 8).
                    let mut builder = std::fs::DirBuilder::new();
                    builder.recursive(true);
                    #[cfg(unix)]
                    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
                    builder
                        .create(dir)
                        .map_err(|e| Error::io(format!("cannot create `{}`: {e}", dir.display())))?;
                }
                let lock_path = state.with_file_name("emulator.lock");
                let file = std::fs::File::create(&lock_path)
                    .and_then(|f| f.lock().map(|()| f))
                    .map_err(|e| Error::io(format!("cannot lock `{}`: {e}", lock_path.display())))?;
                lock = Some(file);
                let h = jit_emulator::start(jit_emulator::Options {
                    port: 0,
                    state: Some(state.clone()),
                    ..Default::default()
                })
                .await
                .map_err(Error::from_emulator)?;
                // The token comes from the emulator's API, in memory: no token file is written.
                // `JIT_EMULATOR_AS=bob@example.com` acts as another of the seed's people (the
                // requester of a Privileged Access Manager tour, docs/usage.md).
                let caller = conn
                    .vars
                    .get("JIT_EMULATOR_AS")
                    .map(|v| v.trim().to_string())
                    .map(|v| if v.contains(':') { v } else { crate::iam::member_of_email(&v) })
                    .unwrap_or_else(|| EMULATOR_CALLER.to_string());
                let token = h.mint_token(&caller).map_err(Error::from_emulator)?;
                if config.verbose {
                    eprintln!(
                        "in-process emulator at {} with its state in {}",
                        output::escape(&h.url),
                        output::escape(&state.display().to_string())
                    );
                }
                opts.endpoint = Some(h.url.clone());
                opts.access_token = Some(gcp::auth::AccessToken::new(token));
                opts.access_token_file = None;
                opts.impersonate = None;
                handle = Some(h);
            }
        }
        let gcp = Gcp::new(opts).await?;
        Ok(Session {
            gcp,
            #[cfg(feature = "emulator")]
            _emulator: handle,
            _lock: lock,
            caller: tokio::sync::OnceCell::new(),
        })
    }

    /// The caller as a principal, asked at most once.
    pub(super) async fn caller(&self) -> Result<Option<Principal>, Error> {
        let found = self
            .caller
            .get_or_try_init(|| async {
                Ok::<_, Error>(self.gcp.caller_principal().await?.and_then(|p| Principal::from_str(&p).ok()))
            })
            .await?;
        Ok(found.clone())
    }
}
