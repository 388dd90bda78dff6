#!/usr/bin/env python3
"""A loopback Step Functions endpoint for RedriveExecution, in front of moto.

moto (5.2.5) has no RedriveExecution, and its IAM checks cannot evaluate a
policy's Resource ARNs or a `dynamodb:LeadingKeys` condition. This proxy
forwards everything to moto (with paging_proxy.py's GetExecutionHistory
paging) and adds, speaking the Step Functions JSON wire format (awsJson1_0):

* `AWSStepFunctions.RedriveExecution` (`executionArn`, `clientToken`):
  refuses with `ExecutionDoesNotExist` (moto's own answer), `InvalidArn`, or
  `ExecutionNotRedrivable` ("Execution is RUNNING and cannot be redriven.",
  "Execution is SUCCEEDED and cannot be redriven.", "Execution redrivable
  period exceeded." after 14 days); answers `{"redriveDate"}`, the same one
  again for a client token already used on that execution (the last 10, for
  15 minutes). The execution then continues from the state that had not
  exited, with the input it had entered with, walking the definition:
  Task states succeed as moto's echo Lambdas do (the result is
  `{"Payload": input}` put at `ResultPath`), Pass, Succeed and Fail states do
  what they say; other state types are refused (ValidationException). The
  continuation's events become visible over about a second.
* `DescribeExecution` and `ListExecutions` with the redrive members
  (`redriveCount`, `redriveDate`, `redriveStatus`, `redriveStatusReason`) and
  the status the continuation has reached; `GetExecutionHistory` with the
  `ExecutionRedriven` event (`executionRedrivenEventDetails.redriveCount`)
  and the continuation's events after moto's.
* `--policy KEY=FILE` (repeatable): requests signed with access key KEY are
  allowed only what the IAM policy in FILE allows: Action and Resource
  (wildcards), Deny over Allow, and the condition operators StringEquals,
  StringLike and their ForAllValues:/ForAnyValue: forms on
  `dynamodb:LeadingKeys` (the `pk` values the request touches). Refusals
  are AWS's AccessDeniedException (JSON) or AccessDenied (CloudFormation's
  XML). Requests signed with any other key are not checked.
* `POST /_proxy/fail-next` with `{"type", "message"}`: the next
  RedriveExecution fails with that error (e.g. ExecutionLimitExceeded).
* `POST /_proxy/lag-next` with `{"polls": n}`: after the next redrive, the
  first n DescribeExecution answers for that execution still describe it as
  it was before (a service that has not yet recorded the redrive).
* `GET /_proxy/stats` as paging_proxy.py, with calls also counted per key.

Usage: redrive_proxy.py --upstream http://127.0.0.1:5000 [--port 0]
       [--policy AKID=policy.json ...]
Prints `listening on http://127.0.0.1:PORT` once the socket is bound.

Standard library only.
"""

import argparse
import copy
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paging_proxy as pp  # noqa: E402

SFN = "AWSStepFunctions."
DYNAMODB = "DynamoDB_20120810."
UNSUCCESSFUL = ("FAILED", "TIMED_OUT", "ABORTED")
REDRIVABLE_PERIOD = 14 * 24 * 3600
TOKEN_LIFETIME = 15 * 60
TOKENS_KEPT = 10
# Seconds between the redrive and its first event, and between events.
FIRST_EVENT_AFTER = 0.3
EVENT_SPACING = 0.1
PARTITION_KEY = "pk"
ACCOUNT = "123456789012"


class Redrive:
    """One execution's redrives: the events added after moto's, and how it ends."""

    def __init__(self):
        self.count = 0
        self.date = None
        self.events = []
        self.end = None  # {"status", "stopDate", "error", "cause", "output"}
        self.tokens = []  # [(token, redriveDate, used at)]
        self.lag = 0  # DescribeExecution answers still to give from `before`
        self.before = None  # the Redrive as it was before the last redrive

    def snapshot(self):
        old = Redrive()
        old.count, old.date, old.end, old.events = self.count, self.date, self.end, list(self.events)
        return old

    def visible_events(self, now):
        return [e for e in self.events if e["timestamp"] <= now]

    def status(self, now):
        if self.end is None or now < self.end["stopDate"]:
            return "RUNNING"
        return self.end["status"]


# -- the continuation -------------------------------------------------------


def unexited_state(events):
    """(name, input) of the last top-level state entered and not exited."""
    open_state = None
    for e in events:
        kind = e.get("type", "")
        if kind.endswith("StateEntered"):
            d = e.get("stateEnteredEventDetails", {})
            open_state = (d.get("name"), d.get("input", "{}"))
        elif kind.endswith("StateExited"):
            open_state = None
    return open_state


def put_at(path, document, value):
    if path is None:
        return document
    if path == "$":
        return value
    if not path.startswith("$."):
        raise pp.ClientError(400, "ValidationException", f"loopback: ResultPath {path} is not supported")
    out = copy.deepcopy(document) if isinstance(document, dict) else {}
    target = out
    parts = path[2:].split(".")
    for p in parts[:-1]:
        target = target.setdefault(p, {})
    target[parts[-1]] = value
    return out


def continuation(definition, start, start_input, redrive_count, first_id, now, region):
    """The events of the redriven run and how it ends, from state `start`."""
    states = definition.get("States", {})
    events = []
    clock = [now + FIRST_EVENT_AFTER]

    def add(kind, details_name=None, details=None):
        eid = first_id + len(events)
        e = {"timestamp": clock[0], "type": kind, "id": eid, "previousEventId": eid - 1}
        if details_name:
            e[details_name] = details
        events.append(e)
        clock[0] += EVENT_SPACING

    add("ExecutionRedriven", "executionRedrivenEventDetails", {"redriveCount": redrive_count})
    name, text = start, start_input
    for _ in range(1000):
        state = states.get(name)
        if state is None:
            raise pp.ClientError(400, "ValidationException", f"loopback: no state {name!r} in the definition")
        value = json.loads(text)
        kind = state.get("Type")
        entered = {"name": name, "input": text}
        if kind == "Task":
            add("TaskStateEntered", "stateEnteredEventDetails", entered)
            params = {"FunctionName": (state.get("Parameters") or {}).get("FunctionName"), "Payload": value}
            add("TaskScheduled", "taskScheduledEventDetails",
                {"resourceType": "lambda", "resource": "invoke", "region": region,
                 "parameters": json.dumps(params)})
            add("TaskStarted", "taskStartedEventDetails", {"resourceType": "lambda", "resource": "invoke"})
            result = {"Payload": value}
            add("TaskSucceeded", "taskSucceededEventDetails",
                {"resourceType": "lambda", "resource": "invoke", "output": json.dumps(result)})
            out = json.dumps(put_at(state.get("ResultPath", "$"), value, result))
            add("TaskStateExited", "stateExitedEventDetails", {"name": name, "output": out})
        elif kind == "Pass":
            add("PassStateEntered", "stateEnteredEventDetails", entered)
            out = json.dumps(put_at(state.get("ResultPath", "$"), value, state["Result"])) if "Result" in state else text
            add("PassStateExited", "stateExitedEventDetails", {"name": name, "output": out})
        elif kind == "Succeed":
            add("SucceedStateEntered", "stateEnteredEventDetails", entered)
            add("SucceedStateExited", "stateExitedEventDetails", {"name": name, "output": text})
            add("ExecutionSucceeded", "executionSucceededEventDetails", {"output": text})
            return events, {"status": "SUCCEEDED", "stopDate": events[-1]["timestamp"], "output": text}
        elif kind == "Fail":
            add("FailStateEntered", "stateEnteredEventDetails", entered)
            failed = {"error": state.get("Error"), "cause": state.get("Cause")}
            add("ExecutionFailed", "executionFailedEventDetails", failed)
            return events, dict(failed, status="FAILED", stopDate=events[-1]["timestamp"])
        else:
            raise pp.ClientError(400, "ValidationException", f"loopback: cannot continue a {kind} state")
        if state.get("End"):
            add("ExecutionSucceeded", "executionSucceededEventDetails", {"output": out})
            return events, {"status": "SUCCEEDED", "stopDate": events[-1]["timestamp"], "output": out}
        name, text = state.get("Next"), out
    raise pp.ClientError(400, "ValidationException", "loopback: the continuation does not end")


# -- IAM --------------------------------------------------------------------


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def wildcard(pattern, value, ignore_case=False):
    regex = "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + "$"
    return re.match(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def condition_holds(operator, expected, values):
    qualifier, _, op = operator.rpartition(":")
    match = {
        "StringEquals": lambda e, v: e == v,
        "StringLike": lambda e, v: wildcard(e, v),
    }.get(op)
    if match is None:
        return False  # an operator this evaluator does not know: fail closed
    hit = lambda v: any(match(e, v) for e in expected)  # noqa: E731
    if qualifier == "ForAllValues":
        return all(hit(v) for v in values)
    if qualifier == "ForAnyValue":
        return any(hit(v) for v in values)
    return bool(values) and all(hit(v) for v in values)


def policy_allows(policy, action, resource, context):
    allowed = False
    for st in as_list(policy.get("Statement")):
        if not any(wildcard(a, action, ignore_case=True) for a in as_list(st.get("Action"))):
            continue
        if "Resource" in st and not any(wildcard(r, resource) for r in as_list(st.get("Resource"))):
            continue
        conditions = st.get("Condition") or {}
        if not all(
            condition_holds(op, as_list(exp), context.get(key, []))
            for op, by_key in conditions.items()
            for key, exp in by_key.items()
        ):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed


def leading_keys(operation, request):
    def s_of(attr):
        return [attr["S"]] if isinstance(attr, dict) and "S" in attr else []

    if operation in ("GetItem", "DeleteItem", "UpdateItem"):
        return s_of((request.get("Key") or {}).get(PARTITION_KEY))
    if operation == "PutItem":
        return s_of((request.get("Item") or {}).get(PARTITION_KEY))
    if operation == "Query":
        names = request.get("ExpressionAttributeNames") or {}
        values = request.get("ExpressionAttributeValues") or {}
        for left, right in re.findall(r"([#\w]+)\s*=\s*(:\w+)", request.get("KeyConditionExpression", "")):
            if names.get(left, left) == PARTITION_KEY:
                return s_of(values.get(right))
    return []


def what_is_asked(target, body, region):
    """(action, resource, condition context) of a request, as IAM sees it."""
    if target and target.startswith(SFN):
        op = target[len(SFN):]
        request = json.loads(body or b"{}")
        resource = request.get("executionArn") or request.get("stateMachineArn") or "*"
        return f"states:{op}", resource, {}
    if target and target.startswith(DYNAMODB):
        op = target[len(DYNAMODB):]
        request = json.loads(body or b"{}")
        table = request.get("TableName", "")
        resource = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}"
        return f"dynamodb:{op}", resource, {"dynamodb:LeadingKeys": leading_keys(op, request)}
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    if "Action" in form:
        stack = form.get("StackName", ["*"])[0]
        return f"cloudformation:{form['Action'][0]}", f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack}/loopback", {}
    return "unknown:Unknown", "*", {}


def signing_key(headers):
    m = re.search(r"Credential=([^/,\s]+)/\d+/([^/]+)/", headers.get("Authorization", ""))
    return (m.group(1), m.group(2)) if m else (None, "us-east-1")


# -- the endpoint -----------------------------------------------------------


class RedriveHandler(pp.ProxyHandler):
    server_version = "redrive-proxy"
    redrives = None  # {arn: Redrive}
    lock = None
    policies = None  # {access key id: policy document}
    fail_next = None  # [ClientError]
    knobs = None  # {"lag": DescribeExecution answers the next redrive lags by}
    per_key = None  # {key: {target: n}}

    def _moto(self, operation, payload, region):
        headers = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", SFN + operation),
            ("Authorization", f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/states/aws4_request, "
                              "SignedHeaders=host, Signature=0"),
        ]
        status, _, _, data = pp.ProxyHandler._upstream_request(self, json.dumps(payload).encode(), headers)
        if status != 200:
            try:
                err = json.loads(data)
                kind = err.get("__type", "UnknownError").rsplit("#", 1)[-1]
                raise pp.ClientError(status, kind, err.get("message") or err.get("Message") or kind)
            except ValueError:
                raise pp.ClientError(status, "UnknownError", data.decode("utf-8", "replace")[:200])
        return json.loads(data)

    def _handle(self):
        try:
            body = self._read_body()
        except pp.ClientError as e:
            self.close_connection = True
            self._send_aws_error(e)
            return
        path = urllib.parse.urlsplit(self.path).path
        if path == "/_proxy/stats" and self.command == "GET":
            self._send_json(200, dict(self.stats.snapshot(), perKey=self.per_key))
            return
        if path == "/_proxy/fail-next" and self.command == "POST":
            spec = json.loads(body or b"{}")
            with self.lock:
                self.fail_next.append(pp.ClientError(400, spec["type"], spec.get("message", spec["type"])))
            self._send_json(200, {})
            return
        if path == "/_proxy/lag-next" and self.command == "POST":
            with self.lock:
                self.knobs["lag"] = int(json.loads(body or b"{}").get("polls", 0))
            self._send_json(200, {})
            return
        target = (self.headers.get("X-Amz-Target") or "").strip()
        key, region = signing_key(self.headers)
        if target:
            self.stats.count_call(target)
        with self.lock:
            calls = self.per_key.setdefault(key or "-", {})
            calls[target or "query"] = calls.get(target or "query", 0) + 1
        self._target, self._region = target, region
        try:
            if key in self.policies:
                action, resource, context = what_is_asked(target, body, region)
                if not policy_allows(self.policies[key], action, resource, context):
                    return self._deny(key, action, resource, target)
            if target == SFN + "RedriveExecution":
                self._redrive(body)
            elif target == SFN + "DescribeExecution":
                self._describe(body)
            elif target == SFN + "ListExecutions":
                self._list(body)
            elif target == pp.HISTORY_TARGET:
                self._history(body)
            else:
                self._passthrough(body)
        except pp.ClientError as e:
            self._send_aws_error(e)
        except (OSError, pp.http.client.HTTPException) as e:
            self._send_json(502, {"__type": "BadGateway", "message": f"upstream request failed: {e}"})

    def _deny(self, key, action, resource, target):
        message = (f"User: arn:aws:iam::{ACCOUNT}:user/{key} is not authorized to perform: {action} "
                   f"on resource: {resource} because no identity-based policy allows the {action} action")
        if target:
            raise pp.ClientError(400, "AccessDeniedException", message)
        xml = ("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
               f"<Message>{message}</Message></Error><RequestId>loopback</RequestId></ErrorResponse>")
        self._send(403, "Forbidden", [("Content-Type", "text/xml")], xml.encode())

    # GetExecutionHistory: paging_proxy pages what this returns.
    def _upstream_request(self, body, headers):
        status, reason, resp_headers, data = pp.ProxyHandler._upstream_request(self, body, headers)
        if self._target == pp.HISTORY_TARGET and status == 200:
            arn = json.loads(body or b"{}").get("executionArn")
            with self.lock:
                redrive = self.redrives.get(arn)
                extra = redrive.visible_events(time.time()) if redrive else []
            if extra:
                doc = json.loads(data)
                doc["events"] = doc.get("events", []) + extra
                data = json.dumps(doc).encode()
        return status, reason, resp_headers, data

    def _overlay(self, execution, now, whole, lagging=False):
        arn = execution.get("executionArn")
        redrive = self.redrives.get(arn)
        if lagging and redrive is not None and redrive.lag > 0:
            redrive.lag -= 1
            redrive = redrive.before if redrive.before.count > 0 else None
        if redrive is not None:
            status = redrive.status(now)
            execution["status"] = status
            for k in ("stopDate", "error", "cause", "output"):
                execution.pop(k, None)
            if status != "RUNNING":
                execution.update({k: v for k, v in redrive.end.items() if k != "status" and v is not None})
            execution["redriveCount"] = redrive.count
            execution["redriveDate"] = redrive.date
        elif whole:
            execution["redriveCount"] = 0
        if whole:
            status = execution.get("status")
            if status in UNSUCCESSFUL:
                if now - execution.get("startDate", now) > REDRIVABLE_PERIOD:
                    execution["redriveStatus"] = "NOT_REDRIVABLE"
                    execution["redriveStatusReason"] = "Execution redrivable period exceeded."
                else:
                    execution["redriveStatus"] = "REDRIVABLE"
            else:
                execution["redriveStatus"] = "NOT_REDRIVABLE"
                execution["redriveStatusReason"] = f"Execution is {status} and cannot be redriven."
        return execution

    def _describe(self, body):
        request = json.loads(body or b"{}")
        described = self._moto("DescribeExecution", {"executionArn": request.get("executionArn")}, self._region)
        with self.lock:
            out = self._overlay(described, time.time(), whole=True, lagging=True)
        self._send_json(200, out, content_type="application/x-amz-json-1.0")

    def _list(self, body):
        listed = self._moto("ListExecutions", json.loads(body or b"{}"), self._region)
        now = time.time()
        with self.lock:
            listed["executions"] = [self._overlay(e, now, whole=False) for e in listed.get("executions", [])]
        self._send_json(200, listed, content_type="application/x-amz-json-1.0")

    def _redrive(self, body):
        request = json.loads(body or b"{}")
        arn = request.get("executionArn") or ""
        token = request.get("clientToken")
        if ":execution:" not in arn:
            raise pp.ClientError(400, "InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {arn}'")
        with self.lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
        described = self._moto("DescribeExecution", {"executionArn": arn}, self._region)
        definition = json.loads(
            self._moto("DescribeStateMachineForExecution", {"executionArn": arn}, self._region)["definition"]
        )
        history = self._moto("GetExecutionHistory", {"executionArn": arn}, self._region)["events"]
        now = time.time()
        with self.lock:
            redrive = self.redrives.get(arn) or Redrive()
            before = redrive.snapshot()
            for used, date, at in redrive.tokens:
                if used == token and now - at < TOKEN_LIFETIME:
                    self._send_json(200, {"redriveDate": date}, content_type="application/x-amz-json-1.0")
                    return
            current = self._overlay(dict(described), now, whole=True)
            if current["redriveStatus"] != "REDRIVABLE":
                raise pp.ClientError(400, "ExecutionNotRedrivable", current["redriveStatusReason"])
            events = history + redrive.visible_events(now)
            start = unexited_state(events)
            if start is None:
                start = (definition.get("StartAt"), described.get("input", "{}"))
            added, end = continuation(
                definition, start[0], start[1], redrive.count + 1, events[-1]["id"] + 1 if events else 1,
                now, self._region,
            )
            redrive.count += 1
            redrive.date = now
            redrive.events = redrive.visible_events(now) + added
            redrive.end = end
            redrive.before, redrive.lag = before, self.knobs["lag"]
            self.knobs["lag"] = 0
            if token:
                redrive.tokens = (redrive.tokens + [(token, now, now)])[-TOKENS_KEPT:]
            self.redrives[arn] = redrive
        self._send_json(200, {"redriveDate": now}, content_type="application/x-amz-json-1.0")

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_DELETE = _handle
    do_HEAD = _handle
    do_PATCH = _handle
    do_OPTIONS = _handle


def main(argv=None):
    p = argparse.ArgumentParser(description="Loopback RedriveExecution (and IAM checks) in front of moto.")
    p.add_argument("--upstream", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--policy", action="append", default=[], metavar="AKID=FILE",
                   help="check requests signed with AKID against the IAM policy in FILE")
    args = p.parse_args(argv)

    upstream = urllib.parse.urlsplit(args.upstream)
    if upstream.scheme not in ("http", "https") or not upstream.hostname:
        p.error("--upstream must be an http:// or https:// URL")
    policies = {}
    for spec in args.policy:
        key, _, path = spec.partition("=")
        try:
            with open(path, encoding="utf-8") as f:
                policies[key] = json.load(f)
        except (OSError, ValueError) as e:
            p.error(f"--policy {spec}: {e}")

    RedriveHandler.upstream = upstream
    RedriveHandler.stats = pp.Stats()
    RedriveHandler.redrives = {}
    RedriveHandler.lock = threading.Lock()
    RedriveHandler.policies = policies
    RedriveHandler.fail_next = []
    RedriveHandler.knobs = {"lag": 0}
    RedriveHandler.per_key = {}

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128

    try:
        server = Server(("127.0.0.1", args.port), RedriveHandler)
    except OSError as e:
        print(f"redrive_proxy: cannot listen on 127.0.0.1:{args.port}: {e}", file=sys.stderr)
        return 1

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
