//! Names of generated cloud and cluster objects: deterministic and within the length
//! limits of the systems that hold them.

use sha2::{Digest, Sha256};

/// `parts` joined with `-`; when longer than `max`, cut and suffixed with a hash of
/// the whole, so that distinct long names stay distinct.
pub fn bounded(parts: &[&str], max: usize) -> String {
    let joined = parts.join("-");
    if joined.len() <= max {
        return joined;
    }
    let hash = &sha256_hex(joined.as_bytes())[..8];
    let keep = max.saturating_sub(hash.len() + 1);
    let cut: String = joined.chars().take(keep).collect();
    format!("{}-{hash}", cut.trim_end_matches('-'))
}

/// Lowercase hexadecimal SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `checkout-api` → `CheckoutApi`, for alert names.
pub fn camel(name: &str) -> String {
    name.split(['-', '_', '.'])
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_with_a_hash() {
        assert_eq!(bounded(&["prod", "api"], 63), "prod-api");
        let long = "x".repeat(70);
        let name = bounded(&["prod", &long], 40);
        assert_eq!(name.len(), 40);
        assert_ne!(name, bounded(&["prod", &format!("{long}y")], 40));
    }

    #[test]
    fn sha256_is_hex() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
