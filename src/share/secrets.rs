//! The secrets that hand a share over, and how they are stored.
//!
//! - A **code** is for reading out or typing: 12 characters shown as `XXXX-XXXX-XXXX`, from an
//!   alphabet without the look-alikes I, O, 0 and 1 (32 letters and digits: 60 random bits).
//!   That is few bits for a secret, which is why a code is single-use, dies unredeemed after
//!   24 hours, and wrong guesses are throttled.
//! - A **link token** is 32 random bytes (256 bits) in base64url: unguessable on its own.
//!
//! Only SHA-256 of either is stored (a fast hash is enough for random secrets, unlike for
//! passwords), and a presented secret is found by its hash through a unique index, so the
//! secret itself is never compared byte by byte with a stored one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// Letters and digits that cannot be mistaken for each other when read aloud or typed.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LENGTH: usize = 12;

/// A fresh code, formatted `XXXX-XXXX-XXXX`.
pub fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let raw: Vec<u8> = (0..CODE_LENGTH)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())])
        .collect();
    raw.chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as typed, made canonical: case and separators (dashes, spaces) do not matter.
/// `None` when it cannot be a code at all.
pub fn normalise_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{2010}'..='\u{2015}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// A fresh link token.
pub fn new_link_token() -> String {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    URL_SAFE_NO_PAD.encode(secret)
}

/// Whether a presented link token is shaped like ours (so nothing else reaches a query).
pub fn plausible_link_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What is stored for a secret (a code already normalised).
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The client address as kept in the access log and the throttle: IPv4 to its /24, IPv6 to
/// its /48 — enough to tell a clinic from a stranger, not enough to single out a device.
pub fn truncated_address(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncated_address(std::net::IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_free_of_look_alikes() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), 14);
            assert_eq!(code.matches('-').count(), 2);
            assert!(!code.contains(['I', 'O', '0', '1']), "{code}");
            assert_eq!(normalise_code(&code).unwrap(), code.replace('-', ""));
        }
    }

    #[test]
    fn typed_codes_forgive_case_and_separators_but_nothing_else() {
        assert_eq!(
            normalise_code(" abcd efgh-jkmn ").as_deref(),
            Some("ABCDEFGHJKMN")
        );
        assert_eq!(normalise_code("ABCD-EFGH-JKM"), None);
        assert_eq!(normalise_code("ABCD-EFGH-JKM0"), None);
        assert_eq!(normalise_code("ABCD-EFGH-JKMNP"), None);
        assert_eq!(normalise_code("ÄBCD-EFGH-JKMN"), None);
    }

    #[test]
    fn link_tokens_carry_256_bits() {
        let token = new_link_token();
        assert!(plausible_link_token(&token));
        assert_ne!(token, new_link_token());
        assert!(!plausible_link_token("short"));
        assert!(!plausible_link_token(&format!("{}!", &token[..42])));
    }

    #[test]
    fn addresses_are_truncated() {
        assert_eq!(
            truncated_address("203.0.113.77".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            truncated_address("2001:db8:85a3:8d3:1319:8a2e:370:7348".parse().unwrap()),
            "2001:db8:85a3::/48"
        );
        assert_eq!(
            truncated_address("::ffff:192.0.2.9".parse().unwrap()),
            "192.0.2.0/24"
        );
    }
}
