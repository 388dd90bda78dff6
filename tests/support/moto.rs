//! Shared set-up for the tests that run sagaview's AWS backend against the moto server
//! `scripts/test` starts: the saga's resources created in moto by
//! `scripts/moto/saga_stack.py`, and `scripts/moto/paging_proxy.py` in front of moto
//! where paging must be exercised (moto itself ignores GetExecutionHistory paging).

#![allow(dead_code)]

use serde::Deserialize;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The moto server's URL: a missing server is a failure, never a skip.
pub fn moto_url() -> String {
    std::env::var("MOTO_URL").expect(
        "MOTO_URL is not set: these tests talk to a moto server; run scripts/test, which starts one",
    )
}

/// The Python that has boto3 (the test venv `scripts/test` builds).
pub fn python() -> String {
    std::env::var("SAGAVIEW_TEST_PYTHON").expect(
        "SAGAVIEW_TEST_PYTHON is not set: run scripts/test, which builds the venv with boto3",
    )
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/moto")
        .join(name)
}

/// What `saga_stack.py` created.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SagaStack {
    /// Region.
    pub region: String,
    /// CloudFormation stack with the SAM outputs.
    pub stack_name: String,
    /// The state machine.
    pub state_machine_arn: String,
    /// The approval machine (`ApprovalStateMachineArn`).
    #[serde(default)]
    pub approval_state_machine_arn: Option<String>,
    /// The table.
    pub table_name: String,
}

/// How moto's Lambda functions behave.
#[derive(Debug, Clone, Copy)]
pub enum Lambdas {
    /// Every task returns its input.
    Echo,
    /// Every task fails.
    Fail,
}

/// A name of the calling test's own, `<label>-<pid>-<n>-<random>`: no other test, and no
/// earlier run against the same long-lived server, uses it, so whatever a test lists or
/// counts by it is its own. Fits trip ids (64 characters) and resource prefixes (40)
/// for labels up to 12 characters.
pub fn unique(label: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{label}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        &random[..8]
    )
}

/// Creates the saga (or `definition`) in moto under names of the test's own (`label`
/// and a unique suffix: state machine, table, stack, functions, role), switching moto's
/// Lambda mode first.
pub fn create_stack(label: &str, lambdas: Lambdas, definition: Option<&str>) -> SagaStack {
    create_stack_with(label, lambdas, definition, None)
}

/// [`create_stack`], with the approval machine's definition from `approval` (a file)
/// instead of the repository's.
pub fn create_stack_with(
    label: &str,
    lambdas: Lambdas,
    definition: Option<&str>,
    approval: Option<&str>,
) -> SagaStack {
    let mode = match lambdas {
        Lambdas::Echo => "echo",
        Lambdas::Fail => "fail",
    };
    let mut cmd = Command::new(python());
    cmd.arg(script("saga_stack.py"))
        .args(["--endpoint", &moto_url(), "--lambda-mode", mode])
        .args(["--prefix", &unique(label)]);
    if let Some(d) = definition {
        cmd.args(["--definition", d]);
    }
    if let Some(d) = approval {
        cmd.args(["--approval-definition", d]);
    }
    let out = cmd.output().expect("run saga_stack.py");
    assert!(
        out.status.success(),
        "saga_stack.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "saga_stack.py printed {:?}: {e}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The paging proxy in front of moto; stopped when dropped.
pub struct PagingProxy {
    child: Child,
    /// Its URL.
    pub url: String,
}

impl PagingProxy {
    /// Starts the proxy on a free port.
    pub fn start() -> Self {
        let mut child = Command::new(python())
            .arg(script("paging_proxy.py"))
            .args(["--upstream", &moto_url(), "--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start paging_proxy.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the proxy's address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected proxy banner {line:?}"))
            .to_string();
        Self { child, url }
    }

    /// `{"calls": {target: n}, "historyEventsServed": n}`.
    pub fn stats(&self) -> serde_json::Value {
        let body = std::process::Command::new(python())
            .args([
                "-c",
                "import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1]).read().decode())",
                &format!("{}/_proxy/stats", self.url),
            ])
            .output()
            .expect("read proxy stats");
        serde_json::from_slice(&body.stdout).expect("stats JSON")
    }
}

impl Drop for PagingProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto's own GetExecutionHistory answer for `arn`, as raw JSON events.
pub fn motos_history(arn: &str) -> Vec<serde_json::Value> {
    let code = r#"
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=json.dumps({"executionArn": sys.argv[2]}).encode(),
    headers={"X-Amz-Target": "AWSStepFunctions.GetExecutionHistory",
             "Content-Type": "application/x-amz-json-1.0",
             "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0"})
print(urllib.request.urlopen(req).read().decode())
"#;
    let out = Command::new(python())
        .args(["-c", code, &moto_url(), arn])
        .output()
        .expect("ask moto for the history");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("history JSON");
    v["events"].as_array().expect("events").clone()
}

/// A turn at moto's global configuration (its Lambda mode), held until dropped.
pub struct MotoTurn {
    _thread: std::sync::MutexGuard<'static, ()>,
    _process: std::fs::File,
}

/// moto's configuration is global: tests that switch its Lambda mode, or need it to
/// stay as they set it, take turns, within this test binary (a mutex) and across test
/// binaries sharing the server (a lock on a file named after the server's URL).
pub fn moto_lock() -> MotoTurn {
    use std::os::fd::AsRawFd;
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let thread = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let url: String = moto_url()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let path = std::env::temp_dir().join(format!("sagaview-moto-{url}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    // SAFETY: flock only takes a lock on the descriptor this function owns; the lock
    // goes with the file when the turn is dropped.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(locked, 0, "flock {}", path.display());
    MotoTurn {
        _thread: thread,
        _process: file,
    }
}

/// Environment for a `sagaview` child process talking to moto.
pub fn aws_env(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/sagaview-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/sagaview-test-credentials",
        )
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
}

/// A second moto server of the test's own that checks credentials and IAM policies
/// (`INITIAL_NO_AUTH_ACTION_COUNT`), with one user whose policy allows only
/// `cloudformation:DescribeStacks`; stopped when dropped.
pub struct StrictMoto {
    child: Child,
    /// Its URL.
    pub url: String,
    /// The restricted user's access key id and secret.
    pub viewer_key: (String, String),
}

impl StrictMoto {
    /// Starts the server and creates the restricted user (the only unchecked calls).
    pub fn start() -> Self {
        let python = PathBuf::from(python());
        let server = python.with_file_name("moto_server");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port()
            .to_string();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port])
            .env("MOTO_PORT", &port)
            // The three IAM calls below are the only ones allowed without a valid key.
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a second moto server");
        let url = format!("http://127.0.0.1:{port}");
        let code = r#"
import json, sys, time, urllib.request, boto3
url = sys.argv[1]
for _ in range(100):
    try:
        urllib.request.urlopen(url + "/moto-api/", timeout=1); break
    except Exception:
        time.sleep(0.1)
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
iam.create_user(UserName="viewer")
key = iam.create_access_key(UserName="viewer")["AccessKey"]
iam.put_user_policy(UserName="viewer", PolicyName="stack-only", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": "*"}]}))
print(key["AccessKeyId"], key["SecretAccessKey"])
"#;
        let out = Command::new(&python)
            .args(["-c", code, &url])
            .output()
            .expect("create the restricted user");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.split_whitespace();
        let viewer_key = (
            parts.next().expect("key id").to_string(),
            parts.next().expect("secret").to_string(),
        );
        Self {
            child,
            url,
            viewer_key,
        }
    }
}

impl Drop for StrictMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `scripts/moto/redrive_proxy.py` in front of moto: RedriveExecution and the redrive
/// members moto lacks, and IAM checks of the policies given per access key; stopped
/// when dropped.
pub struct RedriveProxy {
    child: Child,
    /// Its URL.
    pub url: String,
    _policies: Option<tempfile::TempDir>,
}

impl RedriveProxy {
    /// Starts the proxy on a free port; requests signed with one of `policies`' access
    /// keys are allowed only what its policy document allows.
    pub fn start(policies: &[(&str, serde_json::Value)]) -> Self {
        let dir = (!policies.is_empty()).then(|| tempfile::tempdir().expect("a temp dir"));
        let mut cmd = Command::new(python());
        cmd.arg(script("redrive_proxy.py"))
            .args(["--upstream", &moto_url(), "--port", "0"]);
        for (i, (key, policy)) in policies.iter().enumerate() {
            let path = dir.as_ref().expect("dir").path().join(format!("{i}.json"));
            std::fs::write(&path, policy.to_string()).expect("write the policy");
            cmd.args(["--policy", &format!("{key}={}", path.display())]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .expect("start redrive_proxy.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the proxy's address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected proxy banner {line:?}"))
            .to_string();
        Self {
            child,
            url,
            _policies: dir,
        }
    }

    fn post(&self, path: &str, body: &str) -> serde_json::Value {
        let code = "import sys,urllib.request\n\
                    data = sys.argv[2].encode() if len(sys.argv) > 2 else None\n\
                    print(urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=data)).read().decode())";
        let mut cmd = Command::new(python());
        cmd.args(["-c", code, &format!("{}{path}", self.url)]);
        if !body.is_empty() {
            cmd.arg(body);
        }
        let out = cmd.output().expect("ask the proxy");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("proxy JSON")
    }

    /// `{"calls": {target: n}, "perKey": {key: {target: n}}, …}`.
    pub fn stats(&self) -> serde_json::Value {
        self.post("/_proxy/stats", "")
    }

    /// The next RedriveExecution fails with AWS error `error_type`.
    pub fn fail_next_redrive(&self, error_type: &str, message: &str) {
        self.post(
            "/_proxy/fail-next",
            &serde_json::json!({"type": error_type, "message": message}).to_string(),
        );
    }

    /// After the next redrive, the first `polls` DescribeExecution answers for that
    /// execution still describe it as it was before.
    pub fn lag_next_redrive(&self, polls: u32) {
        self.post(
            "/_proxy/lag-next",
            &serde_json::json!({ "polls": polls }).to_string(),
        );
    }

    /// The proxy's own GetExecutionHistory answer for `arn`, as raw JSON events.
    pub fn history(&self, arn: &str) -> Vec<serde_json::Value> {
        raw_history(&self.url, arn)
    }
}

impl Drop for RedriveProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The README's viewer policy ("Watch your deployed stack") with its placeholders
/// replaced by `stack`'s resources: the policy the documentation gives, as it is.
pub fn viewer_policy(stack: &SagaStack) -> serde_json::Value {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("read README.md");
    let after = readme
        .split_once("The viewer needs only this policy")
        .expect("the README's viewer policy")
        .1;
    let block = after
        .split_once("```json")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("the policy's json block")
        .0;
    let machine_name = stack
        .state_machine_arn
        .rsplit(':')
        .next()
        .expect("a state machine name");
    let text = block
        .replace("STATE-MACHINE-ARN", &stack.state_machine_arn)
        .replace("STATE-MACHINE-NAME", machine_name)
        .replace("TABLE-ARN", &table_arn(stack))
        .replace("STACK-NAME", &stack.stack_name)
        .replace("REGION", &stack.region)
        .replace("ACCOUNT", "123456789012");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("the README's policy: {e}\n{text}"))
}

/// The saga table's ARN in moto.
pub fn table_arn(stack: &SagaStack) -> String {
    format!(
        "arn:aws:dynamodb:{}:123456789012:table/{}",
        stack.region, stack.table_name
    )
}

/// `url`'s GetExecutionHistory answer for `arn` (one page), as raw JSON events.
pub fn raw_history(url: &str, arn: &str) -> Vec<serde_json::Value> {
    let code = r#"
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=json.dumps({"executionArn": sys.argv[2], "maxResults": 1000}).encode(),
    headers={"X-Amz-Target": "AWSStepFunctions.GetExecutionHistory",
             "Content-Type": "application/x-amz-json-1.0",
             "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0"})
print(urllib.request.urlopen(req).read().decode())
"#;
    let out = Command::new(python())
        .args(["-c", code, url, arn])
        .output()
        .expect("ask for the history");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("history JSON");
    v["events"].as_array().expect("events").clone()
}
