//! Amazon Resource Names of Step Functions' state machines and executions, built and
//! read in one place so every layer agrees on their shape:
//!
//! ```text
//! arn:PARTITION:states:REGION:ACCOUNT:stateMachine:MACHINE
//! arn:PARTITION:states:REGION:ACCOUNT:execution:MACHINE:EXECUTION
//! ```

/// The resource's own name: the part after the last `:` (an execution's name, a state
/// machine's name). Lists and headers show it where the whole ARN would not fit; text
/// without a `:` is taken as a name already.
pub fn name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// The ARN of state machine `machine` in an account and region.
pub fn state_machine(partition: &str, region: &str, account_id: &str, machine: &str) -> String {
    [
        "arn:",
        partition,
        ":states:",
        region,
        ":",
        account_id,
        ":stateMachine:",
        machine,
    ]
    .concat()
}

/// The ARN of execution `name` of state machine `machine` in an account and region.
/// Joined rather than formatted: every start makes one.
pub fn execution(
    partition: &str,
    region: &str,
    account_id: &str,
    machine: &str,
    name: &str,
) -> String {
    [
        "arn:",
        partition,
        ":states:",
        region,
        ":",
        account_id,
        ":execution:",
        machine,
        ":",
        name,
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_last_part() {
        let exec = execution(
            "aws",
            "us-east-1",
            "123456789012",
            "BookingSaga",
            "trip-1-ab",
        );
        assert_eq!(
            exec,
            "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:trip-1-ab"
        );
        assert_eq!(name(&exec), "trip-1-ab");
        let machine = state_machine("aws", "us-east-1", "123456789012", "BookingSaga");
        assert_eq!(
            machine,
            "arn:aws:states:us-east-1:123456789012:stateMachine:BookingSaga"
        );
        assert_eq!(name(&machine), "BookingSaga");
        assert_eq!(name("plain"), "plain");
        assert_eq!(name("ends:"), "");
    }
}
