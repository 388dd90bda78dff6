//! `sagaview prune`: removes old ended executions, their histories and rows, from a
//! database file and gives the space back, since a file otherwise keeps every run.

use clap::{ArgGroup, Args};
use sagaview::store::{PruneRule, Pruned, Reclaimed, Store};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `sagaview prune`.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("rule").required(true).multiple(true).args(["keep", "older_than"])))]
pub struct PruneArgs {
    /// The database file to prune; it must exist.
    /// Default: sagaview.db in your data directory (e.g. ~/.local/share/sagaview/).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Keep the N most recently started executions (running ones counted).
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,

    /// Remove only executions that ended more than AGE ago: a whole number and a unit,
    /// s, m, h, d or w (e.g. 30m, 12h, 7d).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub older_than: Option<chrono::TimeDelta>,
}

/// Runs `prune`: 0 when done, 1 when the file could not be pruned, 2 on usage errors
/// (including a missing or unusable file).
pub fn prune(args: &PruneArgs) -> ExitCode {
    match prune_file(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

/// Exit status 2: the input cannot be used.
const USAGE: u8 = 2;
/// Exit status 1: pruning failed.
const FAILED: u8 = 1;

fn prune_file(args: &PruneArgs) -> Result<(), (u8, String)> {
    let path = match &args.db {
        Some(p) => p.clone(),
        None => Store::default_path().map_err(|e| (USAGE, e.to_string()))?,
    };
    if path.as_os_str() == ":memory:" {
        return Err((
            USAGE,
            "an in-memory database is gone when its process ends: there is nothing to prune".into(),
        ));
    }
    if !path.is_file() {
        return Err((
            USAGE,
            format!(
                "{} is not a database file (nothing there to prune); give an existing file with --db",
                path.display()
            ),
        ));
    }
    let rule =
        PruneRule {
            keep_newest: args.keep,
            ended_before: match args.older_than {
                Some(age) => Some(chrono::Utc::now().checked_sub_signed(age).ok_or_else(|| {
                    (USAGE, format!("--older-than {age} reaches before any date"))
                })?),
                None => None,
            },
        };
    let before = file_bytes(&path);
    let store = Store::open(&path).map_err(|e| match e.is_busy() {
        true => busy(&path, "nothing was removed", &e),
        false => (USAGE, e.to_string()),
    })?;
    for arn in store.recovered_on_open() {
        eprintln!("note: {arn} was still running when its process exited; marked ABORTED");
    }
    let pruned = store
        .prune(&rule)
        .map_err(|e| match e.is_busy() {
            true => busy(&path, "nothing was removed", &e),
            false => (FAILED, e.to_string()),
        })?
        .unwrap_or_default();
    println!("{}", removed_line(&path, &pruned));
    let reclaimed = store.reclaim_space().map_err(|e| match e.is_busy() {
        true => busy(
            &path,
            "the executions are removed but the space is not reclaimed",
            &e,
        ),
        false => (FAILED, format!("the space is not reclaimed: {e}")),
    })?;
    drop(store);
    let after = file_bytes(&path);
    println!(
        "file size (database and WAL): {} before, {} after",
        human(before),
        human(after)
    );
    if reclaimed == Some(Reclaimed::WalInUse) {
        println!(
            "note: another process is reading an older state of the file, so its WAL is emptied later, once that reader is done"
        );
    }
    Ok(())
}

/// Exit status 1 and what to do when another process kept the file busy.
fn busy(path: &Path, outcome: &str, e: &sagaview::store::StoreError) -> (u8, String) {
    (
        FAILED,
        format!(
            "another process kept {} busy for too long, so {outcome} ({e}); run prune \
             again when no other sagaview is writing to it",
            path.display()
        ),
    )
}

/// What was removed, in one line.
fn removed_line(path: &Path, p: &Pruned) -> String {
    format!(
        "{}: removed {} execution{}, {} history event{}, {} row{} of {} trip{}",
        path.display(),
        p.executions,
        plural(p.executions),
        p.events,
        plural(p.events),
        p.rows,
        plural(p.rows),
        p.trips,
        plural(p.trips)
    )
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The database file's size with its WAL's, which is what the data takes on disk.
fn file_bytes(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    [db, Path::new(&wal)]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Bytes for people: `4.2 MiB (4404019 bytes)`.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = None;
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = Some(u);
    }
    match unit {
        Some(u) => format!("{value:.1} {u} ({bytes} bytes)"),
        None => format!("{bytes} bytes"),
    }
}

/// An age such as `30m`, `12h` or `7d`: a whole number and one unit.
fn parse_age(s: &str) -> Result<chrono::TimeDelta, String> {
    let bad = || {
        format!(
            "{s:?} is not an age: give a whole number and a unit, s, m, h, d or w (e.g. 30m, 12h, 7d)"
        )
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = s.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        "w" => 7 * 24 * 60 * 60,
        _ => return Err(bad()),
    };
    n.checked_mul(seconds_per_unit)
        .and_then(chrono::TimeDelta::try_seconds)
        .ok_or_else(|| format!("{s:?} is too long an age"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_take_a_number_and_a_unit() {
        assert_eq!(parse_age("30m"), Ok(chrono::TimeDelta::minutes(30)));
        assert_eq!(parse_age("12h"), Ok(chrono::TimeDelta::hours(12)));
        assert_eq!(parse_age("7d"), Ok(chrono::TimeDelta::days(7)));
        assert_eq!(parse_age("2w"), Ok(chrono::TimeDelta::weeks(2)));
        assert_eq!(parse_age("0s"), Ok(chrono::TimeDelta::zero()));
        for bad in ["", "7", "d", "7x", "-1d", "1.5h", "7 d", "7dd", "+7d"] {
            let err = parse_age(bad).unwrap_err();
            assert!(err.contains("not an age"), "{bad:?}: {err}");
        }
        let err = parse_age("99999999999999999w").unwrap_err();
        assert!(
            err.contains("not an age") || err.contains("too long"),
            "{err}"
        );
        assert!(
            parse_age("9999999999999w")
                .unwrap_err()
                .contains("too long")
        );
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(human(512), "512 bytes");
        assert_eq!(human(4096), "4.0 KiB (4096 bytes)");
        assert_eq!(human(3 * 1024 * 1024 / 2), "1.5 MiB (1572864 bytes)");
    }
}
