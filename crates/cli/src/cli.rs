//! The command-line interface: commands and flags, with help that teaches.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

use crate::device_args::DeviceArgs;
use crate::model_args::ModelArgs;

#[derive(Parser)]
#[command(
    name = "mistral-wgpu",
    version,
    about = "Run Mistral-7B and models of its architecture (GGUF or safetensors) on any GPU",
    long_about = "Run Mistral-7B and models of its architecture (Llama-style GGUF files, Hugging Face or \
Mistral safetensors checkpoints).\n\nExamples:\n  mistral-wgpu info --model mistral-7b-instruct-v0.1.Q4_K_M.gguf\n  \
mistral-wgpu run --model model.gguf --prompt \"What is the capital of France?\" --device cpu\n  \
mistral-wgpu tokenize --model model.gguf --text \"Hello world\"\n  \
mistral-wgpu quantize --input model-f32.gguf --output model-q4_k_m.gguf --type q4_k_m"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Show architecture, dimensions, sliding window, RoPE, tensor types, tokenizer and memory needs.
    Info {
        #[command(flatten)]
        model: ModelArgs,
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
        #[arg(long)]
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
        #[arg(long, default_value_t = 256)]
        max_tokens: usize,
        /// 0 is greedy decoding.
        #[arg(long, default_value_t = 0.7)]
        temperature: f32,
        /// Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p.
        #[arg(long, default_value_t = 0.95)]
        top_p: f32,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// List the GPU adapters (backend, type, features, limits).
    Devices,
    /// Measure prefill and decode speed and the weight bandwidth decode reaches.
    Bench {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        device: DeviceArgs,
        /// Prompt length to prefill.
        #[arg(long, default_value_t = 64)]
        prompt_tokens: usize,
        /// Tokens to decode (greedy).
        #[arg(long, default_value_t = 32)]
        gen_tokens: usize,
    },
    /// Re-quantize a model (GGUF or safetensors) into a GGUF of another type.
    Quantize {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        output: PathBuf,
        /// f32, f16, bf16, q8_0, q4_0, q4_k, q6_k, or q4_k_m (Q4_K with Q6_K for output, and
        /// attn_v / ffn_down in some layers, as llama.cpp's Q4_K_M).
        #[arg(long = "type")]
        ty: String,
    },
}
