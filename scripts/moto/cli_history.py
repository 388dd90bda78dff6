#!/usr/bin/env python3
"""Start one execution on a Step Functions endpoint (moto), wait for it to end, and print
its history exactly as `aws stepfunctions get-execution-history` prints it.

The AWS CLI is botocore: it parses every timestamp of the response, pages through
the history, and writes the result with

    json.dump(response, stream, indent=4, default=json_encoder, ensure_ascii=False)

(awscli/formatter.py), where `json_encoder` writes a datetime as `isoformat()`.
With `cli_timestamp_format = iso8601` (the v2 default) a timestamp is a datetime in
the machine's zone, e.g. "2024-05-01T12:00:00.123000+02:00"; with `wire` (also
spelled `none`, the v1 default) it is left as the wire sent it: epoch seconds, a
JSON number such as 1714557600.123. boto3 always parses to datetimes, so `wire` is
rebuilt from the datetime's epoch seconds. `ResponseMetadata` is dropped, as the CLI
drops it.

Usage: cli_history.py --endpoint URL --state-machine-arn ARN [--input JSON] [--name NAME]
                      [--region R] [--timestamps iso8601|wire] [--timeout SECONDS]
       cli_history.py --endpoint URL --execution-arn ARN [--describe] [...]

With --execution-arn no execution is started: that one's history is printed, or with
--describe what `aws stepfunctions describe-execution` prints for it.

Prints the history on stdout; errors go to stderr with a non-zero exit status.
Only needs the Python standard library and boto3.
"""

import argparse
import datetime
import json
import sys
import time
import uuid

import boto3


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--state-machine-arn")
    p.add_argument("--execution-arn")
    p.add_argument("--describe", action="store_true")
    p.add_argument("--input", default="{}")
    p.add_argument("--name", default=None, help="execution name (default: a random one)")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--timestamps", choices=["iso8601", "wire"], default="iso8601")
    p.add_argument("--timeout", type=float, default=60.0)
    return p.parse_args(argv)


def encoder(timestamps):
    def encode(obj):
        if isinstance(obj, datetime.datetime):
            if timestamps == "wire":
                return obj.timestamp()
            # The CLI's iso8601 parser gives datetimes in the local zone.
            return obj.astimezone().isoformat()
        raise TypeError("Encountered unrecognized type in JSON encoder.")

    return encode


def main(argv):
    args = parse_args(argv)
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=args.endpoint,
        region_name=args.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    encode = encoder(args.timestamps)
    if args.execution_arn:
        arn = args.execution_arn
        if args.describe:
            described = sfn.describe_execution(executionArn=arn)
            described.pop("ResponseMetadata", None)
            json.dump(described, sys.stdout, indent=4, default=encode, ensure_ascii=False)
            sys.stdout.write("\n")
            return 0
    elif args.state_machine_arn:
        # moto names an execution started without a name "None": every start needs one.
        name = args.name or uuid.uuid4().hex
        arn = sfn.start_execution(
            stateMachineArn=args.state_machine_arn, name=name, input=args.input
        )["executionArn"]
    else:
        print("give --state-machine-arn or --execution-arn", file=sys.stderr)
        return 2
    deadline = time.monotonic() + args.timeout
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        if time.monotonic() > deadline:
            print(f"{arn} still runs after {args.timeout}s", file=sys.stderr)
            return 1
        time.sleep(0.2)
    # The CLI pages through the whole history and prints one merged `events` list.
    events = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events.extend(page["events"])
    json.dump(
        {"events": events},
        sys.stdout,
        indent=4,
        default=encode,
        ensure_ascii=False,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
