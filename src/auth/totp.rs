//! TOTP (RFC 6238) enrolment and checks, and recovery codes.

use rand::Rng;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::AuthError;
use super::secrets::sha256_hex;

/// What an authenticator app needs, shown once at enrolment.
pub struct Enrolment {
    /// Base32, as stored.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code or to paste into the app.
    pub uri: String,
}

fn build(secret: Secret, issuer: &str, account: &str) -> Result<Totp, AuthError> {
    // ':' separates issuer and account in the URI label; neither may contain one.
    let clean = |s: &str| s.replace(':', " ");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_issuer(Some(clean(issuer)))
        .with_account_name(clean(account))
        .build()
        .map_err(|e| AuthError::Internal(format!("cannot build TOTP: {e}")))
}

/// A new 160-bit secret for `account`, labelled with `issuer` in the app.
pub fn enrol(issuer: &str, account: &str) -> Result<Enrolment, AuthError> {
    let totp = build(Secret::generate(), issuer, account)?;
    let uri = totp
        .to_url()
        .map_err(|e| AuthError::Internal(format!("cannot build otpauth URI: {e}")))?;
    Ok(Enrolment {
        secret: totp.secret().to_base32(),
        uri,
    })
}

/// The 30-second step `code` belongs to, if it is valid at `unix_secs` (one step of clock
/// drift either way). The caller must record the step so the code cannot be replayed.
pub fn check(secret_base32: &str, code: &str, unix_secs: u64) -> Option<u64> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    build(secret, "relais", "check").ok()?.check(&code, unix_secs)
}

/// The current code, for tests and tools.
pub fn code_at(secret_base32: &str, unix_secs: u64) -> Option<String> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    Some(build(secret, "relais", "check").ok()?.generate(unix_secs).to_string())
}

/// Ten single-use recovery codes such as `k7qm-3xhv`, for when the phone is lost. The
/// alphabet leaves out characters people confuse (0/o, 1/l/i).
pub fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| {
            let mut s: String = (0..8)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            s.insert(4, '-');
            s
        })
        .collect()
}

/// How a recovery code is stored: normalised (case, spaces, dash) then hashed.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    sha256_hex(&format!("relais-recovery:{normal}"))
}

/// A TOTP code is six digits; a recovery code is eight characters, so never one.
pub fn looks_like_totp(code: &str) -> bool {
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_valid_in_its_step_and_the_neighbouring_ones_only() {
        let e = enrol("Relais (studio.fr)", "anne@studio.fr").expect("enrol");
        assert!(e.uri.starts_with("otpauth://totp/"), "{}", e.uri);
        let now = 1_800_000_000;
        let code = code_at(&e.secret, now).expect("code");
        assert_eq!(check(&e.secret, &code, now), Some(now / 30));
        assert_eq!(check(&e.secret, &code, now + 30), Some(now / 30));
        assert_eq!(check(&e.secret, &code, now + 120), None);
        assert_eq!(check(&e.secret, "12345", now), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_the_same_however_typed() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10);
        let c = &codes[0];
        assert_eq!(
            recovery_code_hash(c),
            recovery_code_hash(&c.to_uppercase().replace('-', " "))
        );
        assert!(codes.iter().all(|c| !looks_like_totp(c)));
        assert!(looks_like_totp("123 456"));
    }
}
