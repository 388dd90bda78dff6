//! The README's viewer policy answers approvals, and nothing less does: on a moto
//! server of the test's own that checks credentials and IAM policies, a viewer holding
//! exactly the README's actions starts an approval run, lists both machines, reads the
//! token from an approval row and sends it back; the same viewer without the
//! `AnswerApprovals` statement is refused.
//!
//! Two limits of moto 5.2.5 shape the test. It matches a statement's `Resource` against
//! `*` only (its policy evaluation does not model resources), so the README's ARNs are
//! replaced with `*`: this checks the actions the viewer needs, not the resources. And
//! its Step Functions engine invokes Lambda with fixed keys of its own, which a server
//! that checks keys refuses, so no execution reaches its approval there: the token sent
//! is one no task holds, and a call the policy allows is told `InvalidToken` by Step
//! Functions itself, while a call it does not allow never gets past IAM.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use saga_lambdas::dynamo::DynamoTable;
use saga_lambdas::{Env, RunType, Step, ThreadChance, TripRequest};
use sagaview::backend::approval::{Decision, decide};
use sagaview::backend::aws::{AwsBackend, AwsOptions};
use sagaview::backend::{Launch, SagaBackend, SagaMachine};
use support::moto;

/// The README's viewer policy, every resource widened to `*` (see above).
fn readme_policy(without: Option<&str>) -> serde_json::Value {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let start = readme
        .find("The viewer needs only this policy")
        .expect("the policy section");
    let block = &readme[start..];
    let json = block
        .split("```json")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the policy block");
    let mut policy: serde_json::Value = serde_json::from_str(json).expect("the policy parses");
    let statements = policy["Statement"].as_array_mut().expect("statements");
    statements.retain(|s| Some(s["Sid"].as_str().unwrap_or("")) != without);
    for s in statements.iter_mut() {
        s["Resource"] = "*".into();
    }
    policy
}

/// A moto server that checks every call; admin, viewer and limited viewer keys.
struct IamServer {
    child: Child,
    url: String,
    keys: Vec<(String, String)>,
}

impl Drop for IamServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(viewer: &serde_json::Value, limited: &serde_json::Value) -> IamServer {
    let python = PathBuf::from(moto::python());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let child = Command::new(python.with_file_name("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port])
        .env("MOTO_PORT", &port)
        // The nine IAM calls below are the only ones allowed without a valid key.
        .env("INITIAL_NO_AUTH_ACTION_COUNT", "9")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a moto server");
    let url = format!("http://127.0.0.1:{port}");
    let code = r#"
import json, sys, time, urllib.request, boto3
url, viewer, limited = sys.argv[1], sys.argv[2], sys.argv[3]
for _ in range(100):
    try:
        urllib.request.urlopen(url + "/moto-api/", timeout=1); break
    except Exception:
        time.sleep(0.1)
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
for name, policy in (("admin", json.dumps(admin)), ("viewer", viewer), ("limited", limited)):
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    print(key["AccessKeyId"], key["SecretAccessKey"])
"#;
    let out = Command::new(&python)
        .args(["-c", code, &url, &viewer.to_string(), &limited.to_string()])
        .output()
        .expect("create the users");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (id, secret) = l.split_once(' ').expect("a key");
            (id.to_string(), secret.to_string())
        })
        .collect();
    IamServer { child, url, keys }
}

/// Creates the stack as the admin; returns (stack name, table name).
fn create_stack(server: &IamServer) -> (String, String) {
    let (id, secret) = &server.keys[0];
    let out = Command::new(moto::python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/moto/saga_stack.py"
        ))
        .args(["--endpoint", &server.url, "--lambda-mode", "echo"])
        .args(["--prefix", "iam"])
        .env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .output()
        .expect("run saga_stack.py");
    assert!(
        out.status.success(),
        "saga_stack.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("its JSON");
    (
        v["stackName"].as_str().expect("stack").to_string(),
        v["tableName"].as_str().expect("table").to_string(),
    )
}

fn write_profiles(dir: &Path, server: &IamServer) -> PathBuf {
    let mut text = String::new();
    for (name, (id, secret)) in ["admin", "viewer", "limited"].iter().zip(&server.keys) {
        text.push_str(&format!(
            "[profile {name}]\nregion = us-east-1\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
        ));
    }
    let path = dir.join("config");
    std::fs::write(&path, text).expect("write the profiles");
    path
}

async fn backend(server: &IamServer, stack: &str, profile: &str) -> AwsBackend {
    AwsBackend::connect(AwsOptions {
        stack: Some(stack.to_string()),
        endpoint_url: Some(server.url.clone()),
        profile: Some(profile.to_string()),
        ..AwsOptions::default()
    })
    .await
    .expect("connect")
}

async fn admin_table(server: &IamServer, table: &str) -> DynamoTable {
    let (id, secret) = &server.keys[0];
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&server.url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            id, secret, None, None, "admin",
        ))
        .load()
        .await;
    DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), table)
}

/// An approval row for an execution of the approval machine, written as the
/// request-approval function would (as the admin), with a token no task holds.
async fn approval_row(table: &DynamoTable, trip: &str) -> String {
    let arn = format!(
        "arn:aws:states:us-east-1:123456789012:execution:iam-BookingSagaWithApproval:{trip}-1"
    );
    let event = serde_json::json!({
        "trip": TripRequest::example(trip, RunType::Success, 0.0).to_input(),
        "execution": arn,
        "task_token": "a-token-no-task-holds",
    });
    saga_lambdas::handle(
        Step::RequestApproval,
        Env::new(table, &ThreadChance),
        &event,
    )
    .await
    .expect("request-approval runs");
    arn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_policy_answers_approvals_and_less_does_not() {
    let server = start_server(
        &readme_policy(None),
        &readme_policy(Some("AnswerApprovals")),
    );
    let (stack, table_name) = create_stack(&server);
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = write_profiles(dir.path(), &server);
    // SAFETY: the only test of this binary; set before any client reads the environment.
    unsafe {
        std::env::set_var("AWS_CONFIG_FILE", &config);
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"));
        std::env::remove_var("AWS_ACCESS_KEY_ID");
        std::env::remove_var("AWS_SECRET_ACCESS_KEY");
        std::env::remove_var("AWS_PROFILE");
    }
    let table = admin_table(&server, &table_name).await;

    let arn = approval_row(&table, "trip-iam").await;

    let viewer = backend(&server, &stack, "viewer").await;
    let started = viewer
        .start_on(
            SagaMachine::Approval,
            Launch {
                run_type: RunType::Success,
                trip_id: "trip-run".into(),
                cancel_failure_rate: 0.0,
            },
        )
        .await
        .expect("the viewer starts an approval run");
    let listed: Vec<String> = viewer
        .list_executions(10)
        .await
        .expect("the viewer lists both machines")
        .into_iter()
        .map(|e| e.execution_arn)
        .collect();
    assert!(listed.contains(&started), "{listed:?}");
    for decision in [Decision::Approve, Decision::Reject] {
        let told = decide(&viewer, &arn, "trip-iam", decision)
            .await
            .expect_err("no task holds the token")
            .to_string();
        assert!(told.contains("InvalidToken"), "past IAM: {told}");
    }

    let limited = backend(&server, &stack, "limited").await;
    for (decision, call) in [
        (Decision::Approve, "SendTaskSuccess"),
        (Decision::Reject, "SendTaskFailure"),
    ] {
        let refused = decide(&limited, &arn, "trip-iam", decision)
            .await
            .expect_err("without AnswerApprovals the answer is refused")
            .to_string();
        assert!(refused.starts_with(call), "{refused}");
        assert!(refused.contains("access denied"), "{refused}");
    }
}
