//! Passwords: Argon2id with the library's default (OWASP) parameters.
//!
//! Each hash takes about 19 MiB and tens of milliseconds of one core, so
//! hashing runs on a small pool of its own threads ([`Hashing`]), never more
//! at once than the pool has threads. A request waits for a free thread for
//! a bounded time and is then refused with [`Busy`] (the API answers 503
//! with `Retry-After`), so a burst of logins costs a fixed amount of memory
//! instead of one hash's worth per request, and the memory a thread used is
//! reused by its next hash rather than spread over hundreds of threads.

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::PasswordHash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password: must be at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Every hashing thread stayed busy for longer than the caller may wait.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many logins at once; try again in a moment")]
pub struct Busy;

/// Shorter passphrases are refused (NCSC advice favours length over rules).
pub const MIN_LENGTH: usize = 12;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed set of threads that do all password hashing, and a bounded wait
/// for one of them.
#[derive(Debug)]
pub struct Hashing {
    workers: usize,
    /// How long a login waits for a free thread before it is refused.
    wait: Duration,
    pool: OnceLock<Pool>,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct Pool {
    permits: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
}

impl Hashing {
    /// `workers` threads (at least one); a login waits at most `wait` for one.
    pub fn new(workers: usize, wait: Duration) -> Hashing {
        Hashing { workers: workers.max(1), wait, pool: OnceLock::new(), running: Arc::default(), peak: Arc::default() }
    }

    /// One thread per core, and a five-second wait: the process-wide pool
    /// every service state shares unless told otherwise.
    pub fn shared() -> Arc<Hashing> {
        static SHARED: OnceLock<Arc<Hashing>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
                Arc::new(Hashing::new(cores, Duration::from_secs(5)))
            })
            .clone()
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The most hashes that have run at the same moment so far.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// The threads start on first use (they need nothing from the runtime).
    fn pool(&self) -> &Pool {
        self.pool.get_or_init(|| {
            let (jobs, queue) = mpsc::channel::<Job>();
            let queue = Arc::new(Mutex::new(queue));
            for n in 0..self.workers {
                let queue = queue.clone();
                let spawned = std::thread::Builder::new().name(format!("password-{n}")).spawn(move || {
                    loop {
                        // The lock is held only while taking the next job.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A job that panics loses its own answer, not the thread.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                });
                if let Err(e) = spawned {
                    tracing::error!(error = %e, "could not start a password hashing thread");
                }
            }
            Pool { permits: Arc::new(Semaphore::new(self.workers)), jobs }
        })
    }

    /// Runs `work` on a hashing thread, waiting at most `wait` (none: as
    /// long as it takes) for one to be free.
    async fn run<T: Send + 'static>(&self, wait: Option<Duration>, work: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
        let pool = self.pool();
        let permit = match wait {
            Some(wait) => tokio::time::timeout(wait, pool.permits.clone().acquire_owned()).await.map_err(|_| Busy)?,
            None => pool.permits.clone().acquire_owned().await,
        }
        .map_err(|_| Busy)?;
        let (reply, answer) = oneshot::channel();
        let (running, peak) = (self.running.clone(), self.peak.clone());
        let job: Job = Box::new(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = work();
            running.fetch_sub(1, Ordering::SeqCst);
            // The permit is given back only when the thread is free again.
            drop(permit);
            let _ = reply.send(out);
        });
        pool.jobs.send(job).map_err(|_| Busy)?;
        answer.await.map_err(|_| Busy)
    }

    /// Whether `password` matches `phc`. A malformed stored hash never matches.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, Busy> {
        self.run(Some(self.wait), move || verify_in_place(password.as_bytes(), &phc)).await
    }

    /// An Argon2id PHC string for `password` (waits as long as it takes:
    /// accounts are set up by administrators, not by a crowd).
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        if password.chars().count() < MIN_LENGTH {
            return Err(PasswordError::TooShort);
        }
        self.run(None, move || Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| PasswordError::Hash(e.to_string())))
            .await
            .map_err(|e| PasswordError::Hash(e.to_string()))?
    }

    /// A hash of a random password nobody knows, verified against when the
    /// username is unknown so that a failed login costs the same either way.
    pub async fn decoy(&self) -> String {
        static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        DECOY
            .get_or_init(|| async {
                let random = super::random_token();
                self.run(None, move || Argon2::default().hash_password(random.as_bytes()).map(|h| h.to_string()).unwrap_or_default()).await.unwrap_or_default()
            })
            .await
            .clone()
    }
}

thread_local! {
    /// The Argon2 working memory of a hashing thread, kept between hashes:
    /// each verification reuses it instead of allocating (and the allocator
    /// keeping) about 19 MiB more.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Verifies `password` against the PHC string `phc` in this thread's own
/// working memory. The parameters, salt and expected output come from the
/// stored hash; the comparison takes the same time wherever they differ.
fn verify_in_place(password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::new(parsed.algorithm.as_ref() as &str) else {
        return false;
    };
    let version = match parsed.version {
        Some(v) => match argon2::Version::try_from(v) {
            Ok(v) => v,
            Err(_) => return false,
        },
        None => argon2::Version::default(),
    };
    let Ok(params) = argon2::Params::try_from(&parsed) else {
        return false;
    };
    let count = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, argon2::Block::default());
        }
        argon.hash_password_into_with_memory(password, salt.as_ref(), &mut out, &mut blocks[..count]).is_ok() && super::same_bytes(&out, expected.as_bytes())
    })
}

/// An Argon2id PHC string for `password`, on the shared pool.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    Hashing::shared().hash(password).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn never_more_hashes_at_once_than_threads() {
        let hashing = Arc::new(Hashing::new(2, Duration::from_secs(60)));
        let phc = hashing.hash("correct horse battery".to_string()).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (hashing, phc) = (hashing.clone(), phc.clone());
                tokio::spawn(async move { hashing.verify("correct horse battery".to_string(), phc).await })
            })
            .collect();
        for t in tasks {
            assert!(matches!(t.await.unwrap(), Ok(true)));
        }
        assert_eq!(hashing.peak(), 2, "eight verifications on two threads ran two at a time");
    }

    #[tokio::test]
    async fn a_caller_that_waits_too_long_is_told_busy() {
        let hashing = Arc::new(Hashing::new(1, Duration::from_millis(1)));
        let phc = hashing.hash("correct horse battery".to_string()).await.unwrap();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (hashing, phc) = (hashing.clone(), phc.clone());
                tokio::spawn(async move { hashing.verify("wrong horse battery".to_string(), phc).await })
            })
            .collect();
        let mut busy = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(matched) => assert!(!matched),
                Err(Busy) => busy += 1,
            }
        }
        assert!(busy >= 1, "with one thread and a 1 ms wait, some of four verifications are refused");
    }

    #[tokio::test]
    async fn verifying_in_a_reused_buffer_agrees_with_the_library() {
        let hashing = Hashing::new(1, Duration::from_secs(60));
        let phc = hashing.hash("correct horse battery".to_string()).await.unwrap();
        for _ in 0..2 {
            assert!(hashing.verify("correct horse battery".to_string(), phc.clone()).await.unwrap());
            assert!(!hashing.verify("correct horse batterz".to_string(), phc.clone()).await.unwrap());
        }
        // A hash with other parameters (smaller memory) verifies in the same buffer.
        let small = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon2::Params::new(1024, 1, 1, None).unwrap());
        let other = small.hash_password(b"another passphrase").unwrap().to_string();
        assert!(hashing.verify("another passphrase".to_string(), other).await.unwrap());
    }

    #[tokio::test]
    async fn a_malformed_hash_never_matches() {
        let hashing = Hashing::new(1, Duration::from_secs(5));
        assert!(!hashing.verify("anything at all".to_string(), "not a hash".to_string()).await.unwrap());
    }
}
