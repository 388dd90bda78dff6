//! The saga's state machines as the embedded runtime runs them: the very files deployed
//! to AWS, with each `${…FunctionArn}` placeholder replaced by a local Lambda ARN.

use crate::asl::{Definition, load_definition};
use crate::engine::EngineConfig;
use saga_lambdas::Step;

/// The ASL file, compiled in so the binary needs nothing beside it.
pub const SAGA_ASL: &str = include_str!("../../infra/statemachine/saga.asl.json");

/// The name the embedded runtime gives the saga state machine.
pub const SAGA_STATE_MACHINE_NAME: &str = "BookingSaga";

/// The second machine: the saga with a person approving the payment.
pub const APPROVAL_ASL: &str = include_str!("../../infra/statemachine/saga-approval.asl.json");

/// The name the embedded runtime gives the approval state machine.
pub const APPROVAL_STATE_MACHINE_NAME: &str = "BookingSagaWithApproval";

/// The Lambda ARN a step's function has in the embedded account.
pub fn function_arn(config: &EngineConfig, step: Step) -> String {
    format!(
        "arn:{}:lambda:{}:{}:function:{}",
        config.partition,
        config.region,
        config.account_id,
        step.function_name()
    )
}

/// Substitutes the function ARNs, as SAM's `DefinitionSubstitutions` does on deploy.
pub fn substitute(asl: &str, config: &EngineConfig) -> String {
    Step::ALL.into_iter().fold(asl.to_string(), |text, step| {
        text.replace(
            &format!("${{{}}}", step.arn_placeholder()),
            &function_arn(config, step),
        )
    })
}

/// Loads the saga definition, ready to run.
pub fn saga_definition(config: &EngineConfig) -> Result<Definition, String> {
    load_substituted(SAGA_ASL, config, "saga")
}

/// Loads the approval machine's definition, ready to run.
pub fn approval_definition(config: &EngineConfig) -> Result<Definition, String> {
    load_substituted(APPROVAL_ASL, config, "approval")
}

fn load_substituted(asl: &str, config: &EngineConfig, what: &str) -> Result<Definition, String> {
    let text = substitute(asl, config);
    if let Some(pos) = text.find("${") {
        let rest: String = text[pos..].chars().take(40).collect();
        return Err(format!(
            "the {what} definition has an unknown placeholder at {rest}"
        ));
    }
    load_definition(&text).map_err(|e| format!("the {what} definition is invalid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_substituted_and_the_definition_loads() {
        let config = EngineConfig::default();
        let text = substitute(SAGA_ASL, &config);
        assert!(!text.contains("${"), "{text}");
        assert!(text.contains(":function:reserve-hotel\""));
        let def = saga_definition(&config).expect("loads");
        assert!(def.state("ReserveHotel").is_some());
        assert!(def.state("CancelHotelReservation").is_some());
        let text = substitute(APPROVAL_ASL, &config);
        assert!(!text.contains("${"), "{text}");
        assert!(text.contains(":function:request-approval\""));
        let def = approval_definition(&config).expect("loads");
        assert!(def.state("RequestApproval").is_some());
        assert!(def.state("WithdrawApproval").is_some());
    }
}
