//! Argon2id password hashes, computed on the blocking thread pool: one hash takes tens of
//! milliseconds of CPU and 19 MiB, which must not stall the async workers.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::{OnceCell, Semaphore};

use super::AuthError;

/// Hashes in progress at once: bounds memory (19 MiB each) under a burst of logins.
static HASHING: Semaphore = Semaphore::const_new(4);

/// A hash of a random password, verified against when there is no real hash, so that an
/// unknown address costs the same time as a wrong password.
static DUMMY: OnceCell<String> = OnceCell::const_new();

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AuthError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AuthError::Internal(format!("hashing task failed: {e}")))
}

/// Argon2id with the OWASP minimum parameters (m = 19 MiB, t = 2, p = 1), the crate's
/// defaults, in PHC string form (parameters and salt travel with the hash).
pub async fn hash(password: &str) -> Result<String, AuthError> {
    let password = password.to_owned();
    blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
    })
    .await?
    .map_err(|e| AuthError::Internal(format!("cannot hash password: {e}")))
}

/// Checks `password` against `stored`; with no stored hash, spends the same effort and
/// answers false.
pub async fn verify(stored: Option<&str>, password: &str) -> Result<bool, AuthError> {
    let (hash, real) = match stored {
        Some(h) => (h.to_owned(), true),
        None => {
            let dummy = DUMMY
                .get_or_try_init(|| async { hash(&super::secrets::random_token("")).await })
                .await?;
            (dummy.clone(), false)
        }
    };
    let password = password.to_owned();
    let matches = blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await?;
    Ok(real && matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let h = hash("correct horse battery").await.expect("hash");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify(Some(&h), "correct horse battery").await.expect("verify"));
        assert!(!verify(Some(&h), "wrong horse battery").await.expect("verify"));
        assert!(!verify(None, "anything").await.expect("verify"));
    }
}
