//! Where the commands send their requests: Linq, configured from the environment as the
//! library does, or (`--fake`) an in-process fake Linq whose contacts persist in a file.

use std::{
    fs::{File, OpenOptions, TryLockError},
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use linq_api_ext::{
    linq_api::types::Contact, LinqClient, LinqClientBuilder, LocalRateLimiter, RateLimiter,
    RedisRateLimiter, RetryPolicy, TOKEN_ENV,
};
use linq_fake::FakeLinq;
use sha2::{Digest, Sha256};

use crate::exit::{Exit, FAILED, REFUSED};

/// The user agent's product: `linq-contacts/<version> linq-api-rust/<version>`.
const PRODUCT: &str = concat!("linq-contacts/", env!("CARGO_PKG_VERSION"));

/// How many 429s a call waits out, each for as long as Linq asks (at most ten minutes): a bulk
/// import should slow down under a rate limit, not fail. Other failures keep the client's
/// default retries.
const RATE_LIMIT_RETRIES: u32 = 30;

/// The builder of every client the CLI makes: its user agent, and the engine's retries with a
/// budget of their own for 429s (see [`RATE_LIMIT_RETRIES`]).
fn builder() -> LinqClientBuilder {
    let retries = RetryPolicy::default()
        .rate_limit_retries(RATE_LIMIT_RETRIES)
        .max_retry_after(std::time::Duration::from_secs(600));
    LinqClient::builder()
        .user_agent_product(PRODUCT)
        .retry_policy(retries)
}

/// `--rate-limit` and `--redis-url`.
#[derive(Debug, Default)]
pub struct Limit {
    pub per_second: Option<u32>,
    pub redis_url: Option<String>,
}

impl Limit {
    /// The builder with the limiter these options ask for: the library's local limiter, or its
    /// Redis one keyed by a hash of the token (never the token itself), so that runs with the
    /// same token share one limit.
    fn apply(&self, builder: LinqClientBuilder, token: &str) -> Result<LinqClientBuilder, Exit> {
        let Some(per_second) = self.per_second else {
            return Ok(builder);
        };
        let refused = |e: linq_api_ext::Error| Exit::linq("--rate-limit", &e);
        let limiter: Arc<dyn RateLimiter> = match &self.redis_url {
            None => Arc::new(LocalRateLimiter::per_second(per_second).map_err(refused)?),
            Some(url) => {
                let digest = Sha256::digest(token.trim().as_bytes());
                let key: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
                let limiter =
                    RedisRateLimiter::new(url, format!("linq-contacts:{key}"), per_second)
                        .map_err(|e| Exit::linq("--redis-url", &e))?;
                Arc::new(limiter)
            }
        };
        Ok(builder.rate_limiter(limiter))
    }
}

/// `--rate-limit`'s value: `N/s`, `N/1` or `N` requests a second, N at least 1.
pub fn parse_rate(text: &str) -> Result<u32, String> {
    let n = text
        .trim()
        .strip_suffix("/s")
        .or_else(|| text.trim().strip_suffix("/1"))
        .unwrap_or(text.trim());
    match n.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("must be a number of requests a second, at least 1 (`50/s`)".to_owned()),
    }
}

/// A client, and the fake it talks to if any.
pub struct Session {
    linq: LinqClient,
    fake: Option<Fake>,
}

/// A fake Linq and the state file it is kept in, locked for as long as the session lasts.
struct Fake {
    fake: FakeLinq,
    state: PathBuf,
    /// The lock beside the state file (released when dropped, or when the process ends).
    _lock: File,
}

impl Session {
    /// A client for Linq from `LINQ_INTEGRATION_TOKEN` and `LINQ_BASE_URL`; or, with `fake`,
    /// a fake Linq loaded from `state` (or the default state file).
    pub async fn open(fake: bool, state: Option<PathBuf>, limit: Limit) -> Result<Session, Exit> {
        if !fake {
            if state.is_some() {
                return Err(Exit::new(REFUSED, "--fake-state needs --fake"));
            }
            // The library's own message speaks to a programmer (`.token(..)`); an operator
            // sets a variable, or tries the fake.
            if !std::env::var(TOKEN_ENV).is_ok_and(|t| !t.trim().is_empty()) {
                return Err(Exit::new(
                    REFUSED,
                    format!(
                        "{TOKEN_ENV} is not set: export it with your Linq integration token, \
                         or pass --fake to try against an in-process fake Linq"
                    ),
                ));
            }
            let token = std::env::var(TOKEN_ENV).unwrap_or_default();
            let linq = limit
                .apply(builder().from_env(), &token)?
                .build()
                .map_err(|e| Exit::linq("configuration", &e))?;
            return Ok(Session { linq, fake: None });
        }
        let state = match state {
            Some(state) => state,
            None => default_state()?,
        };
        let lock = lock(&state).await?;
        let fake = FakeLinq::builder()
            .try_start()
            .await
            .map_err(|e| Exit::io("the fake Linq could not listen on 127.0.0.1", &e))?;
        let linq = limit
            .apply(builder().token(fake.token()), fake.token())?
            .base_url(fake.base_url())
            .build()
            .map_err(|e| Exit::linq("configuration", &e))?;
        load(&fake, &state)?;
        Ok(Session {
            linq,
            fake: Some(Fake {
                fake,
                state,
                _lock: lock,
            }),
        })
    }

    /// The client the commands use.
    pub fn client(&self) -> &LinqClient {
        &self.linq
    }

    /// Saves the fake's contacts, if this is a fake session, then lets the next run in.
    pub async fn close(self) -> Result<(), Exit> {
        if let Some(fake) = self.fake {
            save(&fake.fake.contacts(), &fake.state)?;
        }
        Ok(())
    }
}

/// A client for checks only (`import --dry-run --offline`): its builders validate, and it is
/// never sent anything, so it needs no token (the one it holds is a placeholder) and points at
/// a loopback port nothing listens on.
pub fn offline() -> Result<LinqClient, Exit> {
    builder()
        .token("offline-checks-only")
        .base_url("http://127.0.0.1:9")
        .build()
        .map_err(|e| Exit::linq("configuration", &e))
}

/// The state file when `--fake-state` is not given: the user's own, never one shared by the
/// users of the machine — `linq-contacts/fake.json` in the platform's per-user state directory
/// (`$XDG_STATE_HOME`, by default `~/.local/state`, on Linux) or, where there is none, its local
/// data directory (`~/Library/Application Support` on macOS, `%LOCALAPPDATA%` on Windows).
fn default_state() -> Result<PathBuf, Exit> {
    let dir = dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .ok_or_else(|| {
            Exit::new(
                REFUSED,
                "no directory of your own to keep the fake's contacts in (HOME is not set); \
                 pass --fake-state FILE",
            )
        })?
        .join("linq-contacts");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Exit::io(format!("creating {}", dir.display()), &e))?;
    Ok(dir.join("fake.json"))
}

/// Locks `STATE.lock` for the whole run, so that two runs on one state file take turns
/// instead of each saving over the other's contacts; a run that has to wait says so. (The
/// state file itself is replaced on save, so the lock lives beside it.)
async fn lock(state: &Path) -> Result<File, Exit> {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Exit::io(format!("opening {}", path.display()), &e))?;
    match file.try_lock() {
        Ok(()) => return Ok(file),
        Err(TryLockError::WouldBlock) => eprintln!(
            "linq-contacts: waiting for another run using {} to finish",
            state.display()
        ),
        Err(TryLockError::Error(e)) => {
            return Err(Exit::io(format!("locking {}", path.display()), &e))
        }
    }
    let locked = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| Exit::new(FAILED, format!("waiting for the lock: {e}")))?;
    locked.map_err(|e| Exit::io(format!("locking {}", path.display()), &e))
}

/// Fills the fake with the contacts saved in `state`, as they were: ids (and the gaps
/// deletes left, so ids are never reused), times and owners.
fn load(fake: &FakeLinq, state: &Path) -> Result<(), Exit> {
    let text = match std::fs::read_to_string(state) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Exit::io(format!("reading {}", state.display()), &e)),
    };
    let not_state = |why: &dyn std::fmt::Display| {
        Exit::new(
            FAILED,
            format!(
                "{} is not a saved fake state ({why}); delete it or pass another --fake-state",
                state.display()
            ),
        )
    };
    let mut saved: Vec<Contact> = serde_json::from_str(&text).map_err(|e| not_state(&e))?;
    saved.sort_by_key(|c| c.id);
    for contact in saved {
        let id = contact.id;
        fake.restore_contact(contact)
            .ok_or_else(|| not_state(&format_args!("contact {id} appears twice")))?;
    }
    Ok(())
}

/// Writes the contacts to `state`, through a temporary file so a crash never leaves half;
/// readable by its owner only where the system says so (the contacts may be real ones).
fn save(contacts: &[Contact], state: &Path) -> Result<(), Exit> {
    let json = serde_json::to_vec(contacts)
        .map_err(|e| Exit::new(FAILED, format!("saving the fake's state: {e}")))?;
    let partial = state.with_extension("partial");
    let mut options = OpenOptions::new();
    options.create(true).truncate(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&partial)
        .and_then(|mut file| file.write_all(&json))
        .and_then(|()| std::fs::rename(&partial, state))
        .map_err(|e| Exit::io(format!("writing {}", state.display()), &e))
}
