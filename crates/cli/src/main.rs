//! `mistral-wgpu`: inspect, tokenize, quantize and run Mistral-architecture models.

mod arg_values;
mod cli;
mod commands;
mod device_args;
mod model_args;
mod model_fetch;
mod progress;
mod runner;
mod sampling_args;
mod server;
mod session;
mod template_sandbox;
mod text_loading;

use clap::Parser;

fn main() {
    // The child that renders a model's chat template under memory and time limits; not a
    // user command, so not in clap's help.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == template_sandbox::SUBCOMMAND)
    {
        template_sandbox::serve_one();
    }
    let args = cli::Cli::parse();
    if let Err(e) = commands::dispatch(args) {
        // One clear line; the chain of causes joined, so the user sees file and reason together.
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
