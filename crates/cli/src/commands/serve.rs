//! `serve`: binds the port (so a taken port fails before a long load), loads the model on the
//! server's worker thread, prints the address, and serves until killed.

use crate::device_args::DeviceArgs;
use crate::model_args::ModelArgs;
use crate::server::{self, CorsOrigins, Layers, ModelBackend, Queue};
use anyhow::{anyhow, Context, Result};
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;

pub struct ServeOptions {
    pub host: String,
    pub port: u16,
    pub max_queue: usize,
    pub api_key: Option<String>,
    pub cors: Vec<String>,
}

/// The environment variable `--api-key` falls back to.
pub const API_KEY_ENV: &str = "MISTRAL_WGPU_API_KEY";

pub const ABOUT: &str = "Serve the model over an OpenAI-compatible HTTP API, for OpenAI's client \
libraries and the tools built on them (base URL http://HOST:PORT/v1).\n\n\
Endpoints:\n  \
POST /v1/chat/completions  messages in, the assistant's answer out (the model's chat template)\n  \
POST /v1/completions       a raw prompt, continued (no template)\n  \
GET  /v1/models            the one model served; its id is the model file's name\n  \
GET  /health               status and counters (running, waiting, completed, failed, \
cancelled, rejected, generated_tokens); never needs the key\n\n\
Both generating endpoints answer whole, or with \"stream\": true as server-sent events (one \
`data: {chunk}` line per piece of text, ending with `data: [DONE]`), and take the sampling \
fields temperature (default 0.7), top_p, top_k (default 40), min_p, repetition_penalty, \
presence_penalty, frequency_penalty, penalty_last_n, logit_bias, seed, stop, max_tokens (default: \
what the context holds; 1024 with a sliding window), logprobs and top_logprobs, plus stream_options.include_usage; \
completions also take echo. A sampling field left out takes the model file's recommendation \
(general.sampling.*, which `info` prints) where it has one, else the default above. `model` may be left out or must be the served id. A field we do not \
support (tools, n above 1, response_format, a typo) is a 400 error that names it, never \
silently ignored. Errors come in OpenAI's shape: {\"error\": {\"message\", \"type\", \"param\", \
\"code\"}}.\n\n\
Queue: the model answers one request at a time, in the order they arrived (first in, first \
out). At most --max-queue requests wait behind the one being answered; one more is refused at \
once with 503 (code queue_full, Retry-After: 1). A client that disconnects stops its answer at \
the next token, or leaves the queue if it was still waiting.\n\n\
Access: the server listens on 127.0.0.1 (this machine only) unless --host says otherwise. \
--api-key (or $MISTRAL_WGPU_API_KEY) makes every /v1/ request need `Authorization: Bearer KEY` \
(401 otherwise). Web pages of other origins get no CORS headers unless --cors names them.";

pub const EXAMPLES: &str = "Examples:\n  \
mistral-wgpu serve --model SmolLM2-135M-Instruct.Q4_1.gguf\n  \
curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\\n    \
-d '{\"messages\": [{\"role\": \"user\", \"content\": \"What is the capital of France?\"}], \"max_tokens\": 64}'\n  \
curl -N http://127.0.0.1:8080/v1/chat/completions \\\n    \
-d '{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me a story\"}], \"stream\": true}'\n  \
curl http://127.0.0.1:8080/v1/completions -d '{\"prompt\": \"Once upon a time\", \"max_tokens\": 32, \"temperature\": 0}'\n  \
curl http://127.0.0.1:8080/health\n\n  \
MISTRAL_WGPU_API_KEY=secret mistral-wgpu serve --host 0.0.0.0 --port 9000 --cors http://localhost:3000\n  \
curl http://SERVER:9000/v1/models -H 'Authorization: Bearer secret'\n\n\
From Python (pip install openai):\n  \
from openai import OpenAI\n  \
client = OpenAI(base_url=\"http://127.0.0.1:8080/v1\", api_key=\"unused\")  # or the --api-key\n  \
model = client.models.list().data[0].id\n  \
r = client.chat.completions.create(model=model, messages=[{\"role\": \"user\", \"content\": \"Hi\"}])\n  \
print(r.choices[0].message.content)";

pub fn run(model: &ModelArgs, dev: &DeviceArgs, opts: &ServeOptions) -> Result<()> {
    let cors = CorsOrigins::parse(&opts.cors).map_err(|e| anyhow!(e))?;
    let api_key = opts
        .api_key
        .clone()
        .or_else(|| std::env::var(API_KEY_ENV).ok())
        .filter(|k| !k.is_empty());
    let listener = TcpListener::bind((opts.host.as_str(), opts.port)).with_context(|| {
        format!(
            "cannot listen on {}:{} (is another server using the port? pick one with --port)",
            opts.host, opts.port
        )
    })?;
    let addr = listener.local_addr()?;
    let model_id = model_id(&model.model);
    let (m, d) = (model.clone(), dev.clone());
    let queue = Queue::start(move || ModelBackend::load(&m, &d), opts.max_queue)?;
    if !addr.ip().is_loopback() && api_key.is_none() {
        eprintln!(
            "warning: listening on {addr} without --api-key: anyone who can reach this port \
             can use the model"
        );
    }
    eprintln!(
        "serving {model_id}: one request at a time, up to {} waiting; try\n  curl http://{addr}/v1/models",
        opts.max_queue
    );
    // The one stdout line: scripts (and the tests, with --port 0) read the address from it.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{addr}")?;
    out.flush()?;
    drop(out);
    server::serve(
        listener,
        queue,
        model_id,
        &Layers { api_key, cors },
        server::default_limits(),
    )
}

/// The model's name in the API: its file name without `.gguf`, or its folder's name.
fn model_id(path: &Path) -> String {
    let name = if path.is_dir() {
        path.file_name()
    } else {
        path.file_stem()
    };
    name.map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "model".into())
}
