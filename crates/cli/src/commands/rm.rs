//! `mistral-wgpu rm`: delete models from the download cache.

use crate::commands::list::size;
use crate::model_args::CacheArgs;
use anyhow::Result;

pub fn run(cache: &CacheArgs, names: &[String]) -> Result<()> {
    let cache = cache.cache()?;
    // Every name is checked before anything is deleted, so a typo deletes nothing.
    let found = names
        .iter()
        .map(|n| cache.find(n))
        .collect::<Result<Vec<_>, _>>()?;
    for (name, entries) in names.iter().zip(&found) {
        let freed = cache.remove(entries)?;
        println!("removed {name} ({})", size(freed));
    }
    Ok(())
}
