//! `sagaview completions SHELL` and `sagaview man`: what a packager installs.

use std::process::{Command, Output};

fn sagaview(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sagaview"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout_of(args: &[&str]) -> String {
    let out = sagaview(args);
    assert!(
        out.status.success(),
        "sagaview {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn every_shell_gets_a_script_of_the_public_commands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        for word in ["run", "conformance", "prune", "completions", "trip-id"] {
            assert!(script.contains(word), "{shell}: no {word:?} in\n{script}");
        }
        assert!(
            !script.contains("conformance-worker"),
            "{shell}: the internal case process is offered"
        );
    }
}

#[test]
fn the_bash_script_is_valid_bash_and_defines_its_completion() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sagaview.bash");
    std::fs::write(&path, stdout_of(&["completions", "bash"])).unwrap();
    let check = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p sagaview",
            path.display()
        ))
        .output()
        .expect("bash runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("_sagaview"));
}

#[test]
fn the_manual_page_is_roff_naming_the_commands() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH sagaview 1"), "{page}");
    for word in ["run", "conformance", "prune", "completions"] {
        assert!(page.contains(word), "no {word:?} in the manual page");
    }
    assert!(
        !page.contains("worker"),
        "the internal case process is documented"
    );
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = sagaview(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tcsh"));
}
