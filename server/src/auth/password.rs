//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes).

use super::AuthError;
use app::model::Password;
use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use std::sync::{
    LazyLock,
    atomic::{AtomicUsize, Ordering},
};

/// A real hash of a throw-away password. Checking a login for an unknown user
/// against it costs as much as checking a known one, so timing does not tell
/// which usernames exist.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_blocking("not-a-real-password-at-all").ok());

fn hash_blocking(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AuthError::Hashing(error.to_string()))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// At most one hash per core at a time. Each takes 19 MiB and a core for a
/// while; a burst of sign-ups would otherwise start a blocking thread each and
/// leave every thread's allocator holding its 19 MiB (seen: 1.6 GiB after 100
/// sign-ups), and starve everything else of CPU.
static HASHING: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(cores()));

/// Hashes running or waiting for a core. Past [`queue_limit`] a request is
/// refused (`unavailable`) rather than queued without bound: a flood of
/// sign-ins must not grow a queue nobody will live to see served.
static IN_LINE: AtomicUsize = AtomicUsize::new(0);

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Eight waiting per core: about a second's worth of argon2 on this hardware.
fn queue_limit() -> usize {
    cores() * 8
}

/// Leaves the line when dropped, whichever way the hash ended.
struct InLine;

impl Drop for InLine {
    fn drop(&mut self) {
        IN_LINE.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs argon2 off the async threads, a core's worth at a time.
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AuthError> {
    if IN_LINE.fetch_add(1, Ordering::AcqRel) >= queue_limit() {
        IN_LINE.fetch_sub(1, Ordering::AcqRel);
        return Err(AuthError::Busy);
    }
    let _in_line = InLine;
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|_| AuthError::Hashing("hashing closed".into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AuthError::Hashing(error.to_string()))
}

pub async fn hash(password: &Password) -> Result<String, AuthError> {
    let password = password.expose().to_owned();
    on_hashing_thread(move || hash_blocking(&password)).await?
}

/// Whether `password` matches `hash`; with `None` (no such user) it does the
/// same work and answers false.
pub async fn verify(password: &Password, hash: Option<String>) -> Result<bool, AuthError> {
    let password = password.expose().to_owned();
    on_hashing_thread(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_blocking(&password, dummy);
            }
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let password = Password::parse("correct horse".into()).unwrap();
        let hash = hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify(&password, Some(hash.clone())).await.unwrap());
        let wrong = Password::parse("incorrect horse".into()).unwrap();
        assert!(!verify(&wrong, Some(hash)).await.unwrap());
        assert!(!verify(&password, None).await.unwrap());
    }
}
