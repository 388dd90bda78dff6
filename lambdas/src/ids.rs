//! Deterministic booking ids.
//!
//! A retried step must rewrite the same row, never add a second one, so ids are derived
//! from the trip rather than generated:
//!
//! ```text
//! id = lowercase_hex(SHA-256(len(f1) f1 len(f2) f2 …))[..16]
//! ```
//!
//! where `len(f)` is the field's length in bytes as 8 big-endian bytes. A length prefix
//! keeps field boundaries whatever the fields contain (a separator byte would not: the
//! fields may contain it), so two different bookings never hash the same bytes. The
//! fields are:
//!
//! | booking | fields                                         |
//! |---------|------------------------------------------------|
//! | hotel   | `trip_id`, `hotel`, `check_in`                 |
//! | flight  | `trip_id`, `depart`, `arrive`                  |
//! | payment | `trip_id`, hotel booking id, flight booking id |
//!
//! 16 hex digits are 64 bits: collisions within one trip are not a practical concern.

use sha2::{Digest, Sha256};

/// Hashes the fields as documented in the module header.
pub fn stable_id(fields: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    let digest = hasher.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(16);
    for b in &digest[..8] {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 0xf)] as char);
    }
    id
}

/// The hotel booking id of a trip.
pub fn hotel_booking_id(trip_id: &str, hotel: &str, check_in: &str) -> String {
    stable_id(&[trip_id, hotel, check_in])
}

/// The flight booking id of a trip.
pub fn flight_booking_id(trip_id: &str, depart: &str, arrive: &str) -> String {
    stable_id(&[trip_id, depart, arrive])
}

/// The payment id of a trip, tied to both bookings it pays for.
pub fn payment_id(trip_id: &str, hotel_id: &str, flight_id: &str) -> String {
    stable_id(&[trip_id, hotel_id, flight_id])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        // Pinned: changing the scheme would orphan rows written by an older version.
        assert_eq!(stable_id(&["abc"]), PINNED_ABC);
        let a = hotel_booking_id("t1", "holiday inn", "2021-07-10T12:00:00.000Z");
        assert_eq!(
            a,
            hotel_booking_id("t1", "holiday inn", "2021-07-10T12:00:00.000Z")
        );
        assert_ne!(
            a,
            hotel_booking_id("t2", "holiday inn", "2021-07-10T12:00:00.000Z")
        );
        assert_eq!(a.len(), 16);
        // The length prefix keeps field boundaries: "ab"+"c" differs from "a"+"bc".
        assert_ne!(stable_id(&["ab", "c"]), stable_id(&["a", "bc"]));
    }

    /// SHA-256 of the 8-byte length 3 and "abc", first 8 bytes in hex.
    const PINNED_ABC: &str = "c3494ca1a2cf8eeb";

    #[test]
    fn fields_that_contain_any_byte_never_collide() {
        // Every way to cut the same text into three fields, the old separator byte and
        // what looks like a length prefix included, gives its own id.
        let text = "a\u{1f}b\u{1f}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{1}c";
        let cuts: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        let mut seen = std::collections::HashMap::new();
        for &i in &cuts {
            for &j in cuts.iter().filter(|&&j| j >= i) {
                let fields = [&text[..i], &text[i..j], &text[j..]];
                let id = stable_id(&fields);
                if let Some(earlier) = seen.insert(id.clone(), fields) {
                    panic!("{fields:?} and {earlier:?} share the id {id}");
                }
            }
        }
        assert!(seen.len() > 100);
        // The collision the separator allowed: ("a␟b", "c") against ("a", "b␟c").
        assert_ne!(
            hotel_booking_id("t", "a\u{1f}b", "c"),
            hotel_booking_id("t", "a", "b\u{1f}c")
        );
    }
}
