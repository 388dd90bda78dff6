//! `sagaview open FILE`: a saved execution in the terminal UI, read-only.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use sagaview::backend::file::FileBackend;
use sagaview::share::OpenedExecution;

/// `sagaview open`.
#[derive(Debug, Clone, Args)]
pub struct OpenArgs {
    /// The saved execution, or `-` to read it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The state machine's definition (ASL JSON) to draw the graph from, instead of
    /// the file's own or one built from the history.
    #[arg(long, value_name = "FILE")]
    pub definition: Option<PathBuf>,
}

/// A file's text, or why it cannot be read.
fn read_text(path: &Path) -> Result<String, String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// What the header and errors call the file.
fn display_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        return "stdin".into();
    }
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Reads the file (and `--definition`), then runs the UI on it; see [`OpenArgs`] and
/// the command's help for the exit status.
pub fn open(
    args: &OpenArgs,
    theme: sagaview::tui::Theme,
    log_file: Option<PathBuf>,
    export_dir: Option<PathBuf>,
) -> ExitCode {
    let opened = match load(args) {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let backend = FileBackend::new(&display_name(&args.file), opened);
    let options = sagaview::tui::TuiOptions {
        pace: None,
        log_file,
        theme,
        export_dir,
        ..sagaview::tui::TuiOptions::default()
    };
    let runtime = match sagaview::async_runtime::build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(sagaview::tui::run(Arc::new(backend), options)) {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(signal)) => ExitCode::from(signal.exit_status()),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The saved execution, read and checked before the terminal is taken over.
fn load(args: &OpenArgs) -> Result<OpenedExecution, String> {
    let name = display_name(&args.file);
    let text = read_text(&args.file)?;
    let definition = match &args.definition {
        Some(path) => Some((read_text(path)?, path.display().to_string())),
        None => None,
    };
    let definition = definition
        .as_ref()
        .map(|(text, name)| (text.as_str(), name.as_str()));
    let source = if args.file.as_os_str() == "-" {
        name
    } else {
        args.file.display().to_string()
    };
    OpenedExecution::parse(&text, &source, definition).map_err(|e| e.to_string())
}
