//! IMO ship identification numbers: seven digits, the last a check digit. The check digit
//! is the sum of the first six digits weighted 7, 6, 5, 4, 3, 2, modulo 10 (IMO resolution
//! A.1117(30), the scheme every register and AIS feed uses). A number that fails it is a typo
//! or a fabricated identity — both worth telling the analyst.

use serde::{Deserialize, Serialize};

use crate::error::NetworkError;

/// A validated IMO ship number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Imo(u32);

impl Imo {
    /// Accepts `9020015`, `IMO 9020015`, `IMO9020015`, `imo:9020015`.
    pub fn parse(input: &str) -> Result<Imo, NetworkError> {
        let err = |reason: String| NetworkError::InvalidImo {
            input: input.to_string(),
            reason,
        };
        let trimmed = input.trim();
        let upper = trimmed.to_ascii_uppercase();
        let digits = upper
            .strip_prefix("IMO:")
            .or_else(|| upper.strip_prefix("IMO"))
            .unwrap_or(&upper)
            .trim();
        if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("an IMO number has exactly 7 digits".into()));
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let weighted: u32 = d
            .iter()
            .take(6)
            .zip([7u32, 6, 5, 4, 3, 2])
            .map(|(x, w)| x * w)
            .sum();
        let check = d.get(6).copied().unwrap_or(10);
        if weighted % 10 != check {
            return Err(err(format!(
                "check digit is {check}, expected {} (weighted sum {weighted})",
                weighted % 10
            )));
        }
        let value = digits
            .parse::<u32>()
            .map_err(|e| err(format!("not a number: {e}")))?;
        Ok(Imo(value))
    }

    pub fn value(self) -> u32 {
        self.0
    }

    /// The graph node id of the vessel with this number.
    pub fn node_id(self) -> String {
        format!("imo:{:07}", self.0)
    }
}

impl std::fmt::Display for Imo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:07}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_numbers_from_the_sdn_list_validate() {
        // CHONG CHON GANG and STAR 18, from OFAC's SDN remarks.
        assert_eq!(Imo::parse("7937317").unwrap().value(), 7937317);
        assert_eq!(Imo::parse("IMO 9020015").unwrap().to_string(), "9020015");
        assert_eq!(Imo::parse("imo:9020015").unwrap().node_id(), "imo:9020015");
    }

    #[test]
    fn wrong_check_digit_and_length_are_rejected_with_reason() {
        let e = Imo::parse("7937318").unwrap_err().to_string();
        assert!(e.contains("check digit is 8, expected 7"), "{e}");
        assert!(Imo::parse("793731").is_err());
        assert!(Imo::parse("79373177").is_err());
        assert!(Imo::parse("79373a7").is_err());
    }

    proptest! {
        #[test]
        fn exactly_one_check_digit_validates(six in 0u32..1_000_000) {
            let body = format!("{six:06}");
            let valid: Vec<u32> = (0..10)
                .filter(|c| Imo::parse(&format!("{body}{c}")).is_ok())
                .collect();
            prop_assert_eq!(valid.len(), 1);
        }

        #[test]
        fn single_digit_typos_are_caught(six in 0u32..1_000_000, pos in 0usize..6, delta in 1u32..10) {
            let body = format!("{six:06}");
            let ok = (0..10).find_map(|c| Imo::parse(&format!("{body}{c}")).ok()).unwrap();
            let mut digits: Vec<u32> = ok.to_string().bytes().map(|b| u32::from(b - b'0')).collect();
            digits[pos] = (digits[pos] + delta) % 10;
            let typo: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
            // Weights 7..2 are all coprime to 10 except 2, 4, 5 and 6, so some typos slip
            // through; the check must at least never accept a typo whose weighted change is
            // not a multiple of 10.
            let weight = [7u32, 6, 5, 4, 3, 2][pos];
            if !(weight * delta).is_multiple_of(10) {
                prop_assert!(Imo::parse(&typo).is_err());
            }
        }
    }
}
