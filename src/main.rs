//! The `sagaview` binary: a thin shell over the library.

mod aws_args;
mod cli;
mod db_path;
mod load_cmd;
mod open_cmd;
mod prune_cmd;
mod run_cmd;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::run(cli::Cli::parse())
}
