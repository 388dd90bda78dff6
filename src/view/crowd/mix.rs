//! Which run types a crowd of sagas is made of: `success:60,failPayment:20,…`.
//!
//! The sagas are dealt in an interleaved order (smooth weighted round robin), so a
//! crowd that is stopped half way, or watched while it runs, already has the mix's
//! proportions rather than all its successes first.

use saga_lambdas::RunType;

/// A bad `--mix`: the text says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MixError {
    /// A part is not `TYPE:WEIGHT`.
    #[error("{0:?} is not TYPE:WEIGHT (e.g. success:60)")]
    NotAPair(String),
    /// The run type is unknown.
    #[error("{0}")]
    UnknownRunType(String),
    /// The weight is not a whole number.
    #[error("the weight of {run_type} is {weight:?}, not a whole number")]
    BadWeight {
        /// The run type it was given for.
        run_type: String,
        /// What was written.
        weight: String,
    },
    /// A run type is given twice.
    #[error("{0} is given twice")]
    Repeated(String),
    /// Every weight is zero (or nothing is given).
    #[error("the mix needs at least one run type with a weight above 0")]
    Empty,
}

/// Run types and their weights, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    parts: Vec<(RunType, u32)>,
}

impl Default for Mix {
    /// Every run type alike: the article's six scenarios, as a workshop meets them.
    fn default() -> Self {
        Self {
            parts: RunType::ALL.iter().map(|&r| (r, 1)).collect(),
        }
    }
}

impl std::str::FromStr for Mix {
    type Err = MixError;

    fn from_str(text: &str) -> Result<Self, MixError> {
        let mut parts: Vec<(RunType, u32)> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once(':')
                .ok_or_else(|| MixError::NotAPair(part.to_owned()))?;
            let run_type: RunType =
                name.trim()
                    .parse()
                    .map_err(|e: saga_lambdas::trip::UnknownRunType| {
                        MixError::UnknownRunType(e.to_string())
                    })?;
            let weight: u32 = weight.trim().parse().map_err(|_| MixError::BadWeight {
                run_type: run_type.to_string(),
                weight: weight.trim().to_owned(),
            })?;
            if parts.iter().any(|(r, _)| *r == run_type) {
                return Err(MixError::Repeated(run_type.to_string()));
            }
            parts.push((run_type, weight));
        }
        parts.retain(|(_, w)| *w > 0);
        if parts.is_empty() {
            return Err(MixError::Empty);
        }
        Ok(Self { parts })
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self
            .parts
            .iter()
            .map(|(r, w)| format!("{r}:{w}"))
            .collect::<Vec<_>>()
            .join(",");
        f.write_str(&text)
    }
}

impl Mix {
    /// The run types with a weight above 0, and their weights.
    pub fn parts(&self) -> &[(RunType, u32)] {
        &self.parts
    }

    /// The run types of `count` sagas, interleaved in the mix's proportions.
    pub fn deal(&self, count: usize) -> Vec<RunType> {
        let total: i64 = self.parts.iter().map(|&(_, w)| i64::from(w)).sum();
        let mut current = vec![0i64; self.parts.len()];
        (0..count)
            .map(|_| {
                for (c, &(_, w)) in current.iter_mut().zip(&self.parts) {
                    *c += i64::from(w);
                }
                let (best, _) = current
                    .iter()
                    .enumerate()
                    .max_by(|(i, a), (j, b)| a.cmp(b).then(j.cmp(i)))
                    .unwrap_or((0, &0));
                current[best] -= total;
                self.parts[best].0
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types_and_weights_and_rejects_what_it_cannot_use() {
        let mix: Mix = "success:60, failPayment:20,failHotelReservation:0"
            .parse()
            .unwrap();
        assert_eq!(
            mix.parts(),
            &[(RunType::Success, 60), (RunType::FailPayment, 20)]
        );
        assert_eq!(mix.to_string(), "success:60,failPayment:20");
        assert!(matches!(
            "success".parse::<Mix>(),
            Err(MixError::NotAPair(_))
        ));
        let unknown = "fail:1".parse::<Mix>().unwrap_err().to_string();
        assert!(unknown.contains("failPayment"), "{unknown}");
        assert!(matches!(
            "success:x".parse::<Mix>(),
            Err(MixError::BadWeight { .. })
        ));
        assert!(matches!(
            "success:-1".parse::<Mix>(),
            Err(MixError::BadWeight { .. })
        ));
        assert!(matches!(
            "success:1,success:2".parse::<Mix>(),
            Err(MixError::Repeated(_))
        ));
        assert_eq!("success:0".parse::<Mix>(), Err(MixError::Empty));
        assert_eq!("".parse::<Mix>(), Err(MixError::Empty));
    }

    #[test]
    fn deals_the_proportions_interleaved() {
        let mix: Mix = "success:3,failPayment:1".parse().unwrap();
        let dealt = mix.deal(8);
        let payments = dealt.iter().filter(|&&r| r == RunType::FailPayment).count();
        assert_eq!(payments, 2);
        // Interleaved: a failure within every four.
        assert!(dealt[..4].contains(&RunType::FailPayment), "{dealt:?}");
        let even = Mix::default().deal(600);
        for r in RunType::ALL {
            assert_eq!(even.iter().filter(|&&x| x == r).count(), 100);
        }
    }
}
