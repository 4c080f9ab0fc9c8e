//! One file per command.

mod info;
mod logits;
mod quantize;

use crate::cli::{Cli, Command};
use anyhow::Result;

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Info { model } => info::run(&model),
        Command::Logits {
            model,
            tokens,
            out,
            chunk,
            device: _,
        } => logits::run(&model, &tokens, &out, chunk),
        Command::Quantize { input, output, ty } => quantize::run(&input, &output, &ty),
        Command::Tokenize { .. } | Command::Run { .. } => {
            anyhow::bail!("this command arrives with the text crate")
        }
    }
}
