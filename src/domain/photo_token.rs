//! The photo upload token: proof that a request comes from whoever filed a report, so only
//! the reporter can add photos, for a short while after filing.
//!
//! The token is `<expiry unix seconds>.<hex HMAC-SHA256(secret, report id "." expiry)>`. The
//! secret is random per deployment and kept in the database (so every process accepts the
//! tokens of every other), and nothing is written per report: intake stays one write. The
//! token is derived from the report's creation time, so a retried intake (same
//! Idempotency-Key) gets the same token back.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// How long after filing a report photos can be added to it.
pub const VALIDITY: Duration = Duration::hours(1);

/// A token and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadToken {
    /// The token to send in the `Photo-Upload-Token` header.
    pub token: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not a token of this report (or not a token at all).
    Invalid,
    /// It was valid, but has expired.
    Expired,
}

/// Issues the token of the report `report_id` filed at `created_at`.
pub fn issue(secret: &[u8], report_id: Uuid, created_at: DateTime<Utc>) -> UploadToken {
    let expires = created_at.timestamp() + VALIDITY.num_seconds();
    let token = format!("{expires}.{}", hex::encode(mac(secret, report_id, expires).finalize().into_bytes()));
    UploadToken { token, expires_at: DateTime::from_timestamp(expires, 0).unwrap_or(created_at) }
}

/// Checks `token` for `report_id` at `now` (in constant time for the signature).
pub fn verify(secret: &[u8], report_id: Uuid, token: &str, now: DateTime<Utc>) -> Result<(), TokenRefusal> {
    let (expires, signature) = token.trim().split_once('.').ok_or(TokenRefusal::Invalid)?;
    let expires: i64 = expires.parse().map_err(|_| TokenRefusal::Invalid)?;
    let signature = hex::decode(signature).map_err(|_| TokenRefusal::Invalid)?;
    mac(secret, report_id, expires).verify_slice(&signature).map_err(|_| TokenRefusal::Invalid)?;
    if now.timestamp() >= expires { Err(TokenRefusal::Expired) } else { Ok(()) }
}

fn mac(secret: &[u8], report_id: Uuid, expires: i64) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => Hmac::<Sha256>::new(&Default::default()),
    };
    mac.update(format!("{report_id}.{expires}").as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_works_for_its_report_until_it_expires() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let report = Uuid::now_v7();
        let filed = Utc::now();
        let issued = issue(secret, report, filed);
        assert_eq!(verify(secret, report, &issued.token, filed), Ok(()));
        assert_eq!(verify(secret, Uuid::now_v7(), &issued.token, filed), Err(TokenRefusal::Invalid));
        assert_eq!(verify(b"another secret", report, &issued.token, filed), Err(TokenRefusal::Invalid));
        assert_eq!(verify(secret, report, &issued.token, filed + VALIDITY), Err(TokenRefusal::Expired));
        let (expiry, signature) = issued.token.split_once('.').unwrap_or_default();
        let stretched = format!("{}.{signature}", expiry.parse::<i64>().unwrap_or_default() + 3600);
        assert_eq!(verify(secret, report, &stretched, filed), Err(TokenRefusal::Invalid));
        assert_eq!(verify(secret, report, "garbage", filed), Err(TokenRefusal::Invalid));
    }
}
