//! A chat's memory: the system prompt and the turns so far, kept by the CLI's REPL (the server
//! and the browser get the whole conversation with each request and use [`fit_messages`]
//! directly).

use mistral_text::{ChatTemplate, Message, Tokenizer};

use crate::context::{fit_messages, ContextLimits, Fitted};
use crate::error::Result;

/// The chat template's rendering, done in-process (`None`) or by the caller's renderer (the CLI
/// renders a model's template in a sandboxed child process: `template_sandbox::render`).
pub type Renderer<'a> = &'a dyn Fn(&[Message], bool) -> mistral_text::Result<String>;

/// The prompt's tokens for `messages` with the generation prompt added.
pub fn encode_messages(
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    messages: &[Message],
    render: Option<Renderer<'_>>,
) -> Result<Vec<u32>> {
    Ok(match render {
        Some(r) => template.encode_with(tokenizer, messages, true, r)?,
        None => template.encode(tokenizer, messages, true)?,
    })
}

#[derive(Clone, Debug, Default)]
pub struct Conversation {
    system: Option<String>,
    /// User and assistant messages, oldest first.
    turns: Vec<Message>,
}

impl Conversation {
    pub fn new(system: Option<String>) -> Self {
        Conversation {
            system,
            turns: Vec::new(),
        }
    }

    pub fn system(&self) -> Option<&str> {
        self.system.as_deref()
    }

    /// Replaces the system prompt (`/system`); the turns stay. The next prompt then differs
    /// from its start, so it is prefilled again.
    pub fn set_system(&mut self, system: Option<String>) {
        self.system = system;
    }

    /// Forgets the turns (`/reset`); the system prompt stays.
    pub fn clear(&mut self) {
        self.turns.clear();
    }

    pub fn push_user(&mut self, content: impl Into<String>) {
        self.turns.push(Message::user(content));
    }

    pub fn push_assistant(&mut self, content: impl Into<String>) {
        self.turns.push(Message::assistant(content));
    }

    /// Removes the last message if it is the user's (an answer that failed or was cancelled
    /// before any text, so the user can ask again).
    pub fn pop_user(&mut self) -> Option<Message> {
        if self.turns.last().is_some_and(|m| m.role == "user") {
            return self.turns.pop();
        }
        None
    }

    pub fn turns(&self) -> &[Message] {
        &self.turns
    }

    /// The system message (if any) followed by the turns.
    pub fn messages(&self) -> Vec<Message> {
        self.system
            .iter()
            .map(|s| Message::system(s.clone()))
            .chain(self.turns.iter().cloned())
            .collect()
    }

    /// The prompt for the next answer, fitted to the context (see [`fit_messages`]): turns
    /// dropped to fit are forgotten here too, so the memory matches what the model sees.
    pub fn prompt(
        &mut self,
        template: &ChatTemplate,
        tokenizer: &Tokenizer,
        render: Option<Renderer<'_>>,
        limits: ContextLimits,
        reserve: usize,
    ) -> Result<Fitted> {
        let messages = self.messages();
        let fitted = fit_messages(&messages, limits, reserve, |m| {
            encode_messages(template, tokenizer, m, render)
        })?;
        self.turns.drain(..fitted.dropped);
        Ok(fitted)
    }
}
