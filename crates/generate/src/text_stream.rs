//! Generated ids to the text a user may see now: the stream decoder (never half a character)
//! feeding the stop matcher (never a stop string, never text that must be taken back).

use std::ops::Deref;

use mistral_text::{StopMatcher, StreamDecoder, Tokenizer};

use crate::error::Result;

/// What one token added to the visible text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextStep {
    /// Text safe to show now (may be empty: a partial character, a possible stop string).
    pub text: String,
    /// A stop string was completed; nothing more will be shown.
    pub stopped: bool,
}

pub struct TextStream<T: Deref<Target = Tokenizer>> {
    decoder: StreamDecoder<T>,
    stops: StopMatcher,
    /// Everything shown so far (the assistant message a conversation keeps).
    shown: String,
}

impl<T: Deref<Target = Tokenizer>> TextStream<T> {
    pub fn new(tokenizer: T, stops: StopMatcher) -> Self {
        TextStream {
            decoder: StreamDecoder::new(tokenizer),
            stops,
            shown: String::new(),
        }
    }

    /// Adds one generated id.
    pub fn push(&mut self, id: u32) -> Result<TextStep> {
        if self.stops.is_stopped() {
            return Ok(TextStep {
                text: String::new(),
                stopped: true,
            });
        }
        let piece = self.decoder.step(id)?.unwrap_or_default();
        let step = self.stops.push(&piece);
        self.shown.push_str(&step.text);
        Ok(TextStep {
            text: step.text,
            stopped: step.stopped,
        })
    }

    /// Ends the text: what the decoder and the matcher still held (a stop string never
    /// completed; bytes of an unfinished character, shown as U+FFFD as `decode` shows them).
    pub fn finish(&mut self) -> Result<String> {
        if self.stops.is_stopped() {
            return Ok(String::new());
        }
        let mut text = String::new();
        if let Some(rest) = self.decoder.finish()? {
            let step = self.stops.push(&rest);
            text.push_str(&step.text);
            if step.stopped {
                self.shown.push_str(&text);
                return Ok(text);
            }
        }
        text.push_str(&self.stops.finish());
        self.shown.push_str(&text);
        Ok(text)
    }

    /// All the text shown so far.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}
