//! What one case may use: wall-clock time and memory, as given on the command line.

use std::time::Duration;

/// The limits each case runs under, so one hostile definition cannot hold up or bring
/// down a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time from handing the case to its process to its verdict.
    pub wall: Duration,
    /// Address space of the process running the case, in bytes.
    pub memory: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            wall: Duration::from_secs(10),
            memory: 512 * MB,
        }
    }
}

const KB: u64 = 1 << 10;
const MB: u64 = 1 << 20;
const GB: u64 = 1 << 30;

/// Parses `10s`, `1500ms`, `2m` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = split_number(t);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 10s, 500ms or 2m"))?;
    let seconds = match unit.to_ascii_lowercase().as_str() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        other => return Err(format!("{text:?}: unknown unit {other:?} (ms, s or m)")),
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
        return Err(format!("{text:?}: must be more than 0 and at most a day"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses `512MB`, `2G`, `300MiB`, `65536K` (binary multiples; a bare number is bytes).
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (number, unit) = split_number(t);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 512MB or 2GB"))?;
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => KB,
        "m" | "mb" | "mib" => MB,
        "g" | "gb" | "gib" => GB,
        other => return Err(format!("{text:?}: unknown unit {other:?} (KB, MB or GB)")),
    };
    let bytes = value * scale as f64;
    // Below this a process cannot even start the runtime.
    if !(bytes.is_finite() && bytes >= (64 * MB) as f64 && bytes <= (1u64 << 46) as f64) {
        return Err(format!("{text:?}: must be from 64MB to 64TB"));
    }
    Ok(bytes as u64)
}

/// Shows a byte count the way it is usually given (`512MB`).
pub fn show_memory(bytes: u64) -> String {
    if bytes.is_multiple_of(GB) {
        format!("{}GB", bytes / GB)
    } else if bytes.is_multiple_of(MB) {
        format!("{}MB", bytes / MB)
    } else {
        format!("{bytes} bytes")
    }
}

fn split_number(t: &str) -> (&str, &str) {
    let at = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    (&t[..at], t[at..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        for bad in ["", "0s", "-1s", "ten", "5h", "1e9s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_memory("512MB"), Ok(512 * MB));
        assert_eq!(parse_memory("2G"), Ok(2 * GB));
        assert_eq!(parse_memory("65536KiB"), Ok(64 * MB));
        for bad in ["", "1MB", "lots", "5TB", "-512MB"] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
        assert_eq!(show_memory(512 * MB), "512MB");
        assert_eq!(show_memory(2 * GB), "2GB");
    }
}
