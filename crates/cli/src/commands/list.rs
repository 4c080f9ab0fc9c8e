//! `mistral-wgpu list`: the models in the download cache.

use crate::model_args::CacheArgs;
use anyhow::Result;
use std::time::UNIX_EPOCH;

pub fn run(cache: &CacheArgs, json: bool) -> Result<()> {
    let cache = cache.cache()?;
    let entries = cache.list()?;
    if json {
        let items: Vec<_> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "name": e.name,
                    "path": e.path,
                    "size": e.size,
                    "complete": !e.partial,
                    "source": e.meta.as_ref().map(|m| &m.source),
                    "sha256": e.meta.as_ref().map(|m| &m.sha256),
                    "downloaded_at": e.meta.as_ref().map(|m| m.downloaded_at),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "cache_dir": cache.root,
                "models": items,
            }))?
        );
        return Ok(());
    }
    println!("cache: {}", cache.root.display());
    if entries.is_empty() {
        println!("(empty: models given with --model hf:... or a URL are downloaded here)");
        return Ok(());
    }
    println!("{:>9}  {:<16}  MODEL", "SIZE", "DOWNLOADED");
    let mut total = 0;
    for e in &entries {
        total += e.size;
        let when = e
            .meta
            .as_ref()
            .map(|m| m.downloaded_at)
            .or_else(|| Some(e.modified?.duration_since(UNIX_EPOCH).ok()?.as_secs()))
            .map_or_else(|| "-".to_string(), date);
        let name = match &e.meta {
            Some(m) => m.source.clone(),
            None => e.name.clone(),
        };
        let note = if e.partial {
            "  (unfinished download: the next run that asks for it resumes it)"
        } else {
            ""
        };
        println!("{:>9}  {when:<16}  {name}{note}", size(e.size));
    }
    println!(
        "{:>9}  total; `mistral-wgpu rm NAME` deletes one",
        size(total)
    );
    Ok(())
}

pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.2} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

/// `YYYY-MM-DD HH:MM` (UTC) of Unix seconds, without a date crate (Howard Hinnant's
/// days-to-civil algorithm).
fn date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (h, m) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_and_sizes() {
        assert_eq!(super::date(0), "1970-01-01 00:00");
        assert_eq!(super::date(1_709_251_260), "2024-03-01 00:01");
        assert_eq!(super::size(4_368_439_584), "4.37 GB");
        assert_eq!(super::size(999), "999 B");
    }
}
