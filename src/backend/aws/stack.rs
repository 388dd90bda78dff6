//! Finding the saga's resources from its CloudFormation stack's outputs.

use super::failure;
use crate::backend::BackendError;
use std::collections::HashMap;

/// What sagaview needs to know about a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// The saga state machine.
    pub state_machine_arn: String,
    /// The saga with a human approval, when the stack deploys it
    /// (`ApprovalStateMachineArn`; an older stack has none).
    pub approval_state_machine_arn: Option<String>,
    /// The saga's DynamoDB table.
    pub table_name: String,
    /// The API Gateway URL that starts a saga, when known.
    pub api_url: Option<String>,
}

/// Reads `StateMachineArn`, `ApprovalStateMachineArn`, `TableName` and `ApiUrl` (the
/// SAM template's outputs).
pub async fn outputs_of(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> Result<HashMap<String, String>, BackendError> {
    let out = client
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| {
            let f = failure::from_sdk("DescribeStacks", &e);
            match f.problem {
                failure::Problem::NotFound => BackendError::Failed(format!(
                    "stack {stack} not found: check --stack and --region (or --profile)"
                )),
                _ => BackendError::Failed(f.line),
            }
        })?;
    let stack_desc = out.stacks().first().ok_or_else(|| {
        BackendError::Failed(format!(
            "stack {stack} not found: check --stack and --region"
        ))
    })?;
    Ok(stack_desc
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
        .collect())
}

/// Combines stack outputs with explicit flags (flags win).
pub fn targets_from(
    stack: Option<&str>,
    outputs: &HashMap<String, String>,
    state_machine_arn: Option<&str>,
    table: Option<&str>,
    api_url: Option<&str>,
) -> Result<Targets, BackendError> {
    let pick = |flag: Option<&str>, key: &str| {
        flag.map(str::to_string)
            .or_else(|| outputs.get(key).cloned())
    };
    let missing = |what: &str, flag: &str| {
        BackendError::Failed(match stack {
            Some(s) => format!(
                "stack {s} has no {what} output: is it the saga's SAM stack? (or pass {flag})"
            ),
            None => format!("no {what}: pass --stack NAME or {flag}"),
        })
    };
    Ok(Targets {
        state_machine_arn: pick(state_machine_arn, "StateMachineArn")
            .ok_or_else(|| missing("StateMachineArn", "--state-machine-arn"))?,
        table_name: pick(table, "TableName").ok_or_else(|| missing("TableName", "--table"))?,
        approval_state_machine_arn: outputs.get("ApprovalStateMachineArn").cloned(),
        api_url: pick(api_url, "ApiUrl"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_outputs_and_gaps_are_named() {
        let outputs = HashMap::from([
            ("StateMachineArn".to_string(), "arn:sm".to_string()),
            ("TableName".to_string(), "t".to_string()),
        ]);
        let t = targets_from(Some("saga"), &outputs, None, Some("mine"), None).unwrap();
        assert_eq!(t.state_machine_arn, "arn:sm");
        assert_eq!(t.table_name, "mine");
        assert_eq!(t.api_url, None);
        assert_eq!(t.approval_state_machine_arn, None);
        let e = targets_from(Some("saga"), &HashMap::new(), None, None, None).unwrap_err();
        assert!(
            e.to_string().contains("stack saga has no StateMachineArn"),
            "{e}"
        );
        let e = targets_from(None, &HashMap::new(), Some("arn:sm"), None, None).unwrap_err();
        assert!(e.to_string().contains("--table"), "{e}");
    }
}
