//! Password hashing with argon2id at 19 MiB, 2 iterations, parallelism 1 (docs/security.md,
//! "Passwords"). Hashing costs tens of milliseconds, so it runs on the blocking pool.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::{ServiceError, ServiceResult};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

fn hasher() -> ServiceResult<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|e| ServiceError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash_blocking(password: &str) -> ServiceResult<String> {
    hasher()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("hashing a password: {e}")))
}

/// Verifies against a stored PHC string; an empty or unparsable hash never matches.
pub fn verify_blocking(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    match hasher() {
        Ok(h) => h.verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Each hash holds `MEMORY_KIB` (19 MiB) for its whole run, so a burst of sign-ins would
/// take 19 MiB per concurrent attempt, and the allocator keeps much of it afterwards.
/// Hashing is CPU-bound: more hashes at once than cores add memory but no throughput.
/// Four at most keeps the worst case at 76 MiB on any machine (docs/performance.md, "Memory").
const MAX_CONCURRENT_HASHES: usize = 4;

async fn hashing_permit() -> Option<SemaphorePermit<'static>> {
    static HASHING: std::sync::OnceLock<Semaphore> = std::sync::OnceLock::new();
    // Never closed, so acquiring only fails if that changes.
    HASHING
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            Semaphore::new(cores.min(MAX_CONCURRENT_HASHES))
        })
        .acquire()
        .await
        .ok()
}

pub async fn hash(password: String) -> ServiceResult<String> {
    let permit = hashing_permit()
        .await
        .ok_or_else(|| ServiceError::Internal("hashing: no permit".into()))?;
    tokio::task::spawn_blocking(move || {
        let hashed = hash_blocking(&password);
        drop(permit);
        hashed
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("hashing task: {e}")))?
}

pub async fn verify(password: String, stored: String) -> bool {
    let Some(permit) = hashing_permit().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let ok = verify_blocking(&password, &stored);
        drop(permit);
        ok
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when the account does not exist, so an
/// unknown email costs the same time as a wrong password.
pub fn decoy_hash() -> String {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY
        .get_or_init(|| {
            let (secret, _) = super::new_secret();
            hash_blocking(&secret).unwrap_or_default()
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_required_cost_and_verify() {
        let hash = hash_blocking("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_blocking("correct horse battery", &hash));
        assert!(!verify_blocking("correct horse batterY", &hash));
        assert!(!verify_blocking("x", ""));
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        let long = "a".repeat(200);
        let hash = hash_blocking(&long).unwrap();
        assert!(!verify_blocking(&"a".repeat(199), &hash));
        assert!(verify_blocking(&long, &hash));
    }
}
