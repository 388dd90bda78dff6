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

/// The name of the state machine an execution ARN belongs to (`MACHINE` above), or
/// `None` when the text is not an execution ARN: how a backend running several
/// machines knows which one an execution runs.
pub fn execution_machine(execution_arn: &str) -> Option<&str> {
    let mut parts = execution_arn.split(':');
    let kind = parts.nth(5)?;
    let machine = parts.next()?;
    (kind == "execution" && parts.next().is_some()).then_some(machine)
}

/// The ARN of the state machine an execution ARN belongs to, or `None` when the text
/// is not an execution ARN.
pub fn execution_machine_arn(execution_arn: &str) -> Option<String> {
    let machine = execution_machine(execution_arn)?;
    let head: Vec<&str> = execution_arn.split(':').take(5).collect();
    Some([&head.join(":"), ":stateMachine:", machine].concat())
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
    fn an_execution_names_its_machine() {
        let arn = execution("aws", "us-east-1", "1", "BookingSaga", "trip-1");
        assert_eq!(execution_machine(&arn), Some("BookingSaga"));
        let machine = state_machine("aws", "us-east-1", "1", "BookingSaga");
        assert_eq!(execution_machine(&machine), None);
        assert_eq!(execution_machine_arn(&arn), Some(machine.clone()));
        assert_eq!(execution_machine("trip-1"), None);
    }

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
