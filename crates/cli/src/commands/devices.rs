//! `devices`: the GPU adapters wgpu sees, with what the engine needs from each.

use anyhow::Result;

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
    for a in adapters {
        println!("{a}");
    }
    Ok(())
}
