//! Copying to the clipboard of the terminal the UI runs in, by OSC 52: it reaches the
//! user's own clipboard over SSH and through tmux (with `set-clipboard on`), where no
//! local clipboard tool could. A terminal that ignores it gets nothing, which is why
//! whatever is copied is also shown in a notice.

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine;

/// The escape sequence that asks the terminal to put `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

/// Where copies go.
#[derive(Debug, Clone, Default)]
pub enum Clipboard {
    /// Nowhere: a UI drawn into a test backend has no terminal to ask.
    #[default]
    Discard,
    /// The terminal on standard output.
    Terminal,
    /// The bytes that would be written to the terminal, for a test to read.
    Capture(Arc<Mutex<Vec<u8>>>),
}

impl Clipboard {
    /// Asks for `text` to be copied.
    pub fn copy(&self, text: &str) -> std::io::Result<()> {
        let sequence = osc52(text);
        match self {
            Clipboard::Discard => Ok(()),
            Clipboard::Terminal => {
                let mut out = std::io::stdout().lock();
                out.write_all(sequence.as_bytes())?;
                out.flush()
            }
            Clipboard::Capture(bytes) => {
                bytes
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(sequence.as_bytes());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_carries_the_text_in_base64() {
        assert_eq!(osc52("arn:x"), "\x1b]52;c;YXJuOng=\x07");
    }

    #[test]
    fn a_capture_keeps_every_copy() {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let clipboard = Clipboard::Capture(bytes.clone());
        clipboard.copy("a").expect("copy");
        clipboard.copy("b").expect("copy");
        let written = String::from_utf8(bytes.lock().expect("lock").clone()).expect("utf-8");
        assert_eq!(written, format!("{}{}", osc52("a"), osc52("b")));
    }
}
