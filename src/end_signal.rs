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

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT, caught from the moment this is made: make it
/// before the terminal enters raw mode (or the work starts), so no signal can slip in
/// between and take its default action.
pub struct EndSignals {
    #[cfg(unix)]
    streams: [(tokio::signal::unix::Signal, EndSignal); 4],
}

impl EndSignals {
    /// Starts catching the four signals. Must be called on a tokio runtime.
    pub fn catch() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                streams: [
                    (signal(SignalKind::interrupt())?, EndSignal::INT),
                    (signal(SignalKind::terminate())?, EndSignal::TERM),
                    (signal(SignalKind::hangup())?, EndSignal::HUP),
                    (signal(SignalKind::quit())?, EndSignal::QUIT),
                ],
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for the first of them to arrive.
    pub async fn recv(&mut self) -> EndSignal {
        #[cfg(unix)]
        {
            let [(int, i), (term, t), (hup, h), (quit, q)] = &mut self.streams;
            tokio::select! {
                _ = int.recv() => *i,
                _ = term.recv() => *t,
                _ = hup.recv() => *h,
                _ = quit.recv() => *q,
            }
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => EndSignal::INT,
                Err(_) => std::future::pending().await,
            }
        }
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
