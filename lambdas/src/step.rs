//! The saga's steps, named once: the seed's eight and the approval machine's request.

use std::fmt;
use std::str::FromStr;

/// One saga step: what a Lambda function (deployed) or registry entry (embedded) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Writes a pending hotel booking.
    ReserveHotel,
    /// Writes a pending flight booking.
    ReserveFlight,
    /// Writes a confirmed payment.
    TakePayment,
    /// Flips the hotel booking to confirmed.
    ConfirmHotel,
    /// Flips the flight booking to confirmed.
    ConfirmFlight,
    /// Compensation: deletes the hotel booking.
    CancelHotel,
    /// Compensation: deletes the flight booking.
    CancelFlight,
    /// Compensation: deletes the payment.
    RefundPayment,
    /// The approval machine's callback step: records the pending approval and its task
    /// token, and removes that record once the approval is decided.
    RequestApproval,
}

impl Step {
    /// Every step, in saga order then compensation order.
    pub const ALL: [Step; 9] = [
        Step::ReserveHotel,
        Step::ReserveFlight,
        Step::TakePayment,
        Step::ConfirmHotel,
        Step::ConfirmFlight,
        Step::RefundPayment,
        Step::CancelFlight,
        Step::CancelHotel,
        Step::RequestApproval,
    ];

    /// The function's name: its binary, and the name the embedded registry knows it by.
    pub fn function_name(self) -> &'static str {
        match self {
            Step::ReserveHotel => "reserve-hotel",
            Step::ReserveFlight => "reserve-flight",
            Step::TakePayment => "take-payment",
            Step::ConfirmHotel => "confirm-hotel",
            Step::ConfirmFlight => "confirm-flight",
            Step::CancelHotel => "cancel-hotel",
            Step::CancelFlight => "cancel-flight",
            Step::RefundPayment => "refund-payment",
            Step::RequestApproval => "request-approval",
        }
    }

    /// The `${…}` placeholder stem the state machine uses for this function's ARN.
    pub fn arn_placeholder(self) -> &'static str {
        match self {
            Step::ReserveHotel => "ReserveHotelFunctionArn",
            Step::ReserveFlight => "ReserveFlightFunctionArn",
            Step::TakePayment => "TakePaymentFunctionArn",
            Step::ConfirmHotel => "ConfirmHotelFunctionArn",
            Step::ConfirmFlight => "ConfirmFlightFunctionArn",
            Step::CancelHotel => "CancelHotelFunctionArn",
            Step::CancelFlight => "CancelFlightFunctionArn",
            Step::RefundPayment => "RefundPaymentFunctionArn",
            Step::RequestApproval => "RequestApprovalFunctionArn",
        }
    }

    /// Compensations undo earlier steps and fail at random to teach retries.
    pub fn is_compensation(self) -> bool {
        matches!(
            self,
            Step::CancelHotel | Step::CancelFlight | Step::RefundPayment
        )
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.function_name())
    }
}

impl FromStr for Step {
    type Err = String;

    /// Accepts the function name, or an ARN / qualified name ending in it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s
            .rsplit(':')
            .find(|p| !p.is_empty() && !p.starts_with('$'))
            .unwrap_or(s);
        Step::ALL
            .into_iter()
            .find(|st| st.function_name() == name)
            .ok_or_else(|| format!("no saga step is named {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_including_arns() {
        for s in Step::ALL {
            assert_eq!(s.function_name().parse::<Step>().unwrap(), s);
        }
        assert_eq!(
            "request-approval".parse::<Step>().unwrap(),
            Step::RequestApproval
        );
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:take-payment";
        assert_eq!(arn.parse::<Step>().unwrap(), Step::TakePayment);
        assert!("nope".parse::<Step>().is_err());
    }
}
