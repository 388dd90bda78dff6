//! Deterministic booking ids.
//!
//! A retried step must rewrite the same row, never add a second one, so ids are derived
//! from the trip rather than generated:
//!
//! ```text
//! id = lowercase_hex(SHA-256(f1 ␟ f2 ␟ …))[..16]
//! ```
//!
//! where `␟` is the ASCII unit separator (0x1F), which cannot be confused with field
//! text, and the fields are:
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
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            hasher.update([0x1f]);
        }
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
        assert_eq!(stable_id(&["abc"]), "ba7816bf8f01cfea");
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
        // The separator keeps field boundaries: "ab"+"c" differs from "a"+"bc".
        assert_ne!(stable_id(&["ab", "c"]), stable_id(&["a", "bc"]));
    }
}
