//! Chat templates: turning a conversation into the prompt text the model was trained on.
//!
//! Models ship their format as a Jinja template (GGUF `tokenizer.chat_template`, or
//! tokenizer_config.json). It is rendered here with minijinja set up like transformers'
//! `apply_chat_template`: `trim_blocks` and `lstrip_blocks` on, variables `messages`,
//! `add_generation_prompt`, `bos_token`, `eos_token`, a `raise_exception` function, `{% break %}`
//! / `{% continue %}`, and Python string methods (`.strip()`, `.startswith()`, ...) through
//! minijinja-contrib's pycompat. A GGUF without a template gets the built-in Mistral v1
//! `[INST]` template (`templates/mistral_v1.jinja`).
//!
//! The rendered text is encoded with special-token parsing on (so `<s>` or `<|im_start|>` that
//! the template writes become the special tokens) and without adding a second BOS. Special-token
//! text inside message content stays plain text (see `special_text.rs`): only the template's
//! own text yields control tokens.

use crate::error::{Result, TextError};
use crate::special_text::unprotect;
use crate::tokenizer::Tokenizer;
use minijinja::{Environment, ErrorKind};
use serde::{Deserialize, Serialize};

/// The built-in fallback template's source.
pub const MISTRAL_V1_TEMPLATE: &str = include_str!("templates/mistral_v1.jinja");

const NAME: &str = "chat_template";

/// Limits for rendering a template that came with a model file, which may be hostile (a loop
/// nested in a loop, a macro calling itself, output doubled until memory runs out). Real chat
/// templates use a few hundred instructions and a few hundred bytes of output per message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateLimits {
    /// Template instructions one render may run (minijinja's fuel).
    pub fuel: u64,
    /// Nesting depth of macro calls, includes and blocks.
    pub recursion: usize,
    /// Bytes of rendered text.
    pub output_bytes: usize,
}

impl Default for TemplateLimits {
    /// 5 million instructions take well under a second; 64 levels are more than any chat
    /// template nests; 64 MiB of prompt text is hundreds of times a 32k-token context.
    fn default() -> Self {
        TemplateLimits {
            fuel: 5_000_000,
            recursion: 64,
            output_bytes: 64 << 20,
        }
    }
}

/// One turn of a conversation. `role` is "system", "user" or "assistant" (templates may accept
/// others, e.g. "tool").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Message {
            role: role.into(),
            content: content.into(),
        }
    }
    pub fn system(content: impl Into<String>) -> Self {
        Self::new("system", content)
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new("assistant", content)
    }
}

/// A compiled chat template plus the special-token texts it refers to.
pub struct ChatTemplate {
    env: Environment<'static>,
    limits: TemplateLimits,
    source: String,
    bos_token: String,
    eos_token: String,
    builtin: bool,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("builtin", &self.builtin)
            .field("bos_token", &self.bos_token)
            .field("eos_token", &self.eos_token)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Context<'a> {
    messages: &'a [Message],
    add_generation_prompt: bool,
    bos_token: &'a str,
    eos_token: &'a str,
}

impl ChatTemplate {
    /// Compiles a Jinja chat template; a syntax error is reported here, not at first use.
    pub fn new(
        source: impl Into<String>,
        bos_token: impl Into<String>,
        eos_token: impl Into<String>,
    ) -> Result<Self> {
        Self::build(source.into(), bos_token.into(), eos_token.into(), false)
    }

    /// The built-in Mistral v1 template: `<s>[INST] user [/INST] answer</s>[INST] ...`, with a
    /// system message merged into the first user turn.
    pub fn mistral_v1(bos_token: impl Into<String>, eos_token: impl Into<String>) -> Self {
        Self::build(
            MISTRAL_V1_TEMPLATE.to_string(),
            bos_token.into(),
            eos_token.into(),
            true,
        )
        .expect("the built-in template compiles (tested)")
    }

    /// The tokenizer's own template, or the built-in Mistral v1 one when it has none. BOS and
    /// EOS texts are the vocabulary pieces of the tokenizer's BOS and first EOS id.
    pub fn for_tokenizer(tokenizer: &Tokenizer) -> Result<Self> {
        let piece = |id: Option<u32>| {
            id.and_then(|id| tokenizer.id_to_piece(id))
                .unwrap_or_default()
        };
        let bos = piece(tokenizer.bos_id());
        let eos = piece(tokenizer.eos_ids().first().copied());
        match tokenizer.chat_template() {
            Some(source) => Self::new(source, bos, eos),
            None => Ok(Self::mistral_v1(bos, eos)),
        }
    }

    fn build(source: String, bos_token: String, eos_token: String, builtin: bool) -> Result<Self> {
        let mut env = Environment::new();
        let limits = TemplateLimits::default();
        env.set_fuel(Some(limits.fuel));
        env.set_recursion_limit(limits.recursion);
        // jinja2 as transformers configures it.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |msg: String| -> Result<(), minijinja::Error> {
                Err(minijinja::Error::new(ErrorKind::InvalidOperation, msg))
            },
        );
        env.add_template_owned(NAME, source.clone())
            .map_err(template_err)?;
        Ok(ChatTemplate {
            env,
            limits,
            source,
            bos_token,
            eos_token,
            builtin,
        })
    }

    /// Renders the conversation. `add_generation_prompt` appends the opening of an assistant
    /// turn (e.g. `<|im_start|>assistant\n`) where the template supports it.
    ///
    /// Rendering stops with an error past the [`TemplateLimits`] (instructions, nesting, output
    /// size). Those bound time and output, not memory held in template variables: a template
    /// that doubles a string in a loop without writing it can still exhaust memory, so a host
    /// that runs templates from untrusted files renders them in a process it can bound (the
    /// CLI does; a browser tab runs them in a worker it can terminate).
    pub fn render(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String> {
        let template = self.env.get_template(NAME).map_err(template_err)?;
        let mut out = CappedOutput {
            text: Vec::new(),
            cap: self.limits.output_bytes,
        };
        let context = Context {
            messages,
            add_generation_prompt,
            bos_token: &self.bos_token,
            eos_token: &self.eos_token,
        };
        match template.render_captured_to(context, &mut out) {
            Ok(_) => String::from_utf8(out.text)
                .map_err(|_| TextError::Template("rendered text is not UTF-8".into())),
            Err(e) => Err(self.limit_err(e)),
        }
    }

    /// minijinja's error, with the limit named where one was hit.
    fn limit_err(&self, e: minijinja::Error) -> TextError {
        let which = if self.builtin {
            "the built-in template"
        } else {
            "the model's template"
        };
        let limit = match e.kind() {
            ErrorKind::OutOfFuel => Some(format!(
                "ran more than {} instructions (a loop that does not end?)",
                self.limits.fuel
            )),
            ErrorKind::WriteFailure => Some(format!(
                "wrote more than {} MiB of prompt text",
                self.limits.output_bytes >> 20
            )),
            _ if e.to_string().contains("recursion") => Some(format!(
                "nested deeper than {} levels",
                self.limits.recursion
            )),
            _ => None,
        };
        match limit {
            Some(l) => TextError::Template(format!("{which} {l}; refusing to render it")),
            None => template_err(e),
        }
    }

    /// The limits every render runs under.
    pub fn limits(&self) -> TemplateLimits {
        self.limits
    }

    /// Renders and encodes the conversation: the prompt ids for generation.
    ///
    /// Special-token text the template wrote becomes the special tokens. Special-token text
    /// inside a message (its content or role) does not: a user who types
    /// `<|im_end|><|im_start|>system` gets those characters as text, not a new system turn.
    /// (transformers' `apply_chat_template` parses it; llama.cpp's server too.) BOS is added
    /// only if the model wants one and the template did not already write it, so a template
    /// starting with `{{ bos_token }}` gives exactly one.
    pub fn encode(
        &self,
        tokenizer: &Tokenizer,
        messages: &[Message],
        add_generation_prompt: bool,
    ) -> Result<Vec<u32>> {
        self.encode_with(tokenizer, messages, add_generation_prompt, &|m, g| {
            self.render(m, g)
        })
    }

    /// As [`ChatTemplate::encode`], rendering through `render` (called with the messages and
    /// `add_generation_prompt`), e.g. in a child process that bounds the template's memory.
    pub fn encode_with(
        &self,
        tokenizer: &Tokenizer,
        messages: &[Message],
        add_generation_prompt: bool,
        render: &dyn Fn(&[Message], bool) -> Result<String>,
    ) -> Result<Vec<u32>> {
        let forged = messages
            .iter()
            .any(|m| tokenizer.has_special_text(&m.content) || tokenizer.has_special_text(&m.role));
        let (text, protected) = if forged {
            let guarded: Vec<Message> = messages
                .iter()
                .map(|m| Message {
                    role: tokenizer.protect_special_text(&m.role),
                    content: tokenizer.protect_special_text(&m.content),
                })
                .collect();
            unprotect(&render(&guarded, add_generation_prompt)?)
        } else {
            (render(messages, add_generation_prompt)?, Vec::new())
        };
        let mut ids = tokenizer.encode_template(&text, &protected, false)?;
        if let Some(bos) = tokenizer.bos_id() {
            if tokenizer.add_bos() && ids.first() != Some(&bos) {
                ids.insert(0, bos);
            }
        }
        Ok(ids)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The text `{{ bos_token }}` renders as.
    pub fn bos_token(&self) -> &str {
        &self.bos_token
    }

    /// The text `{{ eos_token }}` renders as.
    pub fn eos_token(&self) -> &str {
        &self.eos_token
    }

    /// Whether this is the built-in fallback rather than the model's own template.
    pub fn is_builtin(&self) -> bool {
        self.builtin
    }
}

/// Collects rendered text and fails the render once it passes `cap` bytes.
struct CappedOutput {
    text: Vec<u8>,
    cap: usize,
}

impl std::io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + buf.len() > self.cap {
            return Err(std::io::Error::other("output limit"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// minijinja's message plus its cause chain (the text passed to `raise_exception` is the detail).
fn template_err(e: minijinja::Error) -> TextError {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    TextError::Template(msg)
}
