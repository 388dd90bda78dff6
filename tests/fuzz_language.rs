//! Property-based fuzzing of everything that reads user-written text: the definition
//! loader, JSONPath and intrinsic-function parsing, and their evaluation against
//! arbitrary JSON. A definition or input is the user's to write, so any of them must
//! come back as an error, never as a panic.
//!
//! Definitions that load are also run, on the embedded runtime on virtual time:
//! mutated and made to loop, each must end within the budgets of [`budget`] (the
//! whole property runs in a child process limited in memory, each definition with a
//! wall-clock deadline), however it ends.
//!
//! The default case count keeps `cargo test` quick; for a long run, e.g.
//! `PROPTEST_CASES=200000 cargo test --release --test fuzz_language`.

#[path = "support/budget.rs"]
mod budget;

use std::path::Path;

use chrono::DateTime;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use sagaview::asl::intrinsic::IntrinsicCall;
use sagaview::asl::path::{JsonPath, insert_at};
use sagaview::asl::template::Template;
use sagaview::asl::{load_definition, load_definition_value};
use sagaview::engine::context::{ExecutionFacts, Scope, StateFacts};
use sagaview::engine::dataflow::{Env, eval_template};
use sagaview::engine::intrinsics;

fn config() -> ProptestConfig {
    // PROPTEST_CASES overrides this default.
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Strategies.

const KEYS: &[&str] = &[
    "StartAt",
    "States",
    "Type",
    "Next",
    "End",
    "Comment",
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "Result",
    "Choices",
    "Default",
    "Variable",
    "And",
    "Or",
    "Not",
    "StringEquals",
    "StringMatches",
    "NumericLessThanPath",
    "IsPresent",
    "TimestampEquals",
    "Seconds",
    "SecondsPath",
    "Timestamp",
    "TimestampPath",
    "Error",
    "Cause",
    "ErrorPath",
    "CausePath",
    "Branches",
    "Iterator",
    "ItemProcessor",
    "ProcessorConfig",
    "ItemsPath",
    "ItemSelector",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "Retry",
    "Catch",
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Resource",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "TimeoutSecondsPath",
    "ToleratedFailurePercentage",
    "QueryLanguage",
    "a.$",
    "b",
];

const WORDS: &[&str] = &[
    "Pass",
    "Task",
    "Choice",
    "Wait",
    "Succeed",
    "Fail",
    "Parallel",
    "Map",
    "A",
    "B",
    "$",
    "$.a",
    "$$.Map.Item.Value",
    "$.a[0].b",
    "$..x",
    "$.a[?(@.b > 1)]",
    "States.ALL",
    "States.Format('{}', $.a)",
    "States.ArrayRange(1, 3, 1)",
    "2020-01-01T00:00:00Z",
    "INLINE",
    "JSONPath",
    "arn:aws:states:::lambda:invoke",
    "",
];

/// Arbitrary JSON, small.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(WORDS).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z.$]{0,4}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// JSON shaped like a definition: ASL keys with ASL-ish or arbitrary values.
fn asl_like() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        prop::sample::select(WORDS).prop_map(Value::from),
        (-3i64..100_000).prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        json_value(),
    ];
    leaf.prop_recursive(6, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<String, Value>>(),
                )
            }),
        ]
    })
}

/// A definition object: `StartAt` names one of a few states built from ASL-ish parts.
fn definition_like() -> impl Strategy<Value = Value> {
    let state = || {
        prop::collection::vec((prop::sample::select(KEYS), asl_like()), 0..8).prop_map(|kv| {
            Value::Object(
                kv.into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<Map<String, Value>>(),
            )
        })
    };
    (
        prop::sample::select(
            &[
                "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
            ][..],
        ),
        state(),
        state(),
        prop::sample::select(&["A", "B", "C"][..]),
    )
        .prop_map(|(ty, mut a, b, start)| {
            a["Type"] = json!(ty);
            json!({"StartAt": start, "States": {"A": a, "B": b}})
        })
}

/// The hand-picked differential definitions: valid starting points for mutation.
fn valid_definitions() -> &'static [String] {
    static CACHE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CACHE.get_or_init(read_valid_definitions)
}

fn read_valid_definitions() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/differential");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures are readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(p).expect("readable")).expect("JSON");
            v["definition"].to_string()
        })
        .collect();
    out.sort();
    assert!(out.len() >= 30, "expected the differential fixtures");
    out
}

/// The differential fixtures' definitions with their inputs, as documents.
fn runnable_definitions() -> &'static [(Value, String)] {
    static CACHE: std::sync::OnceLock<Vec<(Value, String)>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/differential");
        let mut out: Vec<(Value, String)> = std::fs::read_dir(dir)
            .expect("fixtures are readable")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                let v: Value = serde_json::from_str(&std::fs::read_to_string(p).expect("readable"))
                    .expect("JSON");
                (v["definition"].clone(), v["input"].to_string())
            })
            .collect();
        out.sort_by_key(|(d, _)| d.to_string());
        out
    })
}

/// Numbers a definition may hold at, just past or far past Step Functions' limits.
const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "99999999",
    "100000000",
    "31622400",
    "4294967296",
    "18446744073709551615",
    "1e300",
    "0.5",
];

/// Hostile changes to a runnable definition: a state that ended leads to another
/// state (or itself) instead, making loops; a number becomes an extreme one.
#[derive(Debug, Clone)]
enum Twist {
    Loop { from: usize, to: usize },
    Number { at: usize, to: &'static str },
}

fn twist() -> impl Strategy<Value = Twist> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(from, to)| Twist::Loop { from, to }),
        (any::<usize>(), prop::sample::select(EXTREME_NUMBERS))
            .prop_map(|(at, to)| Twist::Number { at, to }),
    ]
}

fn apply_twists(definition: &Value, twists: &[Twist]) -> String {
    let mut definition = definition.clone();
    for t in twists {
        if let Twist::Loop { from, to } = t
            && let Some(states) = definition["States"].as_object_mut()
            && !states.is_empty()
        {
            let names: Vec<String> = states.keys().cloned().collect();
            let from = &names[from % names.len()];
            let to = &names[to % names.len()];
            if let Some(state) = states.get_mut(from).and_then(Value::as_object_mut)
                && state.remove("End").is_some()
            {
                state.insert("Next".into(), json!(to));
            }
        }
    }
    let mut text = definition.to_string();
    for t in twists {
        if let Twist::Number { at, to } = t {
            let digits: Vec<usize> = text
                .char_indices()
                .filter(|(i, c)| {
                    c.is_ascii_digit() && !text[..*i].ends_with(|p: char| p.is_ascii_alphanumeric())
                })
                .map(|(i, _)| i)
                .collect();
            if let Some(&start) = digits.get(at % digits.len().max(1)) {
                let end = text[start..]
                    .find(|c: char| !c.is_ascii_digit() && c != '.')
                    .map_or(text.len(), |n| start + n);
                text.replace_range(start..end, to);
            }
        }
    }
    text
}

/// The variable that makes [`generated_definitions_run_child`] run.
const RUN_VAR: &str = "SAGAVIEW_FUZZ_RUN_CHILD";

/// Byte-level edits of a valid definition's text.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..8).prop_map(|(a, n)| Edit::Delete(a, n)),
        (
            any::<usize>(),
            prop_oneof![
                prop::sample::select(WORDS).prop_map(|w| format!("\"{w}\"")),
                "[{}\\[\\],:\"$.()'0-9a-z\\\\ ]{1,6}",
            ]
        )
            .prop_map(|(a, s)| Edit::Insert(a, s)),
        (any::<usize>(), any::<char>()).prop_map(|(a, c)| Edit::Replace(a, c)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let len = chars.len().max(1);
        match e {
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(chars.len());
                if at < end {
                    chars.drain(at..end);
                }
            }
            Edit::Insert(at, s) => {
                let at = at % (chars.len() + 1);
                chars.splice(at..at, s.chars());
            }
            Edit::Replace(at, c) => {
                if !chars.is_empty() {
                    let at = at % chars.len();
                    chars[at] = *c;
                }
            }
            Edit::Truncate(at) => chars.truncate(at % len),
        }
    }
    chars.into_iter().collect()
}

/// Path-looking text: `$`/`$$` then segments of every kind, sometimes broken.
fn path_text() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        "\\.[a-zA-Z_][a-zA-Z0-9_]{0,3}",
        "\\.\\*",
        "\\.\\.[a-z]{0,2}",
        "\\[[0-9]{1,3}\\]",
        "\\[-?[0-9]{0,2}:-?[0-9]{0,2}(:[0-9])?\\]",
        "\\[\\*\\]",
        "\\['[a-z .]{0,4}'\\]",
        "\\[\\?\\(@\\.[a-z]{1,2} ?(==|<|>|<=|>=|!=) ?(-?[0-9]{1,2}|'[a-z]{0,2}'|true)\\)\\]",
        "\\[[0-9],[0-9]\\]",
        ".{1,3}",
    ];
    (
        prop::sample::select(&["$", "$$", "$.", "", "$$.Map.Item"][..]),
        prop::collection::vec(segment, 0..5),
    )
        .prop_map(|(root, segs)| format!("{root}{}", segs.concat()))
}

const FUNCTIONS: &[&str] = &[
    "Format",
    "StringToJson",
    "JsonToString",
    "Array",
    "ArrayPartition",
    "ArrayContains",
    "ArrayRange",
    "ArrayGetItem",
    "ArrayLength",
    "ArrayUnique",
    "Base64Encode",
    "Base64Decode",
    "Hash",
    "JsonMerge",
    "MathRandom",
    "MathAdd",
    "StringSplit",
    "UUID",
    "Nope",
];

fn intrinsic_arg(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (-20i64..20).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        "'[a-z{}\\\\' ,]{0,8}'",
        prop::sample::select(
            &[
                "'MD5'",
                "'SHA-1'",
                "'SHA-256'",
                "'SHA-512'",
                "'{}'",
                "true",
                "null",
                "''",
                "','"
            ][..]
        )
        .prop_map(str::to_owned),
        path_text(),
        ".{0,4}",
    ];
    if depth == 0 {
        leaf.boxed()
    } else {
        prop_oneof![3 => leaf, 1 => intrinsic_call(depth - 1)].boxed()
    }
}

fn intrinsic_call(depth: u32) -> BoxedStrategy<String> {
    (
        prop::sample::select(FUNCTIONS),
        prop::collection::vec(intrinsic_arg(depth), 0..4),
        prop::sample::select(&["States.", "States.", "States.", "", "states."][..]),
        prop::sample::select(&[")", ")", ")", "", "))", ") x"][..]),
    )
        .prop_map(|(f, args, prefix, close)| format!("{prefix}{f}({}{close}", args.join(", ")))
        .boxed()
}

fn facts(input: &Value) -> ExecutionFacts {
    ExecutionFacts {
        id: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
        name: "e".into(),
        input: input.to_string().into(),
        start_time: "2023-11-14T22:13:20.000Z".into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        machine_id: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
        machine_name: "m".into(),
        redrive_count: 0,
        redrive_time: None,
    }
}

fn with_env<T>(input: &Value, item: &Value, f: impl FnOnce(&mut Env<'_>) -> T) -> T {
    let facts = facts(input);
    let mut rng = StdRng::seed_from_u64(1);
    let mut env = Env {
        scope: Scope {
            execution: &facts,
            state: StateFacts {
                name: "S",
                entered_time: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
                retry_count: Some(0),
                map_item: Some((1, item)),
                task_token: None,
            },
        },
        rng: &mut rng,
    };
    f(&mut env)
}

// ---------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_loader_never_panics_on_text(text in ".{0,200}") {
        let _ = load_definition(&text);
    }

    #[test]
    fn the_loader_never_panics_on_definition_shaped_json(v in definition_like()) {
        let _ = load_definition_value(&v);
        let _ = load_definition(&v.to_string());
    }

    #[test]
    fn the_loader_never_panics_on_arbitrary_json(v in asl_like()) {
        let _ = load_definition_value(&v);
    }

    #[test]
    fn the_loader_never_panics_on_edited_definitions(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let valid = valid_definitions();
        let original = which.get(valid);
        prop_assert!(load_definition(original).is_ok(), "a fixture no longer loads: {original}");
        let _ = load_definition(&apply_edits(original, &edits));
    }

    #[test]
    fn paths_never_panic(text in path_text(), doc in json_value(), value in json_value()) {
        if let Ok(path) = JsonPath::parse(&text) {
            let _ = path.select(&doc);
            if let Some(segments) = path.plain_segments() {
                let mut target = doc.clone();
                let _ = insert_at(&mut target, segments, value);
            }
        }
    }

    #[test]
    fn intrinsic_calls_never_panic(text in intrinsic_call(2), input in json_value(), item in json_value()) {
        if let Ok(call) = IntrinsicCall::parse(&text) {
            with_env(&input, &item, |env| {
                let _ = intrinsics::evaluate(&call, &input, env);
            });
        }
    }

    #[test]
    fn intrinsic_parsing_never_panics_on_text(text in ".{0,60}") {
        let _ = IntrinsicCall::parse(&text);
        let _ = IntrinsicCall::parse(&format!("States.Format({text})"));
    }

    #[test]
    fn templates_never_panic(
        template in prop::collection::vec(("[a-z]{1,3}", prop_oneof![intrinsic_call(1), path_text()]), 1..4),
        input in json_value(),
        item in json_value(),
    ) {
        let value = Value::Object(
            template.into_iter().map(|(k, v)| (format!("{k}.$"), Value::String(v))).collect(),
        );
        if let Ok(t) = Template::compile(&value) {
            with_env(&input, &item, |env| {
                let _ = eval_template(&t, &input, env);
            });
        }
    }
}

/// How many definitions the run property tries: each can run to the history limit, so
/// by default fewer than the parsing properties; PROPTEST_CASES overrides it.
fn run_config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48);
    ProptestConfig { cases, ..config() }
}

/// Runs `definition` on `input` within the wall-clock budget, from a thread of its
/// own: past the budget, the definition is printed and this process ends at once
/// (failing the parent's check), since a thread cannot be stopped.
fn run_within_budget(definition: String, input: String) -> Value {
    let (tx, rx) = std::sync::mpsc::channel();
    let shown = definition.clone();
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let _ = tx.send(budget::run_definition(&definition, &input, None));
        })
        .expect("a thread starts");
    match rx.recv_timeout(budget::WALL_BUDGET) {
        Ok(outcome) => outcome,
        Err(_) => {
            eprintln!("ran past the wall-clock budget: {shown}");
            std::process::exit(3);
        }
    }
}

/// Runs in the child process only (see [`generated_definitions_run_within_budgets`]).
#[test]
fn generated_definitions_run_child() {
    if std::env::var(RUN_VAR).is_err() {
        return;
    }
    let mut runner = proptest::test_runner::TestRunner::new(run_config());
    let strategy = (
        any::<prop::sample::Index>(),
        prop::collection::vec(twist(), 1..4),
        prop::collection::vec(edit(), 0..2),
    );
    let ran = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&strategy, |(which, twists, edits)| {
        let (definition, input) = which.get(runnable_definitions());
        let text = apply_edits(&apply_twists(definition, &twists), &edits);
        let outcome = run_within_budget(text.clone(), input.clone());
        if outcome.get("status").is_some() {
            ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        prop_assert!(
            outcome.get("status").is_some()
                || outcome.get("rejected").is_some()
                || outcome.get("start_refused").is_some(),
            "{text}: {outcome}"
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Most twisted definitions still load and run: the property is not vacuous.
    let ran = ran.into_inner();
    assert!(ran > 0, "no generated definition ran");
    budget::print_outcome(&json!({ "ran": ran }));
}

/// Generated definitions, run on the runtime, each end within the budgets: the
/// property runs in a child process limited in memory, so an overflowed stack or an
/// exhausted memory fails this test with the child's last words.
#[test]
fn generated_definitions_run_within_budgets() {
    match budget::run_child_for(
        "generated_definitions_run_child",
        &[(RUN_VAR, "1")],
        std::time::Duration::from_secs(300),
    ) {
        budget::ChildEnd::Outcome(outcome) => println!("generated definitions: {outcome}"),
        budget::ChildEnd::TimedOut => panic!("the generated definitions ran past their budget"),
        budget::ChildEnd::Crashed { status, stderr } => {
            panic!("a generated definition crashed the run ({status}): {stderr}")
        }
    }
}

/// The properties above only prove something if valid input is accepted too: a
/// generator that only ever produced rejected text would pass vacuously.
#[test]
fn the_generators_reach_the_evaluators() {
    let call = IntrinsicCall::parse("States.MathAdd($.a, 2)").expect("parses");
    let input = json!({"a": 40});
    let out = with_env(&input, &Value::Null, |env| {
        intrinsics::evaluate(&call, &input, env)
    });
    assert_eq!(out.expect("evaluates"), json!(42));
    let path = JsonPath::parse("$.a").expect("parses");
    assert_eq!(path.select(&input).expect("found").into_owned(), json!(40));
}
