//! Password hashing with argon2id, sized for a small ARM gateway.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use thiserror::Error;

/// 19 MiB, 2 passes, 1 lane: OWASP's recommended minimum for argon2id, bounded in memory so a
/// burst of logins cannot exhaust a 1 GB box. One verification takes ≈ 65 ms on one x86-64 server
/// core (`cargo bench -p backend --bench password`), a few hundred ms on a Cortex-A53 class box.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Hashing failed (never because of the password's content).
#[derive(Debug, Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn hasher() -> Result<Argon2<'static>, HashError> {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` with a fresh random salt into a PHC string.
pub fn hash(password: &str) -> Result<String, HashError> {
    let hash = hasher()?
        .hash_password(password.as_bytes())
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string. A damaged hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    hasher().is_ok_and(|hasher| hasher.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Spends the time of one verification, so that a login for a user that does not exist takes as
/// long as a wrong password and does not reveal which names exist.
pub fn waste_one_verification(password: &str) {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy = DECOY.get_or_init(|| hash("a decoy nobody can log in with").unwrap_or_default());
    let _ = verify(password, decoy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let first = hash("correct horse battery").unwrap();
        let second = hash("correct horse battery").unwrap();
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify("correct horse battery", &first));
        assert!(!verify("correct horse batterY", &first));
    }

    #[test]
    fn damaged_hashes_never_match() {
        assert!(!verify("x", "not a hash"));
        assert!(!verify("", ""));
    }
}
