//! Runs the conformance pack and guards every case listed in conformance/passing.txt;
//! the cases that fail must be exactly those explained in conformance/failures.md.

use std::collections::BTreeSet;
use std::path::Path;

use sagaview::conformance::{load_cases, run_cases_blocking, summary_line};

#[test]
fn listed_cases_keep_passing() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/conformance/cases"
    ));
    assert!(
        dir.is_dir(),
        "the conformance pack is missing: expected the case directory at {}",
        dir.display()
    );
    let listed: BTreeSet<String> = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/passing.txt"
    ))
    .expect("conformance/passing.txt is readable")
    .lines()
    .map(str::trim)
    .filter(|l| !l.is_empty())
    .map(str::to_owned)
    .collect();
    assert!(!listed.is_empty(), "conformance/passing.txt lists no case");

    let cases = load_cases(dir).expect("the pack loads");
    let results = run_cases_blocking(&cases).expect("a runtime starts");
    println!("conformance: {}", summary_line(&results));

    let known: BTreeSet<&str> = results.iter().map(|r| r.id.as_str()).collect();
    let missing: Vec<&String> = listed
        .iter()
        .filter(|id| !known.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "listed cases not in the pack: {missing:?}"
    );

    let regressions: Vec<String> = results
        .iter()
        .filter(|r| listed.contains(&r.id))
        .filter_map(|r| r.failure.as_ref().map(|why| format!("{}: {why}", r.id)))
        .collect();
    for r in results
        .iter()
        .filter(|r| r.passed() && !listed.contains(&r.id))
    {
        println!("newly passing (add to conformance/passing.txt): {}", r.id);
    }
    // conformance/failures.md lists every failing case with its reason: a case that
    // starts passing or newly fails must be moved in or out of it.
    let explained: BTreeSet<String> = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/failures.md"
    ))
    .expect("conformance/failures.md is readable")
    .lines()
    .filter_map(|l| l.strip_prefix("- `"))
    .filter_map(|l| l.split('`').next())
    .map(str::to_owned)
    .collect();
    let failing: BTreeSet<String> = results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(
        failing, explained,
        "the failing cases and the list in conformance/failures.md differ"
    );
    assert!(
        regressions.is_empty(),
        "{} listed case(s) no longer pass:\n{}",
        regressions.len(),
        regressions.join("\n")
    );
}
