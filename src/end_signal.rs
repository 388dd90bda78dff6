//! The signals that end `run` and the terminal UI, and the exit status they end with.
//!
//! SIGINT, SIGTERM, SIGHUP and SIGQUIT are caught rather than left to kill the process,
//! so the terminal is restored and pending work is dropped cleanly; the process then
//! exits with 128 + the signal's number, the status a shell reports for a process the
//! signal killed, so scripts read it the same either way.

/// A signal that asked the process to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndSignal(pub i32);

impl EndSignal {
    /// SIGINT (Ctrl-C outside raw mode).
    pub const INT: EndSignal = EndSignal(2);
    /// SIGQUIT (Ctrl-\ outside raw mode).
    pub const QUIT: EndSignal = EndSignal(3);
    /// SIGHUP (the terminal went away).
    pub const HUP: EndSignal = EndSignal(1);
    /// SIGTERM (`kill`'s default).
    pub const TERM: EndSignal = EndSignal(15);

    /// 128 + the signal's number.
    pub fn exit_status(self) -> u8 {
        u8::try_from(128 + self.0).unwrap_or(u8::MAX)
    }

    /// `SIGTERM`, ...
    pub fn name(self) -> String {
        match self {
            Self::INT => "SIGINT".into(),
            Self::QUIT => "SIGQUIT".into(),
            Self::HUP => "SIGHUP".into(),
            Self::TERM => "SIGTERM".into(),
            Self(n) => format!("signal {n}"),
        }
    }
}

/// Waits for the first of SIGINT, SIGTERM, SIGHUP and SIGQUIT; `None` when they cannot
/// be caught (then they keep their default action). Must run on a tokio runtime.
pub async fn first_end_signal() -> Option<EndSignal> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term), Ok(mut hup), Ok(mut quit)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::quit()),
        ) else {
            return None;
        };
        tokio::select! {
            _ = int.recv() => Some(EndSignal::INT),
            _ = term.recv() => Some(EndSignal::TERM),
            _ = hup.recv() => Some(EndSignal::HUP),
            _ = quit.recv() => Some(EndSignal::QUIT),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok().map(|()| EndSignal::INT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_128_plus_the_number() {
        assert_eq!(EndSignal::QUIT.exit_status(), 131);
        assert_eq!(EndSignal::TERM.exit_status(), 143);
        assert_eq!(EndSignal::INT.exit_status(), 130);
        assert_eq!(EndSignal::HUP.exit_status(), 129);
        assert_eq!(EndSignal::TERM.name(), "SIGTERM");
    }
}
