//! `mistral-wgpu`: inspect, tokenize, quantize and run Mistral-architecture models.

mod cli;
mod commands;
mod device_args;
mod model_args;
mod progress;
mod runner;
mod text_loading;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = commands::dispatch(args) {
        // One clear line; the chain of causes joined, so the user sees file and reason together.
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
