//! Differential testing: the same definition and input run on moto's Step Functions
//! interpreter (an independent implementation, with execution switched on) and on the
//! embedded engine must end alike: the same event types in the same order, the same
//! state names entered and exited, the same final status, error and cause, and equal
//! outputs (compared as parsed JSON).
//!
//! Definitions come from two sources: the hand-picked ones under
//! `tests/fixtures/differential/` and a seeded generator of random valid definitions
//! (`generator` below). A definition that uses a construct listed in
//! `conformance/known-differences.md` may differ; every listed construct must still
//! differ somewhere, so a fixed difference cannot linger in the list.
//!
//! Concurrency: events of Parallel branches and of Map iterations that may run at the
//! same time interleave differently from run to run on either side, so the events
//! between such a state's `…StateEntered` and `…StateExited` are compared as a multiset
//! (and, when the block failed, only the block's own events are compared, since how far
//! the sibling branches got before being stopped is a race).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};

use sagaview::asl::load_definition_value;
use sagaview::engine::{Clock, Engine, EngineConfig, FunctionRegistry};

/// How many random definitions the generator contributes.
const GENERATED: usize = 220;
/// The generator's seed (fixed: a failure must be reproducible).
const SEED: u64 = 0x5a6a_0d1f;
/// moto executions in flight at once.
const IN_FLIGHT: usize = 8;

/// One definition with its input.
#[derive(Debug, Clone)]
struct Case {
    /// `fixture:<file stem>` or `generated:<n>`.
    id: String,
    definition: Value,
    input: Value,
}

/// What an execution came to, reduced to what both sides must agree on.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    status: String,
    output: Option<Value>,
    error: Option<String>,
    cause: Option<String>,
    events: Vec<Canon>,
}

/// One event (type and state name), or a block of concurrent events.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Canon {
    Event(String, Option<String>),
    /// The events inside a concurrent Parallel/Map, sorted.
    Block(Vec<(String, Option<String>)>),
}

// ---------------------------------------------------------------------------------------
// Definitions: fixtures, generated ones, and the constructs each uses.

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/differential")
}

fn load_fixtures() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/differential is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("fixture is readable");
            let v: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()));
            Case {
                id: format!(
                    "fixture:{}",
                    p.file_stem().and_then(|s| s.to_str()).expect("UTF-8 name")
                ),
                definition: v["definition"].clone(),
                input: v["input"].clone(),
            }
        })
        .collect()
}

/// Every state object of a definition, recursively (branches and item processors).
fn states_of(definition: &Value) -> Vec<(&str, &Map<String, Value>)> {
    let mut out = Vec::new();
    let Some(states) = definition["States"].as_object() else {
        return out;
    };
    for (name, state) in states {
        let Some(obj) = state.as_object() else {
            continue;
        };
        out.push((name.as_str(), obj));
        if let Some(branches) = obj.get("Branches").and_then(Value::as_array) {
            for b in branches {
                out.extend(states_of(b));
            }
        }
        for key in ["Iterator", "ItemProcessor"] {
            if let Some(p) = obj.get(key) {
                out.extend(states_of(p));
            }
        }
    }
    out
}

fn choice_operators(rule: &Value, out: &mut BTreeSet<String>) {
    let Some(obj) = rule.as_object() else {
        return;
    };
    for (k, v) in obj {
        match k.as_str() {
            "Variable" | "Next" | "Comment" => {}
            "And" | "Or" => {
                out.insert(format!("Choice:{k}"));
                for r in v.as_array().into_iter().flatten() {
                    choice_operators(r, out);
                }
            }
            "Not" => {
                out.insert("Choice:Not".into());
                choice_operators(v, out);
            }
            op => {
                out.insert(format!("Choice:{op}"));
            }
        }
    }
}

fn intrinsics_in(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(at) = rest.find("States.") {
                let tail = &rest[at + "States.".len()..];
                let name: String = tail
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if tail[name.len()..].starts_with('(') {
                    out.insert(format!("Intrinsic:States.{name}"));
                }
                rest = tail;
            }
        }
        Value::Array(a) => a.iter().for_each(|x| intrinsics_in(x, out)),
        Value::Object(o) => o.values().for_each(|x| intrinsics_in(x, out)),
        _ => {}
    }
}

/// The constructs a case uses: `State:<Type>`, `<Type>:<Field>`, `Choice:<Operator>`,
/// `Intrinsic:<Function>` and the case id itself — the keys known differences name.
fn constructs(case: &Case) -> BTreeSet<String> {
    let mut out = BTreeSet::from([case.id.clone()]);
    for (_, state) in states_of(&case.definition) {
        let ty = state.get("Type").and_then(Value::as_str).unwrap_or("?");
        out.insert(format!("State:{ty}"));
        for key in state.keys() {
            out.insert(format!("{ty}:{key}"));
        }
        for rule in state
            .get("Choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            choice_operators(rule, &mut out);
        }
        let mut intrinsics = BTreeSet::new();
        for (k, v) in state {
            if !matches!(k.as_str(), "Branches" | "Iterator" | "ItemProcessor") {
                intrinsics_in(v, &mut intrinsics);
            }
        }
        out.extend(intrinsics);
    }
    out
}

/// Names of the states whose inner events may interleave (Parallel with several
/// branches, Map without `MaxConcurrency: 1`).
fn concurrent_states(definition: &Value) -> BTreeSet<String> {
    states_of(definition)
        .into_iter()
        .filter(|(_, s)| match s.get("Type").and_then(Value::as_str) {
            Some("Parallel") => s
                .get("Branches")
                .and_then(Value::as_array)
                .is_some_and(|b| b.len() > 1),
            Some("Map") => s.get("MaxConcurrency").and_then(Value::as_u64) != Some(1),
            _ => false,
        })
        .map(|(n, _)| n.to_owned())
        .collect()
}

/// Every state name must be unique across the definition, or blocks cannot be found.
fn assert_unique_names(case: &Case) {
    let mut seen = BTreeSet::new();
    for (name, _) in states_of(&case.definition) {
        assert!(
            seen.insert(name),
            "{}: state name {name:?} is used twice; the comparison needs unique names",
            case.id
        );
    }
}

// ---------------------------------------------------------------------------------------
// Canonical form of a history.

fn event_name(e: &Value) -> Option<String> {
    ["stateEnteredEventDetails", "stateExitedEventDetails"]
        .iter()
        .find_map(|k| e[*k]["name"].as_str())
        .map(str::to_owned)
}

fn canonical(events: &[Value], concurrent: &BTreeSet<String>) -> Vec<Canon> {
    let pairs: Vec<(String, Option<String>)> = events
        .iter()
        .map(|e| (e["type"].as_str().unwrap_or("?").to_owned(), event_name(e)))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < pairs.len() {
        let (ty, name) = &pairs[i];
        out.push(Canon::Event(ty.clone(), name.clone()));
        i += 1;
        let Some(n) = name.as_ref().filter(|n| concurrent.contains(*n)) else {
            continue;
        };
        if !ty.ends_with("StateEntered") {
            continue;
        }
        // The block runs to this state's Exited event, or to the execution's end.
        let end = (i..pairs.len())
            .find(|&j| pairs[j].0.ends_with("StateExited") && pairs[j].1.as_ref() == Some(n))
            .unwrap_or(pairs.len().saturating_sub(1));
        let mut inner: Vec<(String, Option<String>)> = pairs[i..end].to_vec();
        let failed = inner.iter().any(|(t, _)| {
            matches!(
                t.as_str(),
                "ParallelStateFailed" | "MapStateFailed" | "MapIterationFailed"
            )
        });
        if failed {
            let own = |t: &str| {
                matches!(
                    t,
                    "ParallelStateStarted"
                        | "ParallelStateSucceeded"
                        | "ParallelStateFailed"
                        | "MapStateStarted"
                        | "MapStateSucceeded"
                        | "MapStateFailed"
                )
            };
            // Nested blocks' own events are indistinguishable by type: keep only the
            // events naming this block's kind at the outermost level (first and last).
            inner = [pairs[i..end].first(), pairs[i..end].last()]
                .into_iter()
                .flatten()
                .filter(|(t, _)| own(t))
                .cloned()
                .collect();
        }
        inner.sort();
        out.push(Canon::Block(inner));
        i = end;
    }
    out
}

fn parse_output(text: Option<&str>) -> Option<Value> {
    text.map(|t| serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_owned())))
}

// ---------------------------------------------------------------------------------------
// moto.

struct Moto {
    url: String,
    http: reqwest::Client,
}

impl Moto {
    async fn call(&self, target: &str, body: Value) -> Result<Value, String> {
        let response = self
            .http
            .post(&self.url)
            .header("X-Amz-Target", format!("AWSStepFunctions.{target}"))
            .header("Content-Type", "application/x-amz-json-1.0")
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/states/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("{target}: {e}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| format!("{target}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{target} returned {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("{target}: {e}: {text}"))
    }

    async fn enable_execution(&self) {
        let response = self
            .http
            .post(format!("{}/moto-api/config", self.url))
            .body(
                json!({"stepfunctions": {"execute_state_machine": true},
                       "lambda": {"use_docker": false}})
                .to_string(),
            )
            .send()
            .await
            .expect("moto answers POST /moto-api/config");
        assert!(response.status().is_success(), "moto refused the config");
    }

    async fn run(&self, case: &Case, unique: &str) -> Result<(Outcome, Vec<Value>), String> {
        let name = format!("diff-{unique}");
        let machine = self
            .call(
                "CreateStateMachine",
                json!({"name": name, "definition": case.definition.to_string(),
                       "roleArn": "arn:aws:iam::123456789012:role/sagaview-differential"}),
            )
            .await?;
        let machine_arn = machine["stateMachineArn"].as_str().ok_or("no ARN")?;
        let execution = self
            .call(
                "StartExecution",
                json!({"stateMachineArn": machine_arn, "name": name,
                       "input": case.input.to_string()}),
            )
            .await?;
        let arn = execution["executionArn"]
            .as_str()
            .ok_or("no execution ARN")?;
        let deadline = Instant::now() + Duration::from_secs(60);
        let description = loop {
            let d = self
                .call("DescribeExecution", json!({"executionArn": arn}))
                .await?;
            if d["status"] != "RUNNING" {
                break d;
            }
            if Instant::now() > deadline {
                return Err("still RUNNING after 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        let history = self
            .call("GetExecutionHistory", json!({"executionArn": arn}))
            .await?;
        let events = history["events"].as_array().ok_or("no events")?.clone();
        Ok((
            Outcome {
                status: description["status"].as_str().unwrap_or("?").to_owned(),
                output: parse_output(description["output"].as_str()),
                error: description["error"].as_str().map(str::to_owned),
                cause: description["cause"].as_str().map(str::to_owned),
                events: canonical(&events, &concurrent_states(&case.definition)),
            },
            events,
        ))
    }
}

// ---------------------------------------------------------------------------------------
// The embedded engine.

async fn run_embedded(case: &Case) -> Result<(Outcome, Vec<Value>), String> {
    let definition = load_definition_value(&case.definition)
        .map_err(|e| format!("sagaview rejects the definition: {e}"))?;
    let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).expect("a valid instant");
    let engine = Engine::new(
        EngineConfig {
            seed: Some(1),
            ..EngineConfig::default()
        },
        Clock::virtual_from(start),
        Arc::new(FunctionRegistry::new()),
    );
    let machine = engine.state_machine("differential", definition);
    let arn = engine
        .start(&machine, Some("differential"), &case.input.to_string())
        .map_err(|e| e.to_string())?;
    let d = engine.wait(&arn).await.map_err(|e| e.to_string())?;
    let events: Vec<Value> = engine
        .history_since(&arn, 0)
        .map_err(|e| e.to_string())?
        .iter()
        .map(|e| serde_json::to_value(e).expect("events serialise"))
        .collect();
    Ok((
        Outcome {
            status: d.status.to_string(),
            output: parse_output(d.output.as_deref()),
            error: d.error,
            cause: d.cause,
            events: canonical(&events, &concurrent_states(&case.definition)),
        },
        events,
    ))
}

// ---------------------------------------------------------------------------------------
// Known differences.

/// The keys of `conformance/known-differences.md`: every `## \`key\`` heading.
fn known_differences() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/known-differences.md");
    let text = std::fs::read_to_string(&path).expect("conformance/known-differences.md");
    text.lines()
        .filter_map(|l| l.strip_prefix("## `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

fn describe(outcome: &Result<(Outcome, Vec<Value>), String>) -> String {
    match outcome {
        Err(e) => format!("error: {e}"),
        Ok((o, events)) => {
            let types: Vec<String> = events
                .iter()
                .map(|e| match event_name(e) {
                    Some(n) => format!("{}({n})", e["type"].as_str().unwrap_or("?")),
                    None => e["type"].as_str().unwrap_or("?").to_owned(),
                })
                .collect();
            format!(
                "status {} output {} error {:?} cause {:?}\n      events {}",
                o.status,
                o.output.as_ref().map_or("-".into(), Value::to_string),
                o.error,
                o.cause,
                types.join(" ")
            )
        }
    }
}

// ---------------------------------------------------------------------------------------
// The test.

#[test]
fn moto_and_the_embedded_engine_agree() {
    // moto's execution mode is global: no other test may switch it meanwhile.
    let _turn = support::moto::moto_lock();
    let url = support::moto::moto_url();
    let mut cases = load_fixtures();
    let hand_picked = cases.len();
    assert!(
        hand_picked >= 30,
        "only {hand_picked} hand-picked definitions"
    );
    cases.extend(generator::cases(SEED, GENERATED));
    for case in &cases {
        assert_unique_names(case);
    }
    let known = known_differences();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    let run_id = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let moto = Moto {
        url: url.trim_end_matches('/').to_owned(),
        http: reqwest::Client::new(),
    };
    let theirs: Vec<_> = runtime.block_on(async {
        moto.enable_execution().await;
        futures_util::stream::iter(cases.iter().enumerate())
            .map(|(i, case)| {
                let moto = &moto;
                let unique = format!("{run_id}-{i}");
                async move { moto.run(case, &unique).await }
            })
            .buffered(IN_FLIGHT)
            .collect()
            .await
    });
    let moto_time = started.elapsed();

    let embedded = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a paused runtime");
    let ours: Vec<_> = cases
        .iter()
        .map(|case| embedded.block_on(run_embedded(case)))
        .collect();

    let mut unexplained = Vec::new();
    let mut explained: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut compared = 0;
    for ((case, theirs), ours) in cases.iter().zip(&theirs).zip(&ours) {
        let agree = match (theirs, ours) {
            (Ok((a, _)), Ok((b, _))) => a == b,
            _ => false,
        };
        if theirs.is_ok() {
            compared += 1;
        }
        if agree {
            continue;
        }
        let used = constructs(case);
        let keys: Vec<&String> = known.iter().filter(|k| used.contains(*k)).collect();
        let report = format!(
            "{}\n  definition {}\n  input {}\n  moto     {}\n  sagaview {}",
            case.id,
            case.definition,
            case.input,
            describe(theirs),
            describe(ours)
        );
        if keys.is_empty() {
            unexplained.push(report);
        } else {
            for k in keys {
                explained
                    .entry(k.clone())
                    .or_default()
                    .push(case.id.clone());
            }
        }
    }
    let stale: Vec<&String> = known
        .iter()
        .filter(|k| !explained.contains_key(*k))
        .collect();
    println!(
        "differential: {} definitions ({hand_picked} hand-picked, {} generated, seed {SEED:#x}), \
         {compared} run on moto in {:.1} s; {} known differences",
        cases.len(),
        cases.len() - hand_picked,
        moto_time.as_secs_f64(),
        known.len()
    );
    for (k, ids) in &explained {
        println!(
            "  known difference {k}: {} definition(s), e.g. {}",
            ids.len(),
            ids[0]
        );
    }
    assert!(
        unexplained.is_empty(),
        "{} definition(s) differ between moto and sagaview without a known-differences entry:\n\n{}",
        unexplained.len(),
        unexplained.join("\n\n")
    );
    assert!(
        stale.is_empty(),
        "conformance/known-differences.md lists constructs that no longer differ: {stale:?}"
    );
    assert_eq!(compared, cases.len(), "moto could not run every definition");
}

// ---------------------------------------------------------------------------------------
// The generator.

/// A seeded generator of random valid definitions without Task states.
///
/// Every flow is a chain of states named uniquely (`S<n>`); data keeps the base fields
/// of the input (states add results under new keys with `ResultPath`), so the paths the
/// generator writes always exist, and Choice rules only jump forward, so every
/// definition terminates.
mod generator {
    use serde_json::{Map, Value, json};

    use super::Case;

    /// splitmix64: tiny, stable across dependency upgrades.
    pub struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }
        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
        fn int(&mut self, lo: i64, hi: i64) -> i64 {
            lo + (self.next() % (hi - lo + 1) as u64) as i64
        }
    }

    const WORDS: [&str; 8] = [
        "alpha", "beta", "gamma", "delta", "hotel", "flight", "x", "zeta",
    ];

    /// Random input with the base fields every path the generator writes relies on.
    fn input(rng: &mut Rng) -> Value {
        let c: Vec<i64> = (0..rng.int(1, 6)).map(|_| rng.int(0, 4)).collect();
        let word = *rng.pick(&WORDS);
        let a = rng.int(-5, 20);
        json!({
            "a": a,
            "b": word,
            "c": c,
            "d": {"x": rng.int(0, 3), "y": {"z": *rng.pick(&WORDS)}},
            "d2": {"y": {"w": rng.int(0, 9)}, "q": rng.chance(50)},
            "s": format!("{{\"k\":{},\"w\":\"{}\"}}", rng.int(0, 99), rng.pick(&WORDS)),
            "csv": format!("{},{},{}", rng.pick(&WORDS), rng.pick(&WORDS), rng.int(0, 9)),
            "f": rng.int(0, 40) as f64 / 4.0,
            "t": format!("20{:02}-0{}-1{}T0{}:00:00Z", rng.int(10, 24), rng.int(1, 9), rng.int(0, 9), rng.int(0, 9)),
            "n": null,
            "yes": rng.chance(50),
            "zero": 0,
            "objs": (0..rng.int(0, 4)).map(|i| json!({"id": i, "v": *rng.pick(&WORDS)})).collect::<Vec<_>>(),
        })
    }

    /// A template value for Parameters: literals, paths and intrinsic calls.
    fn template(rng: &mut Rng) -> Value {
        let mut obj = Map::new();
        for i in 0..rng.int(1, 4) {
            let (key, value) = match rng.below(4) {
                0 => (
                    format!("lit{i}"),
                    json!(*rng.pick(&[
                        json!(1),
                        json!("s"),
                        json!([1, {"k": null}]),
                        json!({"n": true})
                    ])),
                ),
                1 => (
                    format!("p{i}.$"),
                    json!(*rng.pick(&[
                        "$.a",
                        "$.b",
                        "$.c",
                        "$.d.y",
                        "$.c[0]",
                        "$.objs[*].id",
                        "$.d2",
                        "$"
                    ])),
                ),
                2 => (
                    format!("ctx{i}.$"),
                    json!(*rng.pick(&["$$.State.Name", "$$.Execution.Input.b"])),
                ),
                _ => (format!("f{i}.$"), json!(intrinsic(rng))),
            };
            obj.insert(key, value);
        }
        Value::Object(obj)
    }

    fn intrinsic(rng: &mut Rng) -> String {
        let n = rng.int(0, 4);
        let alg = *rng.pick(&["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"]);
        let calls = [
            "States.Format('{} and {}', $.a, $.b)".to_owned(),
            "States.Format('d={}', $.d)".to_owned(),
            "States.StringToJson($.s)".to_owned(),
            "States.JsonToString($.d)".to_owned(),
            format!("States.Array($.a, $.b, {n})"),
            format!("States.ArrayPartition($.c, {})", n + 1),
            format!("States.ArrayContains($.c, {n})"),
            format!(
                "States.ArrayRange({n}, {}, {})",
                n + rng.int(0, 9),
                rng.int(1, 3)
            ),
            "States.ArrayGetItem($.c, 0)".to_owned(),
            "States.ArrayLength($.c)".to_owned(),
            "States.ArrayUnique($.c)".to_owned(),
            "States.Base64Encode($.b)".to_owned(),
            "States.Base64Decode(States.Base64Encode($.csv))".to_owned(),
            format!("States.Hash($.b, '{alg}')"),
            "States.JsonMerge($.d, $.d2, false)".to_owned(),
            format!("States.MathAdd($.a, {})", rng.int(-9, 9)),
            "States.StringSplit($.csv, ',')".to_owned(),
            "States.ArrayLength(States.StringSplit($.csv, ','))".to_owned(),
        ];
        rng.pick(&calls).clone()
    }

    fn condition(rng: &mut Rng, depth: usize) -> Value {
        if depth < 2 && rng.chance(25) {
            return match rng.below(3) {
                0 => json!({"And": [condition(rng, depth + 1), condition(rng, depth + 1)]}),
                1 => json!({"Or": [condition(rng, depth + 1), condition(rng, depth + 1)]}),
                _ => json!({"Not": condition(rng, depth + 1)}),
            };
        }
        let a = rng.int(-5, 20);
        let word = *rng.pick(&WORDS);
        let options = [
            json!({"Variable": "$.a", "NumericEquals": a}),
            json!({"Variable": "$.a", "NumericLessThan": a}),
            json!({"Variable": "$.a", "NumericGreaterThan": a}),
            json!({"Variable": "$.a", "NumericLessThanEquals": a}),
            json!({"Variable": "$.a", "NumericGreaterThanEquals": a}),
            json!({"Variable": "$.f", "NumericGreaterThan": 4.5}),
            json!({"Variable": "$.a", "NumericEqualsPath": "$.d.x"}),
            json!({"Variable": "$.a", "NumericLessThanPath": "$.d2.y.w"}),
            json!({"Variable": "$.a", "NumericGreaterThanEqualsPath": "$.zero"}),
            json!({"Variable": "$.b", "StringEquals": word}),
            json!({"Variable": "$.b", "StringLessThan": word}),
            json!({"Variable": "$.b", "StringGreaterThan": word}),
            json!({"Variable": "$.b", "StringLessThanEquals": word}),
            json!({"Variable": "$.b", "StringGreaterThanEquals": word}),
            json!({"Variable": "$.b", "StringMatches": format!("{}*", &word[..1])}),
            json!({"Variable": "$.b", "StringEqualsPath": "$.d.y.z"}),
            json!({"Variable": "$.b", "StringLessThanPath": "$.d.y.z"}),
            json!({"Variable": "$.yes", "BooleanEquals": true}),
            json!({"Variable": "$.yes", "BooleanEqualsPath": "$.d2.q"}),
            json!({"Variable": "$.t", "TimestampLessThan": "2018-01-01T00:00:00Z"}),
            json!({"Variable": "$.t", "TimestampGreaterThanEquals": "2018-01-01T00:00:00Z"}),
            json!({"Variable": "$.t", "TimestampEquals": "2018-01-01T00:00:00Z"}),
            json!({"Variable": "$.t", "TimestampLessThanEqualsPath": "$.t"}),
            json!({"Variable": "$.n", "IsNull": true}),
            json!({"Variable": "$.a", "IsNull": false}),
            json!({"Variable": "$.missing", "IsPresent": false}),
            json!({"Variable": "$.a", "IsPresent": true}),
            json!({"Variable": "$.a", "IsNumeric": true}),
            json!({"Variable": "$.b", "IsString": true}),
            json!({"Variable": "$.c", "IsString": false}),
            json!({"Variable": "$.yes", "IsBoolean": true}),
            json!({"Variable": "$.t", "IsTimestamp": true}),
            json!({"Variable": "$.b", "IsTimestamp": false}),
        ];
        rng.pick(&options).clone()
    }

    struct Gen<'r> {
        rng: &'r mut Rng,
        names: usize,
        results: usize,
    }

    impl Gen<'_> {
        fn name(&mut self) -> String {
            self.names += 1;
            format!("S{}", self.names)
        }
        fn result_key(&mut self) -> String {
            self.results += 1;
            format!("$.r{}", self.results)
        }

        /// Nested flows mostly return one field, so results do not double in size at
        /// every level (which would hit the 256 KiB payload limit).
        fn narrow_nested_output(&mut self, s: &mut Map<String, Value>, depth: usize) {
            if depth > 0 && self.rng.chance(80) {
                let path = *self.rng.pick(&["$.a", "$.b", "$.c", "$.d", "$.objs"]);
                s.insert("OutputPath".into(), json!(path));
            }
        }

        /// A flow: a chain of states, ending in End, Succeed or Fail.
        fn flow(&mut self, depth: usize, may_fail: bool) -> Value {
            let len = self.rng.int(1, if depth == 0 { 6 } else { 3 }) as usize;
            let names: Vec<String> = (0..len).map(|_| self.name()).collect();
            let mut states = Map::new();
            for (i, name) in names.iter().enumerate() {
                let next = names.get(i + 1);
                let later: Vec<&String> = names[i + 1..].iter().collect();
                let state = self.state(next, &later, depth, may_fail);
                states.insert(name.clone(), state);
            }
            json!({"StartAt": names[0], "States": states})
        }

        fn transition(&mut self, state: &mut Map<String, Value>, next: Option<&String>) {
            match next {
                Some(n) => state.insert("Next".into(), json!(n)),
                None => state.insert("End".into(), json!(true)),
            };
        }

        fn state(
            &mut self,
            next: Option<&String>,
            later: &[&String],
            depth: usize,
            may_fail: bool,
        ) -> Value {
            let last = next.is_none();
            let roll = self.rng.below(100);
            let mut s = Map::new();
            if last && roll < 15 && may_fail {
                s.insert("Type".into(), json!("Fail"));
                // Always with a cause: how a caught error without one reads is a known
                // difference (fixture:map-fail-catch), kept out of the generated ones.
                if self.rng.chance(50) {
                    s.insert("Error".into(), json!("Gen.Error"));
                    s.insert("Cause".into(), json!("generated"));
                } else {
                    s.insert("ErrorPath".into(), json!("$.b"));
                    s.insert("CausePath".into(), json!("States.Format('a={}', $.a)"));
                }
                return Value::Object(s);
            }
            if last && roll < 25 {
                s.insert("Type".into(), json!("Succeed"));
                self.narrow_nested_output(&mut s, depth);
                return Value::Object(s);
            }
            let kind = if depth >= 2 {
                self.rng.below(3)
            } else {
                self.rng.below(6)
            };
            match kind {
                0 | 1 => {
                    s.insert("Type".into(), json!("Pass"));
                    match self.rng.below(4) {
                        0 => {
                            s.insert("Result".into(), template(self.rng));
                        }
                        1 | 2 => {
                            s.insert("Parameters".into(), template(self.rng));
                        }
                        _ => {}
                    }
                    if self.rng.chance(30) {
                        s.insert("InputPath".into(), json!("$"));
                    }
                    let key = self.result_key();
                    s.insert("ResultPath".into(), json!(key));
                }
                2 => {
                    if let Some(target) = later.last().filter(|_| self.rng.chance(60)) {
                        s.insert("Type".into(), json!("Choice"));
                        let mut rule = condition(self.rng, 0);
                        rule["Next"] = json!(self.rng.pick(later));
                        s.insert("Choices".into(), json!([rule]));
                        s.insert("Default".into(), json!(target));
                        return Value::Object(s);
                    }
                    s.insert("Type".into(), json!("Wait"));
                    match self.rng.below(4) {
                        0 => s.insert("Seconds".into(), json!(0)),
                        1 => s.insert("SecondsPath".into(), json!("$.zero")),
                        2 => s.insert("Timestamp".into(), json!("2016-03-14T01:59:00Z")),
                        _ => s.insert("TimestampPath".into(), json!("$.t")),
                    };
                }
                3 => {
                    s.insert("Type".into(), json!("Parallel"));
                    // A branch that fails stops its siblings at a point that is a race on
                    // both sides, so failing Parallels get one branch; and a failure must be
                    // caught unless this flow may fail (Map iterations may not: their
                    // siblings would race too).
                    let fail_inside = self.rng.chance(20) && (next.is_some() || may_fail);
                    let n = if fail_inside { 1 } else { self.rng.int(1, 3) };
                    let branches: Vec<Value> =
                        (0..n).map(|_| self.flow(depth + 1, fail_inside)).collect();
                    s.insert("Branches".into(), json!(branches));
                    let key = self.result_key();
                    s.insert("ResultPath".into(), json!(key));
                    if let Some(next) = next.filter(|_| fail_inside) {
                        let catch_key = self.result_key();
                        s.insert(
                            "Catch".into(),
                            json!([{"ErrorEquals": ["States.ALL"], "ResultPath": catch_key, "Next": next}]),
                        );
                    }
                }
                4 => {
                    s.insert("Type".into(), json!("Map"));
                    let use_objs = self.rng.chance(40);
                    s.insert(
                        "ItemsPath".into(),
                        json!(if use_objs { "$.objs" } else { "$.c" }),
                    );
                    if self.rng.chance(50) {
                        s.insert("MaxConcurrency".into(), json!(1));
                    } else if self.rng.chance(50) {
                        s.insert("MaxConcurrency".into(), json!(self.rng.int(2, 4)));
                    }
                    let (processor_key, selector_key) = if self.rng.chance(50) {
                        ("ItemProcessor", "ItemSelector")
                    } else {
                        ("Iterator", "Parameters")
                    };
                    let mut processor = self.flow(depth + 1, false);
                    if self.rng.chance(70) {
                        s.insert(
                            selector_key.into(),
                            json!({"a.$": "$.a", "b.$": "$.b", "c.$": "$.c", "d.$": "$.d",
                                   "d2.$": "$.d2", "s.$": "$.s", "csv.$": "$.csv", "f.$": "$.f",
                                   "t.$": "$.t", "n.$": "$.n", "yes.$": "$.yes", "zero.$": "$.zero",
                                   "objs.$": "$.objs", "item.$": "$$.Map.Item.Value",
                                   "index.$": "$$.Map.Item.Index"}),
                        );
                    } else {
                        // Items are bare values: a chain of plain Pass states only.
                        let name = self.name();
                        processor = json!({"StartAt": name, "States": {name: {"Type": "Pass", "End": true}}});
                    }
                    if processor_key == "ItemProcessor" {
                        processor["ProcessorConfig"] = json!({"Mode": "INLINE"});
                    }
                    s.insert(processor_key.into(), processor);
                    let key = self.result_key();
                    s.insert("ResultPath".into(), json!(key));
                }
                _ => {
                    s.insert("Type".into(), json!("Pass"));
                    s.insert("InputPath".into(), json!("$.d"));
                    s.insert("Parameters".into(), json!({"y.$": "$.y", "x.$": "$.x"}));
                    let key = self.result_key();
                    s.insert("ResultPath".into(), json!(key));
                }
            }
            if s["Type"] != "Choice" {
                if last && depth == 0 && self.rng.chance(30) {
                    s.insert("OutputPath".into(), json!("$.b"));
                }
                if last {
                    self.narrow_nested_output(&mut s, depth);
                }
                self.transition(&mut s, next);
            }
            Value::Object(s)
        }
    }

    /// `count` definitions with their inputs, the same for the same seed.
    pub fn cases(seed: u64, count: usize) -> Vec<Case> {
        let mut rng = Rng(seed);
        (0..count)
            .map(|i| {
                let input = input(&mut rng);
                let mut g = Gen {
                    rng: &mut rng,
                    names: 0,
                    results: 0,
                };
                let definition = g.flow(0, true);
                Case {
                    id: format!("generated:{i}"),
                    definition,
                    input,
                }
            })
            .collect()
    }

    #[test]
    fn the_generator_is_deterministic_and_valid() {
        let a = cases(7, 50);
        let b = cases(7, 50);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.definition, y.definition);
            assert_eq!(x.input, y.input);
            sagaview::asl::load_definition_value(&x.definition)
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", x.id, x.definition));
        }
        assert_ne!(cases(8, 1)[0].definition, a[0].definition);
    }
}
