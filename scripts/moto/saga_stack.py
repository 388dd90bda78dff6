#!/usr/bin/env python3
"""Deploy the booking saga into a running moto server, shaped like the SAM stack.

sagaview talks to a deployed saga through a CloudFormation stack (its Outputs
`StateMachineArn`, `ApprovalStateMachineArn`, `TableName`, `ApiUrl`), a
DynamoDB table and two Step Functions state machines (the saga, and the saga
with a human approval) whose Task states invoke nine Lambda functions.
SAM cannot deploy into moto, so this script builds the same shape directly:

* switches moto to real ASL execution (`stepfunctions.execute_state_machine`)
  and picks how Lambda tasks behave: `echo` (`lambda.use_docker=false`, every
  function returns its input, so the saga succeeds) or `fail`
  (`lambda.use_docker=true`; without Docker every invocation errors, so the
  first step's Catch routes into the compensations);
* creates an IAM role, nine Lambda functions (a tiny in-memory zip), the
  state machines from infra/statemachine/saga.asl.json (or --definition) and
  infra/statemachine/saga-approval.asl.json (or --approval-definition) with
  the `${...FunctionArn}` placeholders substituted, and a CloudFormation stack
  that owns the DynamoDB table (`pk`/`sk`) and exposes the four outputs.

The config switch is posted before any resource is created: moto keeps
resources made under each setting in a separate backend, so resources created
before the switch are invisible afterwards.

Prints one JSON line on stdout describing what was created; errors go to
stderr with a non-zero exit status.

Only needs the Python standard library and boto3.
"""

import argparse
import io
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile

import boto3
import botocore.exceptions

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DEFINITION = os.path.join(REPO_ROOT, "infra", "statemachine", "saga.asl.json")
DEFAULT_APPROVAL_DEFINITION = os.path.join(
    REPO_ROOT, "infra", "statemachine", "saga-approval.asl.json"
)
DEFAULT_API_URL = "https://example.invalid/Prod/"

# (function-name suffix, ASL placeholder) in saga order.
FUNCTIONS = [
    ("reserve-hotel", "ReserveHotelFunctionArn"),
    ("reserve-flight", "ReserveFlightFunctionArn"),
    ("take-payment", "TakePaymentFunctionArn"),
    ("confirm-hotel", "ConfirmHotelFunctionArn"),
    ("confirm-flight", "ConfirmFlightFunctionArn"),
    ("cancel-hotel", "CancelHotelFunctionArn"),
    ("cancel-flight", "CancelFlightFunctionArn"),
    ("refund-payment", "RefundPaymentFunctionArn"),
    ("request-approval", "RequestApprovalFunctionArn"),
]

PREFIX_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,39}$")
PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")

ASSUME_ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["states.amazonaws.com", "lambda.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


class SetupError(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Create the booking saga (IAM role, Lambdas, state machine, "
        "CloudFormation stack with the DynamoDB table) in a moto server."
    )
    p.add_argument("--endpoint", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--prefix", default=None, help="name prefix (default: random short id)")
    p.add_argument(
        "--lambda-mode",
        choices=["echo", "fail"],
        default="echo",
        help="echo: Lambda tasks return their input; fail: every Lambda task errors (needs Docker absent)",
    )
    p.add_argument("--definition", default=None, help="ASL file (default: infra/statemachine/saga.asl.json)")
    p.add_argument(
        "--approval-definition",
        default=None,
        help="ASL file of the approval machine (default: infra/statemachine/saga-approval.asl.json)",
    )
    p.add_argument("--api-url", default=DEFAULT_API_URL, help="value of the ApiUrl stack output")
    args = p.parse_args(argv)
    if args.prefix is None:
        args.prefix = "sv" + uuid.uuid4().hex[:6]
    if not PREFIX_RE.match(args.prefix):
        p.error("--prefix must start with a letter and contain only letters, digits and '-' (max 40)")
    args.endpoint = args.endpoint.rstrip("/")
    return args


def set_moto_config(endpoint, lambda_mode):
    body = json.dumps(
        {
            "stepfunctions": {"execute_state_machine": True},
            "lambda": {"use_docker": lambda_mode == "fail"},
        }
    ).encode("utf-8")
    req = urllib.request.Request(
        endpoint + "/moto-api/config",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            if resp.status >= 300:
                raise SetupError(f"POST /moto-api/config returned HTTP {resp.status}")
    except urllib.error.URLError as e:
        raise SetupError(f"cannot reach moto at {endpoint}: {e}") from e


def function_zip():
    """A minimal deployment package: a `bootstrap` for the provided runtime."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        zf.writestr(info, "#!/bin/sh\necho '{}'\n")
    return buf.getvalue()


def read_definition(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise SetupError(f"cannot read definition {path}: {e}") from e


def substitute_definition(path, text, arns_by_placeholder):
    for placeholder, arn in arns_by_placeholder.items():
        text = text.replace("${" + placeholder + "}", arn)
    leftover = sorted(set(PLACEHOLDER_RE.findall(text)))
    if leftover:
        raise SetupError(f"definition {path} has unknown placeholders: {', '.join(leftover)}")
    try:
        json.loads(text)
    except ValueError as e:
        raise SetupError(f"definition {path} is not valid JSON after substitution: {e}") from e
    return text


def stack_template(table_name):
    """Stack owning the table; the other outputs come in as parameters."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "sagaview booking saga (moto stand-in for the SAM stack)",
        "Parameters": {
            "StateMachineArnValue": {"Type": "String"},
            "ApprovalStateMachineArnValue": {"Type": "String"},
            "ApiUrlValue": {"Type": "String"},
        },
        "Resources": {
            "SagaTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": table_name,
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "S"},
                    ],
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                },
            }
        },
        "Outputs": {
            "StateMachineArn": {
                "Description": "ARN of the saga state machine.",
                "Value": {"Ref": "StateMachineArnValue"},
            },
            "ApprovalStateMachineArn": {
                "Description": "ARN of the saga state machine with a human approval before the payment.",
                "Value": {"Ref": "ApprovalStateMachineArnValue"},
            },
            "TableName": {
                "Description": "Name of the single DynamoDB table holding hotel, flight and payment records.",
                "Value": {"Ref": "SagaTable"},
            },
            "ApiUrl": {
                "Description": "Invoke URL of the API that starts a saga (Prod stage).",
                "Value": {"Ref": "ApiUrlValue"},
            },
        },
    }


def wait_for_stack(cfn, stack_name, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return stack
        if not status.endswith("_IN_PROGRESS"):
            reason = stack.get("StackStatusReason", "")
            raise SetupError(f"stack {stack_name} ended in {status} {reason}".rstrip())
        if time.monotonic() > deadline:
            raise SetupError(f"stack {stack_name} still {status} after {timeout:.0f}s")
        time.sleep(0.5)


def deploy(args):
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    definition_path = args.definition or DEFAULT_DEFINITION
    definition_text = read_definition(definition_path)
    approval_path = args.approval_definition or DEFAULT_APPROVAL_DEFINITION
    approval_text = read_definition(approval_path)
    # Check the definitions before creating anything, using stand-in ARNs.
    for path, text in ((definition_path, definition_text), (approval_path, approval_text)):
        substitute_definition(
            path,
            text,
            {ph: f"arn:aws:lambda:{args.region}:123456789012:function:check" for _, ph in FUNCTIONS},
        )

    set_moto_config(args.endpoint, args.lambda_mode)

    session = boto3.session.Session(region_name=args.region)

    def client(name):
        return session.client(name, endpoint_url=args.endpoint)

    iam, lam, sfn, cfn = client("iam"), client("lambda"), client("stepfunctions"), client("cloudformation")
    prefix = args.prefix

    role_arn = iam.create_role(
        RoleName=f"{prefix}-saga-role",
        AssumeRolePolicyDocument=json.dumps(ASSUME_ROLE_POLICY),
        Description="Role for the sagaview booking saga (moto)",
    )["Role"]["Arn"]

    code = function_zip()
    function_arns = {}
    arns_by_placeholder = {}
    for suffix, placeholder in FUNCTIONS:
        arn = lam.create_function(
            FunctionName=f"{prefix}-{suffix}",
            Runtime="provided.al2023",
            Role=role_arn,
            Handler="bootstrap",
            Code={"ZipFile": code},
            Architectures=["arm64"],
            Timeout=30,
            MemorySize=128,
        )["FunctionArn"]
        function_arns[suffix] = arn
        arns_by_placeholder[placeholder] = arn

    definition = substitute_definition(definition_path, definition_text, arns_by_placeholder)
    state_machine_arn = sfn.create_state_machine(
        name=f"{prefix}-BookingSaga",
        definition=definition,
        roleArn=role_arn,
        type="STANDARD",
    )["stateMachineArn"]

    approval = substitute_definition(approval_path, approval_text, arns_by_placeholder)
    approval_state_machine_arn = sfn.create_state_machine(
        name=f"{prefix}-BookingSagaWithApproval",
        definition=approval,
        roleArn=role_arn,
        type="STANDARD",
    )["stateMachineArn"]

    stack_name = f"{prefix}-stack"
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(stack_template(f"{prefix}-table")),
        Parameters=[
            {"ParameterKey": "StateMachineArnValue", "ParameterValue": state_machine_arn},
            {
                "ParameterKey": "ApprovalStateMachineArnValue",
                "ParameterValue": approval_state_machine_arn,
            },
            {"ParameterKey": "ApiUrlValue", "ParameterValue": args.api_url},
        ],
    )
    stack = wait_for_stack(cfn, stack_name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if set(outputs) != {"StateMachineArn", "ApprovalStateMachineArn", "TableName", "ApiUrl"}:
        raise SetupError(f"stack {stack_name} has unexpected outputs: {sorted(outputs)}")
    if (
        outputs["StateMachineArn"] != state_machine_arn
        or outputs["ApprovalStateMachineArn"] != approval_state_machine_arn
        or outputs["ApiUrl"] != args.api_url
    ):
        raise SetupError(f"stack {stack_name} outputs do not match what was created: {outputs}")

    table = client("dynamodb").describe_table(TableName=outputs["TableName"])["Table"]
    keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
    if keys != {"pk": "HASH", "sk": "RANGE"}:
        raise SetupError(f"table {outputs['TableName']} has unexpected key schema: {keys}")

    return {
        "region": args.region,
        "stackName": stack_name,
        "stateMachineArn": outputs["StateMachineArn"],
        "approvalStateMachineArn": outputs["ApprovalStateMachineArn"],
        "tableName": outputs["TableName"],
        "apiUrl": outputs["ApiUrl"],
        "functionArns": function_arns,
    }


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        result = deploy(args)
    except SetupError as e:
        print(f"saga_stack: {e}", file=sys.stderr)
        return 1
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        print(f"saga_stack: AWS call failed: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(result, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
