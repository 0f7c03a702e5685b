//! Refresh tokens: opaque random strings, stored only as SHA-256 hashes.
//!
//! A token reads `<user id>.<43 characters of base64url randomness>`. The user id part lets
//! every lookup filter by owner (so the table can be sharded by user); it is not a secret.
//! The 256 random bits are what makes the token unguessable, which is also why a fast hash
//! (SHA-256) is enough here, unlike for passwords.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::UserId;

pub struct RefreshToken {
    pub token: String,
    pub hash: String,
}

pub fn generate(user_id: &UserId) -> RefreshToken {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = format!("{}.{}", user_id, URL_SAFE_NO_PAD.encode(secret));
    let hash = hash(&token);
    RefreshToken { token, hash }
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The owner a presented token claims; `None` when the token is not shaped like ours.
pub fn claimed_owner(token: &str) -> Option<UserId> {
    let (user, secret) = token.split_once('.')?;
    let plausible = !user.is_empty()
        && user.len() <= 64
        && secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| UserId::from_trusted(user.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_owner_and_are_stored_hashed() {
        let user = UserId::generate();
        let t = generate(&user);
        assert_eq!(claimed_owner(&t.token), Some(user));
        assert_eq!(t.hash, hash(&t.token));
        assert!(!t.hash.contains(&t.token));
        assert_eq!(claimed_owner("garbage"), None);
        assert_eq!(claimed_owner("a.b"), None);
    }
}
