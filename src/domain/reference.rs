//! The short public reference a resident can read out on the phone, e.g. `K7QM-3XRD`.
//!
//! Eight symbols from an alphabet without look-alikes (no 0/O, 1/I/L, U), shown as two
//! groups of four: 31^8, about 8.5e11, possible references. The database keeps them unique;
//! a collision is retried with a fresh one.

use rand::Rng;

/// Symbols a reference is made of: digits 2-9 and letters without I, L, O, U.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh random reference.
pub fn new_reference() -> String {
    let mut rng = rand::rng();
    let mut reference = String::with_capacity(9);
    for position in 0..8 {
        if position == 4 {
            reference.push('-');
        }
        let index = rng.random_range(0..ALPHABET.len());
        reference.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'2')));
    }
    reference
}

/// Normalises what a resident typed (any case, with or without the dash, with spaces) to
/// the stored form, or `None` when it cannot be a reference.
pub fn normalise_reference(text: &str) -> Option<String> {
    let symbols: String = text.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
    if symbols.len() != 8 || !symbols.bytes().all(|b| ALPHABET.contains(&b)) {
        return None;
    }
    let (first, second) = symbols.split_at(4);
    Some(format!("{first}-{second}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_reference_has_two_groups_of_four_unambiguous_symbols() {
        for _ in 0..1000 {
            let reference = new_reference();
            assert_eq!(reference.len(), 9);
            assert_eq!(normalise_reference(&reference).as_deref(), Some(reference.as_str()));
            assert!(!reference.contains(['0', 'O', '1', 'I', 'L', 'U']));
        }
    }

    #[test]
    fn typed_references_are_normalised() {
        assert_eq!(normalise_reference("k7qm 3xrd").as_deref(), Some("K7QM-3XRD"));
        assert_eq!(normalise_reference("K7QM3XRD").as_deref(), Some("K7QM-3XRD"));
        assert_eq!(normalise_reference("K7QM-3XR0"), None);
        assert_eq!(normalise_reference("K7QM"), None);
    }
}
