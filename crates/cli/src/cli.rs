//! The command-line interface: commands and flags, with help that teaches.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

use crate::arg_values;
use crate::device_args::{AdapterArgs, DeviceArgs};
use crate::model_args::{CacheArgs, ModelArgs};
use crate::sampling_args::SamplingArgs;

#[derive(Parser)]
#[command(
    name = "mistral-wgpu",
    version,
    about = "Run Mistral-7B and models of its architecture (GGUF or safetensors) on any GPU",
    long_about = "Run Mistral-7B and models of its architecture (Llama-style GGUF files, Hugging Face or \
Mistral safetensors checkpoints).\n\nExamples:\n  mistral-wgpu info --model mistral-7b-instruct-v0.1.Q4_K_M.gguf\n  \
mistral-wgpu run --model model.gguf --prompt \"What is the capital of France?\" --device cpu\n  \
mistral-wgpu tokenize --model model.gguf --text \"Hello world\"\n  \
mistral-wgpu devices\n  \
mistral-wgpu bench --model model.gguf --prompt-tokens 64 --gen-tokens 32 --json\n  \
mistral-wgpu quantize --input model-f32.gguf --output model-q4_k_m.gguf --type q4_k_m\n\n\
Every command that runs a model takes --device gpu|cpu (the GPU engine, or the f32 CPU \
reference), --adapter NAME and --kernels auto|cpu|gpu (which kernel family the GPU runs: cpu \
kernels for CPU adapters such as lavapipe, gpu kernels for real GPUs; auto picks by adapter). \
`mistral-wgpu <command> --help` explains every flag."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Show architecture, dimensions, sliding window, RoPE, tensor types, tokenizer, memory needs,
    /// and the kernel family the GPU engine would run on the adapter it would pick.
    Info {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        gpu: AdapterArgs,
    },
    /// Print token ids as JSON (BOS added as the tokenizer does).
    Tokenize {
        /// A GGUF model or a tokenizer.json.
        #[arg(long)]
        model: PathBuf,
        /// Text to tokenize; prints one JSON array of ids.
        #[arg(long, conflicts_with = "input", required_unless_present = "input")]
        text: Option<String>,
        /// A JSON file holding an array of strings; prints an array of id arrays.
        #[arg(long)]
        input: Option<PathBuf>,
    },
    /// Write float32 logits of shape [n_tokens, vocab] to a .npy file.
    Logits {
        #[command(flatten)]
        model: ModelArgs,
        /// Comma-separated token ids, e.g. 1,415,2936.
        #[arg(long, value_delimiter = ',', required = true)]
        tokens: Vec<u32>,
        /// Output .npy path.
        #[arg(long)]
        out: PathBuf,
        /// Tokens per forward step (default: the whole sequence on the CPU, --prefill-chunk on
        /// the GPU). Logits do not depend on it.
        #[arg(long, value_parser = arg_values::positive)]
        chunk: Option<usize>,
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// Generate a reply to a prompt, streaming the text to stdout (logs go to stderr).
    Run {
        #[command(flatten)]
        model: ModelArgs,
        /// The user's message (wrapped in the model's chat template unless --raw).
        #[arg(long)]
        prompt: String,
        /// System prompt (ignored with --raw).
        #[arg(long)]
        system: Option<String>,
        /// Feed the prompt as-is, without the chat template.
        #[arg(long)]
        raw: bool,
        /// Most tokens to generate (1 to 16M; the context bounds it for models without a window).
        #[arg(long, default_value_t = 256, value_parser = arg_values::token_count)]
        max_tokens: usize,
        #[command(flatten)]
        sampling: SamplingArgs,
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// Chat with the model in the terminal: streamed answers with its chat template, a
    /// conversation that remembers (a new turn prefills only its new tokens), /set for every
    /// sampling setting, Ctrl-C to stop an answer. Piped stdin: one user message per line.
    #[command(after_help = "Examples:\n  mistral-wgpu chat\n  \
mistral-wgpu chat --model hf:TheBloke/Mistral-7B-Instruct-v0.2-GGUF:Q4_K_M --system \"Answer briefly.\"\n  \
printf 'Hi!\\nWhat did I just say?\\n' | mistral-wgpu chat --model model.gguf --temperature 0\n\n\
In the chat: /help, /set temperature 0.2, /system TEXT, /reset, /exit. After each answer: prompt \
and answer tokens, their speeds, and the time to the first token.")]
    Chat {
        #[command(flatten)]
        model: ModelArgs,
        /// System prompt for the conversation (/system changes it).
        #[arg(long)]
        system: Option<String>,
        /// Most tokens per answer [default: what the context leaves; 1024 for a model with a
        /// sliding window].
        #[arg(long, value_parser = arg_values::token_count)]
        max_tokens: Option<usize>,
        #[command(flatten)]
        sampling: SamplingArgs,
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// Answer a few fixed questions greedily, with timings: a first look at a model on this
    /// machine.
    Demo {
        #[command(flatten)]
        model: ModelArgs,
        /// Most tokens per answer.
        #[arg(long, default_value_t = 96, value_parser = arg_values::token_count)]
        max_tokens: usize,
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// List the models in the download cache: size, download date, and where each came from
    /// (hf:OWNER/REPO/FILE or its URL); unfinished downloads are marked.
    List {
        #[command(flatten)]
        cache: CacheArgs,
        /// One JSON object on stdout (cache_dir, models: name, path, size, complete, source,
        /// sha256, downloaded_at in Unix seconds).
        #[arg(long)]
        json: bool,
    },
    /// Delete models from the download cache (with their records and unfinished parts).
    #[command(
        after_help = "NAME is what `mistral-wgpu list` shows (hf:OWNER/REPO/FILE or the URL), the \
file name, its path under the cache, or its full path. Nothing is deleted unless every NAME is \
found.\n\nExamples:\n  mistral-wgpu rm hf:TheBloke/Mistral-7B-Instruct-v0.2-GGUF/mistral-7b-instruct-v0.2.Q4_K_M.gguf\n  \
mistral-wgpu rm mistral-7b-instruct-v0.2.Q4_K_M.gguf"
    )]
    Rm {
        /// The cached models to delete.
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// List the GPU adapters (backend, type, features, limits), best first (the one used when
    /// --adapter is not given), each with the kernel family `--kernels auto` picks for it and why.
    Devices,
    /// Measure prefill and decode speed, time to first token, and the weight bandwidth decode
    /// reaches.
    #[command(
        long_about = "Measure prefill and decode speed, time to first token, and the weight \
bandwidth decode reaches.\n\n\
The prompt is --prompt-tokens fixed in-vocabulary ids (speed does not depend on which). First \
--warmup untimed short runs (a prefill chunk and a few decode steps) compile pipelines and touch \
every buffer, so first-use costs are not measured. Then each of --repetitions repetitions resets \
the model to position 0 and:\n  \
prefill: runs the whole prompt (in chunks of --prefill-chunk on the GPU) and waits for the first \
generated token id (greedy, read back from the GPU). That time is the TTFT (time to first \
token); prefill tok/s = prompt tokens / TTFT.\n  \
decode: generates --gen-tokens more tokens one at a time, each step waiting for its token id \
before the next starts (as generation does); decode tok/s = gen tokens / decode time.\n\
Weight bandwidth = weight bytes x decode tok/s: every decode step reads every weight once, so \
compare it with the machine's memory bandwidth, the roofline decode cannot beat (KV cache and \
activation traffic are not counted).\n\n\
The table shows the median and [min .. max] over repetitions; --json prints one JSON object on \
stdout instead (model, model_name, weights_bytes, adapter, backend, device_type, kernels, \
kernels_reason, kv, prefill_chunk, prompt_tokens, gen_tokens, repetitions, and prefill_tok_s, \
decode_tok_s, ttft_ms, weight_gb_s each as {median, min, max}, and dispatches_per_token, the \
compute dispatches one decode token records, which bound decode where each costs tens of \
microseconds, as on lavapipe); the adapter and progress lines \
go to stderr either way. With --device cpu (the f32 CPU reference) adapter is \"cpu-reference\" \
and the GPU fields are null.\n\n\
The README's figures were measured with:\n  \
mistral-wgpu bench --model SmolLM2-135M-Instruct.Q4_1.gguf --prompt-tokens 64 --gen-tokens 32\n\
(`cargo xtask demo` fetches that model into .cache/smollm2/); add --device cpu for the CPU \
reference's row, --kernels cpu|gpu to compare the kernel families, and --json to keep the \
numbers. Other work on the machine lowers them: report the median, and the machine."
    )]
    Bench {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        device: DeviceArgs,
        /// Prompt length to prefill (fixed in-vocabulary token ids).
        #[arg(long, default_value_t = 64, value_parser = arg_values::token_count)]
        prompt_tokens: usize,
        /// Tokens to decode greedily after the first one, one step each.
        #[arg(long, default_value_t = 32, value_parser = arg_values::token_count)]
        gen_tokens: usize,
        /// Timed repetitions; the report gives their median, min and max.
        #[arg(long, default_value_t = 3, value_parser = arg_values::positive)]
        repetitions: usize,
        /// Untimed short runs first (pipeline compilation and first-use costs), 0 for none.
        #[arg(long, default_value_t = 1)]
        warmup: usize,
        /// Print one JSON object on stdout instead of the table (progress stays on stderr).
        #[arg(long)]
        json: bool,
        /// Also time every kernel of one prefill chunk and one decode step on the GPU
        /// (timestamp queries; adapters without them get an error) and list the time per
        /// kernel, slowest first.
        #[arg(long)]
        profile: bool,
    },
    /// Convert a model (a Hugging Face safetensors folder, a Mistral folder, or a GGUF) into a
    /// GGUF of another type, as llama.cpp's converter and quantizer would: llama.cpp's tensor
    /// names and metadata, Q/K in GGUF row order, the tokenizer and chat template from the
    /// folder, tensors streamed one at a time (memory near one tensor).
    #[command(
        after_help = "Examples:\n  mistral-wgpu quantize --model ./Mistral-7B-Instruct-v0.2 --type q4_k_m --out mistral-7b-instruct-v0.2.Q4_K_M.gguf\n  \
mistral-wgpu quantize --model model-f16.gguf --type q8_0 --out model-q8_0.gguf"
    )]
    Quantize {
        /// The model to convert: a folder with config.json (or params.json) and safetensors, or
        /// a GGUF.
        #[arg(long, alias = "input")]
        model: PathBuf,
        /// The GGUF to write (written beside as FILE.partial, renamed when complete).
        #[arg(long, alias = "output")]
        out: PathBuf,
        /// Tokenizer to embed instead of the folder's tokenizer.json (a tokenizer.json or a
        /// GGUF). A GGUF input keeps its own.
        #[arg(long)]
        tokenizer: Option<PathBuf>,
        /// q4_k_m (Q4_K, with Q6_K for output and for attn_v / ffn_down in some layers, as
        /// llama.cpp's Q4_K_M), q8_0, q4_0, q4_1, q4_k, q6_k, f16, bf16 or f32.
        #[arg(long = "type")]
        ty: String,
    },
    /// Serve the model over an OpenAI-compatible HTTP API (chat and text completions, plain or
    /// streamed), one request at a time in arrival order.
    #[command(
        long_about = crate::commands::serve::ABOUT,
        after_help = crate::commands::serve::EXAMPLES
    )]
    Serve {
        #[command(flatten)]
        model: ModelArgs,
        /// Address to listen on: 127.0.0.1 answers this machine only; 0.0.0.0 (or ::) every
        /// network the machine is on (set --api-key then).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on (0: any free port; the one taken is printed).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Most requests waiting behind the one being answered; one more gets 503 at once.
        #[arg(long, default_value_t = 16, value_name = "N")]
        max_queue: usize,
        /// Require `Authorization: Bearer KEY` on every /v1/ request (401 otherwise)
        /// [default: $MISTRAL_WGPU_API_KEY, which keeps the key out of the process list].
        #[arg(long, value_name = "KEY")]
        api_key: Option<String>,
        /// Let web pages of this origin call the API from a browser (e.g.
        /// http://localhost:3000; repeat it or separate with commas; * for any page). Off by
        /// default: no CORS headers, so other sites' pages cannot use the model.
        #[arg(long, value_name = "ORIGIN")]
        cors: Vec<String>,
        #[command(flatten)]
        device: DeviceArgs,
    },
}
