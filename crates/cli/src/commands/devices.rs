//! `devices`: the GPU adapters wgpu sees, with what the engine needs from each and the kernel
//! family `--kernels auto` picks for it.

use anyhow::Result;
use mistral_engine::{AdapterFacts, KernelChoice, KernelFamily, KERNELS_ENV};

pub fn run() -> Result<()> {
    let adapters = pollster::block_on(mistral_engine::list_adapters());
    if adapters.is_empty() {
        anyhow::bail!(
            "{}",
            mistral_engine::EngineError::NoAdapter {
                backends: String::new()
            }
        );
    }
    for a in &adapters {
        println!("{a}");
        let (family, why) = KernelFamily::for_adapter(&AdapterFacts::from(a));
        println!("  kernels (auto): {family} ({why})");
    }
    // The environment overrides the table for every model command; say so, and refuse a typo
    // here as those commands would.
    if let Some(v) = std::env::var(KERNELS_ENV).ok().filter(|v| !v.is_empty()) {
        match v.parse::<KernelChoice>() {
            Ok(KernelChoice::Auto) => println!("{KERNELS_ENV}={v}: the table above decides"),
            Ok(KernelChoice::Force(f)) => println!(
                "{KERNELS_ENV}={v}: model commands run {f} kernels on any adapter unless --kernels says otherwise"
            ),
            Err(e) => anyhow::bail!("{KERNELS_ENV}: {e}"),
        }
    }
    Ok(())
}
