//! What the digit keys launch: the seed's six run types, then the approval machine's
//! (`7` approval then success, `8` approval then the payment fails).

use crate::backend::SagaMachine;
use saga_lambdas::RunType;

/// One run type on one state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunChoice {
    /// The state machine it runs on.
    pub machine: SagaMachine,
    /// The run type in its input.
    pub run_type: RunType,
}

const fn seed(run_type: RunType) -> RunChoice {
    RunChoice {
        machine: SagaMachine::Booking,
        run_type,
    }
}

const fn approval(run_type: RunType) -> RunChoice {
    RunChoice {
        machine: SagaMachine::Approval,
        run_type,
    }
}

/// In key order: `1` is the first.
pub const RUN_CHOICES: [RunChoice; 8] = [
    seed(RunType::Success),
    seed(RunType::FailHotelReservation),
    seed(RunType::FailFlightsReservation),
    seed(RunType::FailPayment),
    seed(RunType::FailHotelConfirmation),
    seed(RunType::FailFlightsConfirmation),
    approval(RunType::Success),
    approval(RunType::FailPayment),
];

/// How lists name an approval run: the run type after this prefix.
pub const APPROVAL_LABEL_PREFIX: &str = "approval+";

impl RunChoice {
    /// The choice behind digit `d` (1-based).
    pub fn for_digit(d: usize) -> Option<RunChoice> {
        RUN_CHOICES.get(d.wrapping_sub(1)).copied()
    }

    /// The digit that launches this choice, 0 when none does.
    pub fn digit(self) -> usize {
        RUN_CHOICES
            .iter()
            .position(|&c| c == self)
            .map_or(0, |i| i + 1)
    }

    /// `success`, or `approval+success` on the approval machine.
    pub fn label(self) -> String {
        match self.machine {
            SagaMachine::Booking => self.run_type.as_str().to_owned(),
            SagaMachine::Approval => [APPROVAL_LABEL_PREFIX, self.run_type.as_str()].concat(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_after_six_run_the_approval_machine() {
        assert_eq!(RunChoice::for_digit(1), Some(seed(RunType::Success)));
        let seven = RunChoice::for_digit(7).expect("7");
        assert_eq!(seven.machine, SagaMachine::Approval);
        assert_eq!(seven.label(), "approval+success");
        assert_eq!(RunChoice::for_digit(8).map(RunChoice::digit), Some(8));
        assert_eq!(RunChoice::for_digit(9), None);
        assert_eq!(RunChoice::for_digit(0), None);
    }
}
