//! The context policy, the same in the CLI, the server and the browser:
//!
//! - a model with a sliding window rolls on: its ring keeps the last `window` tokens, so any
//!   prompt fits and nothing is dropped;
//! - a model without one holds `capacity` tokens: the oldest turns after the system prompt are
//!   dropped (a user message with the answers that follow it) until the prompt fits, and the
//!   caller shows a notice; the prompt is then re-prefilled (it no longer extends the cache);
//! - a last message that does not fit even alone (with the system prompt) is an error.

use mistral_text::Message;

use crate::error::{GenerateError, Result};

/// What the engine's KV cache holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextLimits {
    /// Tokens the cache holds (the ring's length; the window for a windowed model).
    pub capacity: usize,
    /// The model has a sliding window: the cache rolls instead of filling up.
    pub windowed: bool,
}

impl ContextLimits {
    /// Answer tokens a prompt must leave free before old turns are dropped: the request's
    /// `max_tokens`, at most a quarter of the context (so a long answer request cannot make
    /// every turn drop), and a quarter of it when the request gives none. The same in the CLI,
    /// the server and the browser.
    pub fn answer_reserve(&self, requested: Option<usize>) -> usize {
        requested
            .unwrap_or(usize::MAX)
            .min(self.capacity / 4)
            .max(1)
    }

    /// The answer's token budget: the request's `max_tokens`, bounded (without a window) by
    /// what the context still holds after `prompt_len` tokens; without a request, the rest of
    /// the context, or `windowed_default` for a windowed model (which never fills).
    ///
    /// The token after the last one that fits is still produced (from the last logits), so a
    /// full context yields `capacity - prompt_len + 1` tokens.
    pub fn max_tokens(
        &self,
        requested: Option<usize>,
        prompt_len: usize,
        windowed_default: usize,
    ) -> usize {
        if self.windowed {
            return requested.unwrap_or(windowed_default);
        }
        let room = self.capacity.saturating_sub(prompt_len);
        match requested {
            Some(m) => m.min(room + 1),
            None => room,
        }
    }
}

/// A prompt that fits the context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fitted {
    /// The prompt's tokens.
    pub tokens: Vec<u32>,
    /// How many messages were dropped from the front (after the system messages).
    pub dropped: usize,
    /// For the user when turns were dropped.
    pub notice: Option<String>,
}

/// Encodes `messages` (through `encode`, the chat template) so that the prompt leaves at least
/// `reserve` tokens of the context for the answer, dropping the oldest turns after the leading
/// system messages when needed (see the module docs). With the turns dropped down to the last
/// user message, a prompt that leaves at least one token is accepted even if less than
/// `reserve` (the answer then ends with `length`); one that leaves none is
/// [`GenerateError::MessageTooLong`].
pub fn fit_messages(
    messages: &[Message],
    limits: ContextLimits,
    reserve: usize,
    mut encode: impl FnMut(&[Message]) -> Result<Vec<u32>>,
) -> Result<Fitted> {
    if messages.is_empty() {
        return Err(GenerateError::NoMessages);
    }
    let system = messages.iter().take_while(|m| m.role == "system").count();
    let mut start = system;
    loop {
        let kept: Vec<Message> = messages[..system]
            .iter()
            .chain(&messages[start..])
            .cloned()
            .collect();
        let tokens = encode(&kept)?;
        if limits.windowed || tokens.len() + reserve.max(1) <= limits.capacity {
            return Ok(fitted(tokens, start - system));
        }
        match next_turn(messages, start) {
            Some(next) => start = next,
            None if tokens.len() < limits.capacity => return Ok(fitted(tokens, start - system)),
            None => {
                return Err(GenerateError::MessageTooLong {
                    tokens: tokens.len(),
                    capacity: limits.capacity,
                })
            }
        }
    }
}

/// Where the turn after the one starting at `start` begins: the next user message after
/// `start`, if the last message is not part of the turn being dropped.
fn next_turn(messages: &[Message], start: usize) -> Option<usize> {
    let next = (start + 1..messages.len()).find(|&i| messages[i].role == "user")?;
    Some(next)
}

fn fitted(tokens: Vec<u32>, dropped: usize) -> Fitted {
    let notice = (dropped > 0).then(|| {
        format!(
            "the conversation passed the context: dropped the oldest {dropped} message{} (the system prompt is kept)",
            if dropped == 1 { "" } else { "s" }
        )
    });
    Fitted {
        tokens,
        dropped,
        notice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_reserve_is_the_request_within_a_quarter_of_the_context() {
        let l = ContextLimits {
            capacity: 4096,
            windowed: false,
        };
        assert_eq!(l.answer_reserve(Some(100)), 100);
        assert_eq!(l.answer_reserve(Some(100_000)), 1024);
        assert_eq!(l.answer_reserve(None), 1024);
        let tiny = ContextLimits {
            capacity: 2,
            windowed: false,
        };
        assert_eq!(tiny.answer_reserve(None), 1);
    }

    /// One token per character of each message, plus 2 per message (a stand-in template).
    fn encode(m: &[Message]) -> Result<Vec<u32>> {
        Ok(m.iter()
            .flat_map(|m| std::iter::repeat_n(7u32, m.content.len() + 2))
            .collect())
    }

    fn chat() -> Vec<Message> {
        vec![
            Message::system("sys"),     // 5
            Message::user("aaaa"),      // 6
            Message::assistant("bbbb"), // 6
            Message::user("cccc"),      // 6
            Message::assistant("dddd"), // 6
            Message::user("ee"),        // 4
        ]
    }

    #[test]
    fn everything_fits_nothing_dropped() {
        let limits = ContextLimits {
            capacity: 40,
            windowed: false,
        };
        let f = fit_messages(&chat(), limits, 5, encode).unwrap();
        assert_eq!((f.tokens.len(), f.dropped, f.notice), (33, 0, None));
    }

    #[test]
    fn oldest_turns_after_the_system_prompt_are_dropped_whole() {
        // 33 tokens + reserve 5 > 30: drop the first user/assistant pair (12) -> 21.
        let limits = ContextLimits {
            capacity: 30,
            windowed: false,
        };
        let f = fit_messages(&chat(), limits, 5, encode).unwrap();
        assert_eq!((f.tokens.len(), f.dropped), (21, 2));
        assert!(f.notice.unwrap().contains("dropped the oldest 2 messages"));
        // Tighter: only system + the last user message remain (9 tokens).
        let limits = ContextLimits {
            capacity: 12,
            windowed: false,
        };
        let f = fit_messages(&chat(), limits, 5, encode).unwrap();
        assert_eq!((f.tokens.len(), f.dropped), (9, 4));
        // Less room than the reserve but some: accepted (the answer will end with length).
        let limits = ContextLimits {
            capacity: 10,
            windowed: false,
        };
        assert_eq!(
            fit_messages(&chat(), limits, 5, encode)
                .unwrap()
                .tokens
                .len(),
            9
        );
    }

    #[test]
    fn a_message_longer_than_the_context_is_an_error() {
        let limits = ContextLimits {
            capacity: 9,
            windowed: false,
        };
        let e = fit_messages(&chat(), limits, 5, encode).unwrap_err();
        assert!(
            matches!(
                e,
                GenerateError::MessageTooLong {
                    tokens: 9,
                    capacity: 9
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("context holds 9"), "{e}");
    }

    #[test]
    fn a_windowed_model_rolls_on() {
        let limits = ContextLimits {
            capacity: 8,
            windowed: true,
        };
        let f = fit_messages(&chat(), limits, 5, encode).unwrap();
        assert_eq!((f.tokens.len(), f.dropped), (33, 0));
    }

    #[test]
    fn max_tokens_follow_the_context() {
        let fixed = ContextLimits {
            capacity: 100,
            windowed: false,
        };
        assert_eq!(fixed.max_tokens(None, 60, 512), 40);
        assert_eq!(fixed.max_tokens(Some(10), 60, 512), 10);
        assert_eq!(fixed.max_tokens(Some(1000), 60, 512), 41);
        let rolling = ContextLimits {
            capacity: 100,
            windowed: true,
        };
        assert_eq!(rolling.max_tokens(None, 600, 512), 512);
        assert_eq!(rolling.max_tokens(Some(1000), 600, 512), 1000);
    }
}
