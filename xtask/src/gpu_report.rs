//! `cargo xtask gpu-report`: one prepared measurement run for a machine with a real GPU, and
//! `cargo xtask gpu-report pack`: the bundle that lets a bare machine (no Rust, no node, no
//! network) run it. See [`HELP`] for the steps, options, the device plan and the durations.
//!
//! The pure parts (a small JSON reader, the rows and ratios read from the tools' JSON objects,
//! the markdown) are at the top and unit-tested at the bottom; then the step runner (every
//! command with a timeout, its process group killed when it runs over) and `pack`.

use crate::synth_model::{self, Preset, Shape};
use mistral_formats::byte_source::MappedFile;
use mistral_formats::gguf::{GgufFile, Metadata, MetadataValue};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const HELP: &str = "\
cargo xtask gpu-report [--out DIR] [--quick] [--skip-llama] [--kinds gpu,cpu] [--prebuilt DIR]
                       [--models DIR|F.gguf,...] [--budget SECS] [--llama auto|node|native]
cargo xtask gpu-report pack [--bundle DIR]

One prepared run for a machine with a real GPU. Writes DIR/gpu-report.md, DIR/raw.jsonl (every
JSON object the tools printed, one a line) and DIR/log.txt (every command and its output, with
times); DIR defaults to target/gpu-report. The markdown is also printed at the end. Each step is
timed and bounded by a timeout; a failed or timed-out step is recorded in the report and the
next one runs. Exit status 1 when any step failed (the report is written all the same).

  1 machine  nvidia-smi, vulkaninfo --summary (each if present), CPU and memory
  2 build    cargo build --release: mistral-wgpu and the bench_ops example, and the llama.cpp
             native harness (scripts/llama-cpp-bench/native/build.sh) when it is the one used;
             nothing with --prebuilt. Then `mistral-wgpu devices` (adapters, kernels per adapter)
  3 models   Mistral-7B-shaped synth-model GGUFs in .cache/synth, generated in this process (one
             thread per file) when missing: Q4_K_M, and Q4_0 and Q8_0 unless --quick;
             --models takes existing files instead
  4 ops      bench_ops --json: copy bandwidth, matvec/matmul per type and variant, both families
  5 ours     per model: mistral-wgpu bench --json --repetitions 3 --gen-tokens 64, with
             --prompt-tokens 512 and 64, once per --kinds family; then --profile once with the
             family the adapter selects (auto)
  6 llama    llama.cpp's Vulkan backend on the same files and sizes: bench.mjs under node when
             node and scripts/llama-cpp-bench/node_modules are there (npm ci when node_modules
             is missing and npm is), else llama-bench-native (the same measurement in C on the
             same prebuilt llama.cpp libraries)
  7 report   gpu-report.md: machine, adapter, copy bandwidth, op table, results (prefill and
             decode tok/s median [min..max], TTFT, decode GB/s and % of copy bandwidth,
             dispatches/token), ratios ours / llama.cpp Vulkan, profile top kernels

Options
  --out DIR          report folder [target/gpu-report]
  --quick            Q4_K_M only, four weight types in the op benchmark; budget 420 s
  --skip-llama       no llama.cpp runs
  --kinds LIST       kernel families for our runs: gpu, cpu, auto [gpu,cpu]
  --prebuilt DIR     take mistral-wgpu and bench_ops from DIR/bin (or DIR), llama-bench-native
                     from DIR/llama and vulkaninfo from DIR/vk; builds nothing
  --models DIR|LIST  existing GGUFs (every *.gguf in DIR, or the files listed) instead of synth
  --budget SECS      wall-clock budget of steps 3-6 [--quick 420, else 1500]: every timeout is
                     capped by what is left, and steps are skipped once it is spent
  --llama WHICH      auto (node if usable, else native), node or native [auto]
  Smaller runs (lavapipe tests): --layers N (synth layers) --types LIST --prompt-tokens LIST
  --gen-tokens N --repetitions N --ops-args \"ARGS\" (replace bench_ops' arguments) --threads N
  (llama.cpp) --timeout-scale F

A device machine (no network, no cargo, no node; what travels is at most 64 MiB, 41 MB of it the
tracked tree, so target/ cannot travel and neither can node (99 MB) nor node_modules (732 MB,
its Vulkan part 81 MB)): here, `cargo xtask gpu-report pack` builds the release binaries and puts
them (stripped) with llama-bench-native and its llama.cpp Vulkan libraries, vulkaninfo and its
libraries into .cache/gpu-bundle/bundle.tar.xz (~25 MB), the Vulkan loader .debs into
.cache/gpu-bundle/gl/, checks the total against 64 MiB and prints the command to run there (carry
.cache/gpu-bundle): unpack, then `xtask gpu-report --prebuilt /tmp/gb --quick --out $OUT`. A
machine with node and node_modules (carried or installed) can run bench.mjs with --llama node.

Expected on an H100 with --quick (estimates until measured): unpack 5 s, machine 5 s, synth
Q4_K_M 10-30 s, ops 30-90 s, ours 4 runs + profile 60-120 s (a load of 4.4 GB each), llama.cpp 2
runs 30-60 s: 3-5 minutes, at most 7 (the budget) plus the unpacking. Without --quick (three
models) about 3x the model steps: 8-12 minutes, beyond a 10-minute command with a cold machine.
Step timeouts (x --timeout-scale): nvidia-smi/vulkaninfo 30 s, devices 60 s, build 1800 s each,
ops 180 s (quick) / 420 s, our runs and the profile 150 s / 240 s each, llama.cpp 180 s each.";

// ---------------------------------------------------------------------------------------------
// JSON: just enough to read the tools' output (objects, arrays, numbers, strings).

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

static NULL: Json = Json::Null;

impl Json {
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            b: text.as_bytes(),
            i: 0,
        };
        let v = p.value(0)?;
        p.ws();
        if p.i != p.b.len() {
            return Err(p.err("trailing characters"));
        }
        Ok(v)
    }

    /// The member `key` of an object; null when absent or not an object.
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }

    pub fn num(&self) -> Option<f64> {
        match self {
            Json::Num(x) => Some(*x),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Json] {
        match self {
            Json::Arr(v) => v,
            _ => &[],
        }
    }

    pub fn is_null(&self) -> bool {
        *self == Json::Null
    }

    /// A scalar as text (strings without quotes), for the report.
    pub fn text(&self) -> Option<String> {
        match self {
            Json::Str(s) => Some(s.clone()),
            Json::Num(x) => Some(format!("{x}")),
            Json::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("JSON: {what} at byte {}", self.i)
    }

    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.b[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 64 {
            return Err(self.err("nesting too deep"));
        }
        self.ws();
        match self.b.get(self.i) {
            None => Err(self.err("unexpected end")),
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(Json::Obj(members));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return Err(self.err("expected ':'"));
                    }
                    members.push((key, self.value(depth + 1)?));
                    self.ws();
                    if self.eat("}") {
                        return Ok(Json::Obj(members));
                    }
                    if !self.eat(",") {
                        return Err(self.err("expected ',' or '}'"));
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat("]") {
                        return Ok(Json::Arr(items));
                    }
                    if !self.eat(",") {
                        return Err(self.err("expected ',' or ']'"));
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') if self.eat("true") => Ok(Json::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(Json::Bool(false)),
            Some(b'n') if self.eat("null") => Ok(Json::Null),
            Some(_) => {
                let start = self.i;
                while matches!(
                    self.b.get(self.i),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.i += 1;
                }
                let parsed = std::str::from_utf8(&self.b[start..self.i])
                    .ok()
                    .filter(|s| !s.is_empty())
                    .and_then(|s| s.parse::<f64>().ok());
                match parsed {
                    Some(x) => Ok(Json::Num(x)),
                    None => {
                        self.i = start;
                        Err(self.err("unexpected character"))
                    }
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let v = self
            .b
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.err("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        if !self.eat("\"") {
            return Err(self.err("expected a string"));
        }
        let mut out = String::new();
        loop {
            let start = self.i;
            while !matches!(self.b.get(self.i), None | Some(b'"' | b'\\')) {
                self.i += 1;
            }
            let run =
                std::str::from_utf8(&self.b[start..self.i]).map_err(|_| self.err("bad UTF-8"))?;
            out.push_str(run);
            match self.b.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                _ => {
                    let c = *self
                        .b
                        .get(self.i + 1)
                        .ok_or_else(|| self.err("bad escape"))?;
                    self.i += 2;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) && self.eat("\\u") {
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(self.err("bad escape")),
                    }
                }
            }
        }
    }
}

/// The last line of `stdout` that holds a JSON object (the tools print one; progress goes to
/// stderr, but a stray stdout line before it must not matter).
pub fn last_json_object(stdout: &str) -> Option<(String, Json)> {
    stdout
        .lines()
        .rev()
        .map(str::trim)
        .filter(|l| l.starts_with('{'))
        .find_map(|l| Json::parse(l).ok().map(|j| (l.to_string(), j)))
        .or_else(|| {
            // A pretty-printed object: the whole output, newlines removed (JSON strings hold none).
            let joined: String = stdout
                .chars()
                .filter(|c| *c != '\n' && *c != '\r')
                .collect();
            let start = joined.find('{')?;
            let j = Json::parse(joined[start..].trim()).ok()?;
            Some((joined[start..].trim().to_string(), j))
        })
}

// ---------------------------------------------------------------------------------------------
// Rows, ratios and the markdown.

/// Median, min and max of one measure (both engines print `{median, min, max}`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stat {
    pub fn from_json(j: &Json) -> Option<Stat> {
        Some(Stat {
            median: j.get("median").num()?,
            min: j.get("min").num()?,
            max: j.get("max").num()?,
        })
    }

    /// "12.3 [12.0..12.5]".
    pub fn show(&self, decimals: usize) -> String {
        format!(
            "{:.d$} [{:.d$}..{:.d$}]",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

pub const OURS: &str = "mistral-wgpu";
pub const LLAMA: &str = "llama.cpp";

/// One speed measurement, from `mistral-wgpu bench --json` or llama.cpp's bench.mjs /
/// llama-bench-native.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// File name of the model.
    pub model: String,
    pub engine: &'static str,
    /// Ours: the kernel family (gpu, cpu; cpu-reference for the CPU reference). llama.cpp:
    /// its backend (vulkan, cpu).
    pub kernels: String,
    /// A `--profile` run (reported in the profile section, not in the results table).
    pub profile: bool,
    pub prompt_tokens: u64,
    pub gen_tokens: u64,
    pub repetitions: u64,
    pub prefill: Stat,
    pub decode: Stat,
    pub ttft: Stat,
    pub weight_gb_s: Option<Stat>,
    pub dispatches_per_token: Option<f64>,
}

impl RunRow {
    pub fn from_json(j: &Json) -> Option<RunRow> {
        let llama = j.get("engine").str() == Some(LLAMA);
        let path = j.get("model").str().unwrap_or("?");
        let model = Path::new(path)
            .file_name()
            .map_or(path.to_string(), |n| n.to_string_lossy().into_owned());
        let count = |k: &str| j.get(k).num().map_or(0, |x| x as u64);
        Some(RunRow {
            model,
            engine: if llama { LLAMA } else { OURS },
            kernels: if llama {
                j.get("backend").str().unwrap_or("?").to_string()
            } else {
                j.get("kernels")
                    .str()
                    .unwrap_or("cpu-reference")
                    .to_string()
            },
            profile: !j.get("profile").is_null(),
            prompt_tokens: count("prompt_tokens"),
            gen_tokens: count("gen_tokens"),
            repetitions: count("repetitions"),
            prefill: Stat::from_json(j.get("prefill_tok_s"))?,
            decode: Stat::from_json(j.get("decode_tok_s"))?,
            ttft: Stat::from_json(j.get("ttft_ms"))?,
            weight_gb_s: Stat::from_json(j.get("weight_gb_s")),
            dispatches_per_token: j.get("dispatches_per_token").num(),
        })
    }
}

/// Ours / llama.cpp Vulkan for one of our runs (medians; above 1: mistral-wgpu is faster).
#[derive(Clone, Debug, PartialEq)]
pub struct Ratio {
    pub model: String,
    pub prompt_tokens: u64,
    pub gen_tokens: u64,
    pub kernels: String,
    pub prefill: f64,
    pub decode: f64,
}

/// Pairs each of our (non-profile) runs with llama.cpp's Vulkan run of the same model and sizes.
pub fn ratios(rows: &[RunRow]) -> Vec<Ratio> {
    rows.iter()
        .filter(|r| r.engine == OURS && !r.profile)
        .filter_map(|ours| {
            let l = rows.iter().find(|l| {
                l.engine == LLAMA
                    && l.kernels == "vulkan"
                    && l.model == ours.model
                    && l.prompt_tokens == ours.prompt_tokens
                    && l.gen_tokens == ours.gen_tokens
            })?;
            Some(Ratio {
                model: ours.model.clone(),
                prompt_tokens: ours.prompt_tokens,
                gen_tokens: ours.gen_tokens,
                kernels: ours.kernels.clone(),
                prefill: ours.prefill.median / l.prefill.median,
                decode: ours.decode.median / l.decode.median,
            })
        })
        .collect()
}

/// Text fit for a markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.filter(|v| v.is_finite())
        .map_or("–".to_string(), |v| format!("{v:.decimals$}"))
}

/// The results table; `copy_gbps` is bench_ops' copy bandwidth (bytes read + written per s).
pub fn results_table(rows: &[RunRow], copy_gbps: Option<f64>) -> String {
    let mut s = String::from(
        "| model | engine | kernels | prompt+gen x reps | prefill tok/s | decode tok/s | TTFT ms | decode GB/s | % of copy | dispatches/token |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows.iter().filter(|r| !r.profile) {
        let gbps = r.weight_gb_s.map(|g| g.median);
        let frac = gbps.zip(copy_gbps).map(|(g, c)| 100.0 * g / c);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {}+{} x {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.model),
            r.engine,
            cell(&r.kernels),
            r.prompt_tokens,
            r.gen_tokens,
            r.repetitions,
            r.prefill.show(1),
            r.decode.show(2),
            r.ttft.show(1),
            opt(gbps, 1),
            opt(frac, 0),
            opt(r.dispatches_per_token, 0),
        );
    }
    s
}

pub fn ratios_table(ratios: &[Ratio]) -> String {
    let mut s = String::from(
        "| model | prompt+gen | our kernels | prefill ours/llama.cpp | decode ours/llama.cpp |\n\
         |---|---|---|---|---|\n",
    );
    for r in ratios {
        let _ = writeln!(
            s,
            "| {} | {}+{} | {} | {:.2} | {:.2} |",
            cell(&r.model),
            r.prompt_tokens,
            r.gen_tokens,
            cell(&r.kernels),
            r.prefill,
            r.decode
        );
    }
    s
}

/// bench_ops' copy bandwidth line and its op table.
pub fn ops_section(ops: &Json) -> String {
    let mut s = String::new();
    let copy = ops.get("copy");
    if let Some(rw) = copy.get("gbps_read_write").num() {
        let _ = writeln!(
            s,
            "Copy bandwidth (`copy_buffer_to_buffer`, {:.0} MiB): **{rw:.1} GB/s** read + written, \
             {:.1} GB/s read-only equivalent ({}). The decode roofline: \"% copy\" = weight GB/s / {rw:.1}.\n",
            copy.get("bytes").num().unwrap_or(0.0) / (1u64 << 20) as f64,
            copy.get("gbps_read_only_equivalent").num().unwrap_or(rw / 2.0),
            ops.get("timing").str().unwrap_or("?"),
        );
    }
    let results = ops.get("results").items();
    if results.is_empty() {
        s.push_str("No op results.\n");
    } else {
        s.push_str(
            "| op | shape | type | variant | family | sel | tokens | us/call | GB/s | % copy | tok/s |\n\
             |---|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for r in results {
            let t = |k: &str| r.get(k).text().unwrap_or_else(|| "–".into());
            let sel = match r.get("selected") {
                Json::Arr(v) => v
                    .iter()
                    .filter_map(Json::text)
                    .collect::<Vec<_>>()
                    .join(","),
                Json::Null => String::new(),
                other => other.text().unwrap_or_default(),
            };
            let _ = writeln!(
                s,
                "| {} | {}x{} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                t("op"),
                t("rows"),
                t("cols"),
                t("type"),
                t("variant"),
                t("family"),
                cell(&sel),
                t("tokens"),
                opt(r.get("us_per_call").num(), 1),
                opt(r.get("gbps").num(), 1),
                opt(r.get("frac_of_copy").num().map(|f| 100.0 * f), 0),
                opt(r.get("tok_per_s").num(), 0),
            );
        }
    }
    let skipped = ops.get("skipped").items();
    if !skipped.is_empty() {
        let _ = writeln!(s, "\nSkipped by bench_ops:");
        for k in skipped {
            let _ = writeln!(
                s,
                "- {}",
                cell(&k.text().unwrap_or_else(|| format!("{k:?}")))
            );
        }
    }
    s
}

/// The `top` most expensive kernels of a `--profile` run's prefill and decode steps.
pub fn profile_section(run: &Json, top: usize) -> String {
    let mut s = String::new();
    let p = run.get("profile");
    let model = run.get("model").str().map_or("?".to_string(), |m| {
        Path::new(m)
            .file_name()
            .map_or(m.to_string(), |n| n.to_string_lossy().into_owned())
    });
    for step in ["prefill", "decode"] {
        let st = p.get(step);
        if st.is_null() {
            continue;
        }
        let total = st.get("total_ms").num().unwrap_or(0.0);
        let _ = writeln!(
            s,
            "{model}, kernels {}, {step}: {} tokens, {} dispatches, {total:.3} ms of GPU time\n",
            run.get("kernels").str().unwrap_or("?"),
            st.get("tokens").text().unwrap_or_default(),
            st.get("dispatches").text().unwrap_or_default(),
        );
        let mut ops: Vec<&Json> = st.get("ops").items().iter().collect();
        ops.sort_by(|a, b| {
            let ms = |j: &Json| j.get("ms").num().unwrap_or(0.0);
            ms(b).total_cmp(&ms(a))
        });
        s.push_str("| kernel | calls | ms | share |\n|---|---|---|---|\n");
        for o in ops.iter().take(top) {
            let ms = o.get("ms").num().unwrap_or(0.0);
            let _ = writeln!(
                s,
                "| {} | {} | {:.3} | {:.1}% |",
                cell(o.get("op").str().unwrap_or("?")),
                o.get("calls").text().unwrap_or_default(),
                ms,
                if total > 0.0 { 100.0 * ms / total } else { 0.0 }
            );
        }
        s.push('\n');
    }
    s
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub name: String,
    /// ok, failed (why), timed out, skipped (why).
    pub status: String,
    pub secs: f64,
    pub note: String,
}

/// Everything the markdown shows.
#[derive(Default)]
pub struct ReportData {
    pub started: String,
    pub commit: String,
    pub settings: String,
    pub facts: Vec<String>,
    /// (title, command output) shown as code blocks.
    pub machine: Vec<(String, String)>,
    pub steps: Vec<StepRecord>,
    pub ops: Option<Json>,
    /// Every JSON object from our bench and llama.cpp, in order.
    pub runs: Vec<Json>,
}

impl ReportData {
    pub fn failed_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.status != "ok" && !s.status.starts_with("skipped"))
            .count()
    }
}

pub fn render(d: &ReportData) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# mistral-wgpu GPU report\n");
    let _ = writeln!(s, "- started: {}", d.started);
    let _ = writeln!(s, "- commit: {}", d.commit);
    let _ = writeln!(s, "- settings: {}", d.settings);
    for f in &d.facts {
        let _ = writeln!(s, "- {f}");
    }

    s.push_str("\n## Steps\n\n| step | status | seconds | note |\n|---|---|---|---|\n");
    for st in &d.steps {
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {} |",
            cell(&st.name),
            cell(&st.status),
            st.secs,
            cell(&st.note)
        );
    }

    s.push_str("\n## Machine\n\n");
    for (title, text) in &d.machine {
        let body = text.trim_end();
        if body.lines().count() > 40 {
            let _ = writeln!(
                s,
                "<details><summary>{title}</summary>\n\n```text\n{body}\n```\n\n</details>\n"
            );
        } else {
            let _ = writeln!(s, "{title}:\n\n```text\n{body}\n```\n");
        }
    }

    s.push_str("## Adapter\n\n");
    let first_gpu_run = d.runs.iter().find(|r| !r.get("adapter").is_null());
    match (&d.ops, first_gpu_run) {
        (Some(o), _) => {
            let t = |k: &str| o.get(k).text().unwrap_or_else(|| "?".into());
            let _ = writeln!(
                s,
                "{} ({}, {}), driver {}; kernels (auto): {} ({}); op timing: {}\n",
                t("adapter"),
                t("backend"),
                t("device_type"),
                t("driver"),
                t("kernels_auto"),
                t("kernels_why"),
                t("timing")
            );
        }
        (None, Some(r)) => {
            let t = |k: &str| r.get(k).text().unwrap_or_else(|| "?".into());
            let _ = writeln!(
                s,
                "{} ({}, {}); kernels: {} ({})\n",
                t("adapter"),
                t("backend"),
                t("device_type"),
                t("kernels"),
                t("kernels_reason")
            );
        }
        (None, None) => s.push_str("Unknown: no op benchmark and no GPU run succeeded.\n\n"),
    }

    s.push_str("## Op benchmark (bench_ops)\n\n");
    match &d.ops {
        Some(o) => s.push_str(&ops_section(o)),
        None => s.push_str("Not measured (see Steps).\n"),
    }

    let rows: Vec<RunRow> = d.runs.iter().filter_map(RunRow::from_json).collect();
    let copy = d
        .ops
        .as_ref()
        .and_then(|o| o.get("copy").get("gbps_read_write").num());
    s.push_str("\n## Results\n\n");
    if rows.iter().any(|r| !r.profile) {
        s.push_str(
            "Median [min..max] over the repetitions. Prefill tok/s = prompt tokens / TTFT (prompt \
             in, first token out); decode tok/s = generated tokens / their time; decode GB/s = \
             weight bytes x decode tok/s; % of copy = that / the copy bandwidth above.\n\n",
        );
        s.push_str(&results_table(&rows, copy));
    } else {
        s.push_str("No run succeeded (see Steps).\n");
    }

    s.push_str("\n## Ours / llama.cpp Vulkan\n\n");
    let rs = ratios(&rows);
    if rs.is_empty() {
        s.push_str("No pair of runs to compare.\n");
    } else {
        s.push_str("Medians; above 1 means mistral-wgpu is faster.\n\n");
        s.push_str(&ratios_table(&rs));
    }

    s.push_str("\n## Profile: top kernels (bench --profile, the adapter's own family)\n\n");
    let profiles: Vec<&Json> = d
        .runs
        .iter()
        .filter(|r| !r.get("profile").is_null())
        .collect();
    if profiles.is_empty() {
        s.push_str("No profile.\n");
    }
    for p in profiles {
        s.push_str(&profile_section(p, 10));
    }
    s
}

/// The copy bandwidth, the results and the ratios: the numbers that matter, in short.
pub fn summary(d: &ReportData) -> String {
    let rows: Vec<RunRow> = d.runs.iter().filter_map(RunRow::from_json).collect();
    let copy = d
        .ops
        .as_ref()
        .and_then(|o| o.get("copy").get("gbps_read_write").num());
    let mut s = format!(
        "{} of {} steps failed; copy bandwidth {} GB/s (read + written)\n\n",
        d.failed_steps(),
        d.steps.len(),
        opt(copy, 1)
    );
    s.push_str(&results_table(&rows, copy));
    s.push('\n');
    s.push_str(&ratios_table(&ratios(&rows)));
    s
}

/// "2024-01-01 12:34 UTC".
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86400) as i64);
    let rem = secs % 86400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

// ---------------------------------------------------------------------------------------------
// Options.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Harness {
    Auto,
    Node,
    Native,
}

struct Options {
    out: PathBuf,
    quick: bool,
    skip_llama: bool,
    kinds: Vec<String>,
    prebuilt: Option<PathBuf>,
    models: Option<String>,
    budget_s: f64,
    llama: Harness,
    layers: usize,
    presets: Vec<Preset>,
    prompt_tokens: Vec<usize>,
    gen_tokens: usize,
    repetitions: usize,
    ops_args: Option<Vec<String>>,
    threads: usize,
    timeout_scale: f64,
}

impl Options {
    fn parse(root: &Path, args: &[String]) -> Result<Options, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut o = Options {
            out: root.join("target/gpu-report"),
            quick,
            skip_llama: false,
            kinds: vec!["gpu".into(), "cpu".into()],
            prebuilt: None,
            models: None,
            budget_s: if quick { 420.0 } else { 1500.0 },
            llama: Harness::Auto,
            layers: 32,
            presets: if quick {
                vec![Preset::Q4KM]
            } else {
                Preset::ALL.to_vec()
            },
            prompt_tokens: vec![512, 64],
            gen_tokens: 64,
            repetitions: 3,
            ops_args: None,
            threads: std::thread::available_parallelism().map_or(4, |n| n.get().min(16)),
            timeout_scale: 1.0,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || {
                it.next().cloned().ok_or(format!(
                    "{arg} needs a value (cargo xtask gpu-report --help)"
                ))
            };
            let positive = |v: String| -> Result<usize, String> {
                v.parse()
                    .ok()
                    .filter(|&n: &usize| n > 0)
                    .ok_or(format!("{arg} takes a positive whole number, got {v:?}"))
            };
            let seconds = |v: String| -> Result<f64, String> {
                v.parse()
                    .ok()
                    .filter(|&x: &f64| x > 0.0 && x.is_finite())
                    .ok_or(format!("{arg} takes a positive number, got {v:?}"))
            };
            match arg.as_str() {
                "--quick" => {}
                "--out" => o.out = PathBuf::from(value()?),
                "--skip-llama" => o.skip_llama = true,
                "--kinds" => {
                    o.kinds = value()?
                        .split(',')
                        .map(|k| k.trim().to_string())
                        .filter(|k| !k.is_empty())
                        .collect();
                    if let Some(bad) = o
                        .kinds
                        .iter()
                        .find(|k| !["gpu", "cpu", "auto"].contains(&k.as_str()))
                    {
                        return Err(format!("--kinds: unknown family {bad:?} (gpu, cpu, auto)"));
                    }
                }
                "--prebuilt" => o.prebuilt = Some(PathBuf::from(value()?)),
                "--models" => o.models = Some(value()?),
                "--budget" => o.budget_s = seconds(value()?)?,
                "--llama" => {
                    o.llama = match value()?.as_str() {
                        "auto" => Harness::Auto,
                        "node" => Harness::Node,
                        "native" => Harness::Native,
                        v => return Err(format!("--llama is auto, node or native, got {v:?}")),
                    }
                }
                "--layers" => o.layers = positive(value()?)?,
                "--types" => {
                    o.presets = value()?
                        .split(',')
                        .filter(|s| !s.trim().is_empty())
                        .map(Preset::parse)
                        .collect::<Result<_, _>>()?
                }
                "--prompt-tokens" => {
                    o.prompt_tokens = value()?
                        .split(',')
                        .map(|v| positive(v.trim().to_string()))
                        .collect::<Result<_, _>>()?
                }
                "--gen-tokens" => o.gen_tokens = positive(value()?)?,
                "--repetitions" => o.repetitions = positive(value()?)?,
                "--ops-args" => {
                    o.ops_args = Some(value()?.split_whitespace().map(String::from).collect())
                }
                "--threads" => o.threads = positive(value()?)?,
                "--timeout-scale" => o.timeout_scale = seconds(value()?)?,
                other => {
                    return Err(format!(
                        "unknown argument {other:?} (cargo xtask gpu-report --help)"
                    ))
                }
            }
        }
        if o.kinds.is_empty() || o.prompt_tokens.is_empty() || o.presets.is_empty() {
            return Err("--kinds, --prompt-tokens and --types need at least one value".into());
        }
        Ok(o)
    }

    fn ops_args(&self) -> Vec<String> {
        let mut a: Vec<String> = match &self.ops_args {
            Some(a) => a.clone(),
            // 7B shapes with 256 MiB of distinct copies (beyond an H100's 50 MB of L2), the
            // decode matvec and the prefill matmul at 32 and 512 tokens.
            None if self.quick => "--quick --shapes 7b --types q8_0,q6k,q4k,q4_0 --rotate-mib 256 --copy-mib 256 --chunk 32,512"
                .split(' ')
                .map(String::from)
                .collect(),
            None => "--chunk 32,512".split(' ').map(String::from).collect(),
        };
        if !a.iter().any(|x| x == "--json") {
            a.push("--json".into());
        }
        a
    }
}

/// The repository root: the current folder when it is one (a copy of the tree on another
/// machine, where the path compiled into this binary does not exist), else this checkout.
fn repo_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    if cwd.join("Cargo.toml").is_file() && cwd.join("tests/fixtures/tiny-mistral-256").is_dir() {
        cwd
    } else {
        crate::shell::root()
    }
}

/// synth-model's tokenizer (the tiny-mistral-256 fixture's `tokenizer.*` keys), read under
/// `root` rather than the compiled-in checkout path.
fn fixture_tokenizer(root: &Path) -> Result<Metadata, String> {
    let path = root.join("tests/fixtures/tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf");
    let source = MappedFile::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let gguf = GgufFile::read(&source).map_err(|e| format!("{}: {e}", path.display()))?;
    let entries: Vec<(String, MetadataValue)> = gguf
        .metadata
        .iter()
        .filter(|(k, _)| k.starts_with("tokenizer."))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if entries.is_empty() {
        return Err(format!("{} has no tokenizer keys", path.display()));
    }
    Ok(Metadata::new(entries))
}

/// synth-model's default seed (the same bytes as `cargo xtask synth-model`).
const SYNTH_SEED: u64 = 0x005E_ED7B;

// ---------------------------------------------------------------------------------------------
// Running commands: logged, timed, bounded.

#[derive(Clone)]
struct Log {
    file: Arc<Mutex<std::fs::File>>,
    start: Instant,
}

impl Log {
    fn line(&self, s: &str) {
        let l = format!("[{:7.1}s] {s}", self.start.elapsed().as_secs_f64());
        eprintln!("{l}");
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(f, "{l}");
        }
    }

    /// A child's output line: in full in the log, shortened on the console when very long.
    fn child(&self, stream: &str, s: &str) {
        let t = self.start.elapsed().as_secs_f64();
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(f, "[{t:7.1}s]   {stream}| {s}");
        }
        if s.len() > 300 {
            let mut end = 200;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            eprintln!("  {stream}| {}... ({} bytes)", &s[..end], s.len());
        } else {
            eprintln!("  {stream}| {s}");
        }
    }
}

enum Exit {
    Ok,
    Failed(String),
    TimedOut(f64),
    NotStarted(String),
}

struct Outcome {
    exit: Exit,
    stdout: String,
    stderr_tail: VecDeque<String>,
    secs: f64,
}

fn lines_of(mut r: impl Read + Send + 'static, mut each: impl FnMut(String) + Send + 'static) {
    let mut reader = BufReader::new(&mut r);
    let mut buf = Vec::new();
    while reader.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
        let line = String::from_utf8_lossy(&buf);
        each(line.trim_end_matches(['\n', '\r']).to_string());
        buf.clear();
    }
}

/// Kills the process group the child leads (its own children too).
fn kill_group(child: &mut std::process::Child) {
    let killed = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !killed {
        let _ = child.kill();
    }
}

fn run_cmd(log: &Log, cmd: &mut Command, timeout: f64) -> Outcome {
    log.line(&format!("$ {cmd:?}   (timeout {timeout:.0} s)"));
    let start = Instant::now();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                exit: Exit::NotStarted(e.to_string()),
                stdout: String::new(),
                stderr_tail: VecDeque::new(),
                secs: 0.0,
            }
        }
    };
    let stdout = Arc::new(Mutex::new(String::new()));
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let (out_pipe, err_pipe) = (child.stdout.take(), child.stderr.take());
    let out_thread = {
        let (log, stdout) = (log.clone(), stdout.clone());
        std::thread::spawn(move || {
            if let Some(p) = out_pipe {
                lines_of(p, move |l| {
                    log.child("out", &l);
                    let mut s = stdout.lock().unwrap();
                    s.push_str(&l);
                    s.push('\n');
                })
            }
        })
    };
    let err_thread = {
        let (log, tail) = (log.clone(), tail.clone());
        std::thread::spawn(move || {
            if let Some(p) = err_pipe {
                lines_of(p, move |l| {
                    log.child("err", &l);
                    let mut t = tail.lock().unwrap();
                    t.push_back(l);
                    if t.len() > 30 {
                        t.pop_front();
                    }
                })
            }
        })
    };
    let limit = Duration::from_secs_f64(timeout.max(0.0));
    let exit = loop {
        match child.try_wait() {
            Ok(Some(st)) if st.success() => break Exit::Ok,
            Ok(Some(st)) => break Exit::Failed(st.to_string()),
            Ok(None) if start.elapsed() >= limit => {
                kill_group(&mut child);
                let _ = child.wait();
                break Exit::TimedOut(timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                kill_group(&mut child);
                let _ = child.wait();
                break Exit::Failed(e.to_string());
            }
        }
    };
    let _ = out_thread.join();
    let _ = err_thread.join();
    let secs = start.elapsed().as_secs_f64();
    let stdout = std::mem::take(&mut *stdout.lock().unwrap());
    let stderr_tail = std::mem::take(&mut *tail.lock().unwrap());
    Outcome {
        exit,
        stdout,
        stderr_tail,
        secs,
    }
}

/// The last informative stderr line (an error message, usually).
fn why(tail: &VecDeque<String>) -> String {
    let line = tail
        .iter()
        .rev()
        .find(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("error") || l.contains("fail") || l.contains("panick")
        })
        .or_else(|| tail.iter().rev().find(|l| !l.trim().is_empty()))
        .map_or(String::new(), |l| l.trim().to_string());
    let mut end = line.len().min(200);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].to_string()
}

// ---------------------------------------------------------------------------------------------
// The report run.

struct Tools {
    mistral_wgpu: PathBuf,
    bench_ops: PathBuf,
    native: PathBuf,
    /// vulkaninfo and the folder of its libraries, when not on PATH.
    vulkaninfo: Option<(PathBuf, Option<PathBuf>)>,
}

impl Tools {
    fn find(root: &Path, prebuilt: Option<&Path>) -> Tools {
        let pick = |names: &[&str], default: PathBuf| -> PathBuf {
            prebuilt
                .and_then(|d| {
                    names
                        .iter()
                        .flat_map(|n| [d.join("bin").join(n), d.join(n)])
                        .find(|p| p.is_file())
                })
                .unwrap_or(default)
        };
        let vulkaninfo = if crate::shell::has("vulkaninfo") {
            Some((PathBuf::from("vulkaninfo"), None))
        } else {
            prebuilt
                .map(|d| d.join("vk"))
                .filter(|vk| vk.join("vulkaninfo").is_file())
                .map(|vk| (vk.join("vulkaninfo"), Some(vk)))
        };
        Tools {
            mistral_wgpu: pick(&["mistral-wgpu"], root.join("target/release/mistral-wgpu")),
            bench_ops: pick(
                &["bench_ops"],
                root.join("target/release/examples/bench_ops"),
            ),
            native: prebuilt
                .map(|d| d.join("llama/llama-bench-native"))
                .filter(|p| p.is_file())
                .unwrap_or_else(|| root.join("target/llama-bench-native/llama-bench-native")),
            vulkaninfo,
        }
    }
}

struct Run {
    o: Options,
    root: PathBuf,
    log: Log,
    raw: std::fs::File,
    data: ReportData,
    /// Environment for every command (the Vulkan driver, when set here).
    env: Vec<(String, String)>,
    budget_start: Option<Instant>,
}

impl Run {
    fn record(&mut self, name: &str, status: &str, secs: f64, note: &str) {
        self.log
            .line(&format!("step {name}: {status} ({secs:.1} s) {note}"));
        self.data.steps.push(StepRecord {
            name: name.to_string(),
            status: status.to_string(),
            secs,
            note: note.to_string(),
        });
    }

    /// The timeout of a step of `secs` (scaled), capped by the budget; Err: skip the step.
    fn timeout(&self, secs: f64) -> Result<f64, String> {
        let t = secs * self.o.timeout_scale;
        match self.budget_start {
            None => Ok(t),
            Some(start) => {
                let left = self.o.budget_s - start.elapsed().as_secs_f64();
                if left < 15.0 {
                    Err(format!("budget of {:.0} s spent", self.o.budget_s))
                } else {
                    Ok(t.min(left - 5.0))
                }
            }
        }
    }

    /// Runs a step's command; records it. Returns its stdout when it succeeded.
    fn command(&mut self, name: &str, secs: f64, cmd: &mut Command) -> Option<String> {
        let timeout = match self.timeout(secs) {
            Ok(t) => t,
            Err(why) => {
                self.record(name, &format!("skipped: {why}"), 0.0, "");
                return None;
            }
        };
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = run_cmd(&self.log, cmd, timeout);
        match out.exit {
            Exit::Ok => {
                self.record(name, "ok", out.secs, "");
                Some(out.stdout)
            }
            Exit::Failed(status) => {
                let note = why(&out.stderr_tail);
                self.record(name, &format!("failed ({status})"), out.secs, &note);
                None
            }
            Exit::TimedOut(t) => {
                let note = why(&out.stderr_tail);
                self.record(name, &format!("timed out after {t:.0} s"), out.secs, &note);
                None
            }
            Exit::NotStarted(e) => {
                self.record(name, "skipped: cannot start", 0.0, &e);
                None
            }
        }
    }

    /// A command that prints one JSON object: kept in raw.jsonl.
    fn json_command(&mut self, name: &str, secs: f64, cmd: &mut Command) -> Option<Json> {
        let stdout = self.command(name, secs, cmd)?;
        match last_json_object(&stdout) {
            Some((line, json)) => {
                let _ = writeln!(self.raw, "{line}");
                let _ = self.raw.flush();
                Some(json)
            }
            None => {
                let last = self.data.steps.last_mut().expect("just recorded");
                last.status = "failed (no JSON object on stdout)".into();
                None
            }
        }
    }

    fn machine(&mut self, tools: &Tools) {
        if let Some(out) = self.command("1 nvidia-smi", 30.0, &mut Command::new("nvidia-smi")) {
            self.data.machine.push(("nvidia-smi".into(), out));
        }
        match tools.vulkaninfo.clone() {
            Some((exe, libs)) => {
                let mut cmd = Command::new(exe);
                cmd.arg("--summary");
                if let Some(libs) = libs {
                    let old = std::env::var("LD_LIBRARY_PATH").unwrap_or_default();
                    cmd.env("LD_LIBRARY_PATH", format!("{}:{old}", libs.display()));
                }
                if let Some(out) = self.command("1 vulkaninfo --summary", 30.0, &mut cmd) {
                    self.data.machine.push(("vulkaninfo --summary".into(), out));
                }
            }
            None => self.record("1 vulkaninfo --summary", "skipped: not present", 0.0, ""),
        }
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
            .map_or("?".to_string(), |(_, v)| v.trim().to_string());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_gib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or("?".to_string(), |kb| {
                format!("{:.0}", kb / (1u64 << 20) as f64)
            });
        let threads = std::thread::available_parallelism().map_or(0, |n| n.get());
        self.data.facts.push(format!(
            "CPU: {cpu}, {threads} threads; memory {mem_gib} GiB"
        ));
    }

    /// Builds what is missing (incremental cargo builds); nothing with --prebuilt.
    fn build(&mut self, tools: &Tools, harness: Harness) {
        if let Some(dir) = &self.o.prebuilt {
            let note = format!("--prebuilt {}", dir.display());
            self.record("2 build", "skipped: prebuilt", 0.0, &note);
            return;
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let root = self.root.clone();
        let mut ours = Command::new(&cargo);
        ours.args([
            "build",
            "--release",
            "-p",
            "mistral-wgpu",
            "--bin",
            "mistral-wgpu",
        ])
        .current_dir(&root);
        self.command("2 build mistral-wgpu", 1800.0, &mut ours);
        let mut ops = Command::new(&cargo);
        ops.args([
            "build",
            "--release",
            "-p",
            "mistral-engine",
            "--example",
            "bench_ops",
        ])
        .current_dir(&root);
        self.command("2 build bench_ops", 1800.0, &mut ops);
        if harness == Harness::Native && !self.o.skip_llama {
            let src = root.join("scripts/llama-cpp-bench/native/llama-bench-native.c");
            let fresh = modified(&tools.native)
                .zip(modified(&src))
                .is_some_and(|(bin, src)| bin >= src);
            if fresh {
                self.record("2 build llama-bench-native", "ok", 0.0, "up to date");
            } else {
                let mut cmd = Command::new("bash");
                cmd.arg(root.join("scripts/llama-cpp-bench/native/build.sh"))
                    .current_dir(&root);
                self.command("2 build llama-bench-native", 300.0, &mut cmd);
            }
        }
    }

    /// Which llama.cpp harness runs, after `npm ci` where node is there but node_modules not.
    fn choose_harness(&mut self) -> Harness {
        let dir = self.root.join("scripts/llama-cpp-bench");
        let node_ok = crate::shell::has("node");
        let modules = |d: &Path| d.join("node_modules/node-llama-cpp/package.json").is_file();
        let want = self.o.llama;
        if self.o.skip_llama || want == Harness::Native || !node_ok {
            return Harness::Native;
        }
        if !modules(&dir) && crate::shell::has("npm") && self.o.prebuilt.is_none() {
            let mut cmd = Command::new("npm");
            cmd.args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir);
            self.command("2 npm ci (scripts/llama-cpp-bench)", 600.0, &mut cmd);
        }
        if modules(&dir) || want == Harness::Node {
            Harness::Node
        } else {
            Harness::Native
        }
    }

    fn models(&mut self) -> Vec<PathBuf> {
        if let Some(spec) = self.o.models.clone() {
            let p = PathBuf::from(&spec);
            let files: Vec<PathBuf> = if p.is_dir() {
                let mut v: Vec<PathBuf> = std::fs::read_dir(&p)
                    .map(|rd| {
                        rd.filter_map(|e| e.ok().map(|e| e.path()))
                            .filter(|f| f.extension().is_some_and(|x| x == "gguf"))
                            .collect()
                    })
                    .unwrap_or_default();
                v.sort();
                v
            } else {
                spec.split(',').map(PathBuf::from).collect()
            };
            let (ok, missing): (Vec<PathBuf>, Vec<PathBuf>) =
                files.into_iter().partition(|f| f.is_file());
            let note = ok
                .iter()
                .chain(&missing)
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let status = if ok.is_empty() || !missing.is_empty() {
                format!("failed ({} missing)", missing.len())
            } else {
                "ok".into()
            };
            self.record("3 models (--models)", &status, 0.0, &note);
            return ok;
        }
        let dir = self.root.join(".cache/synth");
        if let Err(e) = std::fs::create_dir_all(&dir) {
            self.record(
                "3 synth-model",
                "failed",
                0.0,
                &format!("{}: {e}", dir.display()),
            );
            return Vec::new();
        }
        let tokenizer = match fixture_tokenizer(&self.root) {
            Ok(t) => t,
            Err(e) => {
                self.record("3 synth-model", "failed", 0.0, &e);
                return Vec::new();
            }
        };
        let shape = Shape::mistral_7b(self.o.layers);
        let presets = self.o.presets.clone();
        self.log.line(&format!(
            "synth-model in this process, one thread per file: {} in {}",
            presets
                .iter()
                .map(|p| p.label())
                .collect::<Vec<_>>()
                .join(", "),
            dir.display()
        ));
        // One thread per file (generation is one core's work per file; the disk takes the rest).
        // A file kept by synthesize (present with the planned size) keeps its time stamp.
        let before: Vec<Option<SystemTime>> = presets
            .iter()
            .map(|&p| modified(&dir.join(synth_model::file_name(p, self.o.layers))))
            .collect();
        let results: Vec<(Preset, Result<PathBuf, String>, f64)> = std::thread::scope(|s| {
            let handles: Vec<_> = presets
                .iter()
                .map(|&p| {
                    let (dir, tokenizer) = (&dir, &tokenizer);
                    s.spawn(move || {
                        let t = Instant::now();
                        let r =
                            synth_model::synthesize(dir, shape, p, SYNTH_SEED, false, tokenizer);
                        (p, r, t.elapsed().as_secs_f64())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("synth thread panicked"))
                .collect()
        });
        let mut files = Vec::new();
        for ((p, r, secs), before) in results.into_iter().zip(before) {
            let name = format!("3 synth-model {}", p.label());
            match r {
                Ok(path) => {
                    let mb = std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1e6;
                    let how = if before.is_some() && before == modified(&path) {
                        "present, kept".to_string()
                    } else {
                        format!("generated at {:.0} MB/s", mb / secs.max(1e-3))
                    };
                    let note = format!("{} ({mb:.0} MB, {how})", path.display());
                    self.record(&name, "ok", secs, &note);
                    files.push(path);
                }
                Err(e) => self.record(&name, "failed", secs, &e),
            }
        }
        files
    }

    fn ops(&mut self, tools: &Tools) {
        let mut cmd = Command::new(&tools.bench_ops);
        cmd.args(self.o.ops_args()).current_dir(&self.root);
        let secs = if self.o.quick { 180.0 } else { 420.0 };
        self.data.ops = self.json_command("4 bench_ops", secs, &mut cmd);
    }

    fn ours(&mut self, tools: &Tools, models: &[PathBuf]) {
        let secs = if self.o.quick { 150.0 } else { 240.0 };
        for model in models {
            let name = file_name(model);
            for &p in &self.o.prompt_tokens.clone() {
                for kind in self.o.kinds.clone() {
                    let mut cmd = self.bench_cmd(tools, model, p);
                    if kind != "auto" {
                        cmd.args(["--kernels", &kind]);
                    }
                    let step = format!("5 ours {name} {p}+{} {kind}", self.o.gen_tokens);
                    if let Some(j) = self.json_command(&step, secs, &mut cmd) {
                        self.data.runs.push(j);
                    }
                }
            }
            let p = self.o.prompt_tokens[0];
            let mut cmd = self.bench_cmd(tools, model, p);
            cmd.arg("--profile");
            let step = format!("5 ours {name} {p}+{} --profile", self.o.gen_tokens);
            if let Some(j) = self.json_command(&step, secs, &mut cmd) {
                self.data.runs.push(j);
            }
        }
    }

    fn bench_cmd(&self, tools: &Tools, model: &Path, prompt: usize) -> Command {
        let mut cmd = Command::new(&tools.mistral_wgpu);
        cmd.arg("bench")
            .arg("--model")
            .arg(model)
            .args(["--json", "--repetitions", &self.o.repetitions.to_string()])
            .args(["--prompt-tokens", &prompt.to_string()])
            .args(["--gen-tokens", &self.o.gen_tokens.to_string()])
            .current_dir(&self.root);
        cmd
    }

    fn llama(&mut self, tools: &Tools, models: &[PathBuf], harness: Harness) {
        if self.o.skip_llama {
            self.record("6 llama.cpp", "skipped: --skip-llama", 0.0, "");
            return;
        }
        let dir = self.root.join("scripts/llama-cpp-bench");
        for model in models {
            let abs = std::fs::canonicalize(model).unwrap_or_else(|_| model.clone());
            for &p in &self.o.prompt_tokens.clone() {
                let mut cmd = match harness {
                    Harness::Node => {
                        let mut c = Command::new("node");
                        c.arg("bench.mjs").current_dir(&dir);
                        c
                    }
                    _ => {
                        let mut c = Command::new(&tools.native);
                        c.current_dir(&self.root);
                        c
                    }
                };
                cmd.arg("--model")
                    .arg(&abs)
                    .args([
                        "--backend",
                        "vulkan",
                        "--threads",
                        &self.o.threads.to_string(),
                    ])
                    .args(["--prompt-tokens", &p.to_string()])
                    .args(["--gen-tokens", &self.o.gen_tokens.to_string()])
                    .args(["--repetitions", &self.o.repetitions.to_string()]);
                let h = if harness == Harness::Node {
                    "node"
                } else {
                    "native"
                };
                let step = format!(
                    "6 llama.cpp vulkan ({h}) {} {p}+{}",
                    file_name(model),
                    self.o.gen_tokens
                );
                if let Some(j) = self.json_command(&step, 180.0, &mut cmd) {
                    self.data.runs.push(j);
                }
            }
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or(p.display().to_string(), |n| {
        n.to_string_lossy().into_owned()
    })
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The NVIDIA Vulkan driver where the loader does not look (the device machines keep it under
/// /usr/local/nvidia): VK_DRIVER_FILES / VK_ICD_FILENAMES for every command, unless set.
fn vulkan_env() -> (Vec<(String, String)>, Option<String>) {
    if std::env::var_os("VK_DRIVER_FILES").is_some()
        || std::env::var_os("VK_ICD_FILENAMES").is_some()
    {
        return (Vec::new(), None);
    }
    let standard = [
        "/usr/share/vulkan/icd.d",
        "/etc/vulkan/icd.d",
        "/usr/local/share/vulkan/icd.d",
    ];
    let has_nvidia = standard.iter().any(|d| {
        std::fs::read_dir(d).is_ok_and(|rd| {
            rd.filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().contains("nvidia"))
        })
    });
    let icd = "/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json";
    if has_nvidia || !Path::new(icd).is_file() {
        return (Vec::new(), None);
    }
    let env = vec![
        ("VK_DRIVER_FILES".to_string(), icd.to_string()),
        ("VK_ICD_FILENAMES".to_string(), icd.to_string()),
    ];
    (
        env,
        Some(format!("VK_DRIVER_FILES={icd} (set by gpu-report)")),
    )
}

fn commit(root: &Path, prebuilt: Option<&Path>) -> String {
    let git = Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if let Some(c) = git.filter(|c| !c.is_empty()) {
        return c;
    }
    prebuilt
        .and_then(|d| std::fs::read_to_string(d.join("manifest.txt")).ok())
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("commit: ").map(|c| format!("{c} (bundle)")))
        })
        .unwrap_or_else(|| "unknown".into())
}

pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return Ok(());
    }
    if args.first().map(String::as_str) == Some("pack") {
        return pack(&args[1..]);
    }
    let root = repo_root();
    let o = Options::parse(&root, args)?;
    std::fs::create_dir_all(&o.out).map_err(|e| format!("{}: {e}", o.out.display()))?;
    let open = |name: &str| {
        let p = o.out.join(name);
        std::fs::File::create(&p).map_err(|e| format!("{}: {e}", p.display()))
    };
    let log = Log {
        file: Arc::new(Mutex::new(open("log.txt")?)),
        start: Instant::now(),
    };
    let raw = open("raw.jsonl")?;
    let (env, env_note) = vulkan_env();
    let settings = format!(
        "{}models {}, kinds {}, prompt {} + gen {} tokens x {} repetitions, llama.cpp {}, budget {:.0} s{}",
        if o.quick { "--quick, " } else { "" },
        o.models.clone().unwrap_or_else(|| format!(
            "synth {} ({} layers)",
            o.presets.iter().map(|p| p.label()).collect::<Vec<_>>().join(","),
            o.layers
        )),
        o.kinds.join(","),
        o.prompt_tokens.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("/"),
        o.gen_tokens,
        o.repetitions,
        if o.skip_llama { "skipped" } else { "vulkan" },
        o.budget_s,
        o.prebuilt
            .as_ref()
            .map_or(String::new(), |d| format!(", prebuilt {}", d.display())),
    );
    let mut run = Run {
        data: ReportData {
            started: utc_now(),
            commit: commit(&root, o.prebuilt.as_deref()),
            settings,
            ..Default::default()
        },
        o,
        root,
        log,
        raw,
        env,
        budget_start: None,
    };
    if let Some(note) = env_note {
        run.data.facts.push(note);
    }
    run.log.line(&format!("gpu-report: {}", run.data.settings));

    let tools = Tools::find(&run.root, run.o.prebuilt.as_deref());
    run.machine(&tools);
    let harness = run.choose_harness();
    run.build(&tools, harness);
    let mut devices = Command::new(&tools.mistral_wgpu);
    devices.arg("devices").current_dir(&run.root);
    if let Some(out) = run.command("2 mistral-wgpu devices", 60.0, &mut devices) {
        run.data.machine.push(("mistral-wgpu devices".into(), out));
    }

    run.budget_start = Some(Instant::now());
    let models = run.models();
    run.ops(&tools);
    run.ours(&tools, &models);
    run.llama(&tools, &models, harness);

    let md = render(&run.data);
    let path = run.o.out.join("gpu-report.md");
    std::fs::write(&path, &md).map_err(|e| format!("{}: {e}", path.display()))?;
    // The whole report, then its key tables again: a device call returns only the end of the
    // output, and the op table can be long.
    println!("{md}\n== summary ==\n\n{}", summary(&run.data));
    let failed = run.data.failed_steps();
    run.log.line(&format!(
        "wrote {} and {}; {failed} of {} steps failed",
        path.display(),
        run.o.out.join("raw.jsonl").display(),
        run.data.steps.len()
    ));
    if failed > 0 {
        Err(format!("{failed} step(s) failed (see {})", path.display()))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// pack: the bundle for a machine without Rust, node or network.

/// The Vulkan loader and the GL dispatch libraries the device README has the command unpack
/// into / (libvulkan1 is what matters here).
const GL_DEBS: [&str; 7] = [
    "libvulkan1",
    "libegl1",
    "libglvnd0",
    "libopengl0",
    "libgl1",
    "libglx0",
    "libgles2",
];
/// What travels at most (the device tool's limit).
const TRAVEL_LIMIT: u64 = 64 << 20;

fn dir_size(p: &Path) -> u64 {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::read_dir(p)
            .map(|rd| rd.filter_map(Result::ok).map(|e| dir_size(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

/// Bytes of the files git would send (tracked, and untracked but not ignored).
fn tree_size(root: &Path) -> Result<u64, String> {
    let mut total = 0;
    for args in [
        &["ls-files", "-z"][..],
        &["ls-files", "-z", "-o", "--exclude-standard"],
    ] {
        let out = Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .map_err(|e| format!("git: {e}"))?;
        for f in out.stdout.split(|&b| b == 0).filter(|f| !f.is_empty()) {
            let p = root.join(String::from_utf8_lossy(f).as_ref());
            total += std::fs::symlink_metadata(&p).map_or(0, |m| m.len());
        }
    }
    Ok(total)
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("copy {} -> {}: {e}", from.display(), to.display()))
}

/// apt-get download, with one apt-get update and a retry when the lists are stale.
fn apt_download(dir: &Path, packages: &[&str]) -> Result<(), String> {
    let attempt = || {
        Command::new("apt-get")
            .arg("download")
            .args(packages)
            .current_dir(dir)
            .status()
            .is_ok_and(|s| s.success())
    };
    if attempt() {
        return Ok(());
    }
    crate::shell::run(Command::new("apt-get").args(["update", "-qq"]))?;
    if attempt() {
        Ok(())
    } else {
        Err(format!("apt-get download {} failed", packages.join(" ")))
    }
}

/// vulkaninfo (from Debian's vulkan-tools) and the libraries it needs beyond glibc and the C++
/// runtime, into `vk` (the report runs it with LD_LIBRARY_PATH=vk).
fn stage_vulkaninfo(scratch: &Path, vk: &Path) -> Result<(), String> {
    let debs = scratch.join("debs");
    let _ = std::fs::remove_dir_all(&debs);
    std::fs::create_dir_all(&debs).map_err(|e| e.to_string())?;
    apt_download(&debs, &["vulkan-tools"])?;
    let deb = std::fs::read_dir(&debs)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or("no vulkan-tools .deb")?;
    let x = scratch.join("x");
    crate::shell::run(Command::new("dpkg").arg("-x").arg(&deb).arg(&x))?;
    let exe = x.join("usr/bin/vulkaninfo");
    std::fs::create_dir_all(vk).map_err(|e| e.to_string())?;
    copy(&exe, &vk.join("vulkaninfo"))?;
    let ldd = Command::new("ldd")
        .arg(&exe)
        .output()
        .map_err(|e| format!("ldd: {e}"))?;
    let base = [
        "libc.so",
        "libm.so",
        "libstdc++",
        "libgcc_s",
        "libpthread",
        "libdl.so",
        "ld-linux",
        "linux-vdso",
        "libvulkan.so",
    ];
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        let Some((name, rest)) = line.trim().split_once(" => ") else {
            continue;
        };
        if base.iter().any(|b| name.starts_with(b)) {
            continue;
        }
        if let Some(path) = rest
            .split_whitespace()
            .next()
            .filter(|p| p.starts_with('/'))
        {
            copy(Path::new(path), &vk.join(name))?;
        }
    }
    Ok(())
}

fn pack(args: &[String]) -> Result<(), String> {
    let root = repo_root();
    let mut bundle = root.join(".cache/gpu-bundle");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bundle" => bundle = PathBuf::from(it.next().ok_or("--bundle needs a folder")?),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (gpu-report pack [--bundle DIR])"
                ))
            }
        }
    }
    let rel = bundle
        .strip_prefix(&root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| bundle.clone());
    let staging = root.join("target/gpu-bundle-staging");
    let _ = std::fs::remove_dir_all(&staging);
    let bin = staging.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| e.to_string())?;

    crate::shell::cargo(&[
        "build",
        "--release",
        "-p",
        "mistral-wgpu",
        "--bin",
        "mistral-wgpu",
    ])?;
    crate::shell::cargo(&[
        "build",
        "--release",
        "-p",
        "mistral-engine",
        "--example",
        "bench_ops",
    ])?;
    crate::shell::cargo(&["build", "--release", "-p", "xtask"])?;
    for (from, name) in [
        ("target/release/mistral-wgpu", "mistral-wgpu"),
        ("target/release/examples/bench_ops", "bench_ops"),
        ("target/release/xtask", "xtask"),
    ] {
        copy(&root.join(from), &bin.join(name))?;
        crate::shell::run(Command::new("strip").arg(bin.join(name)))?;
    }

    let llama_dir = root.join("scripts/llama-cpp-bench");
    if !llama_dir
        .join("node_modules/node-llama-cpp/package.json")
        .is_file()
    {
        crate::shell::run_in(
            &llama_dir,
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]),
        )?;
    }
    crate::shell::run(
        Command::new("bash")
            .arg(llama_dir.join("native/build.sh"))
            .arg(staging.join("llama")),
    )?;

    let scratch = root.join("target/gpu-bundle-scratch");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    if let Err(e) = stage_vulkaninfo(&scratch, &staging.join("vk")) {
        eprintln!("gpu-report pack: no vulkaninfo in the bundle: {e}");
    }

    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let manifest = format!(
        "commit: {}\nmade: {}\nrustc: {rustc}\n",
        commit(&root, None),
        utc_now()
    );
    std::fs::write(staging.join("manifest.txt"), manifest).map_err(|e| e.to_string())?;

    let _ = std::fs::remove_dir_all(&bundle);
    let gl = bundle.join("gl");
    std::fs::create_dir_all(&gl).map_err(|e| e.to_string())?;
    apt_download(&gl, &GL_DEBS)?;
    let tarball = bundle.join("bundle.tar.xz");
    eprintln!(
        "gpu-report pack: compressing {} MB (xz -9, a few minutes on 2 cores)",
        dir_size(&staging) / 1_000_000
    );
    crate::shell::run(
        Command::new("tar")
            .arg("-cJf")
            .arg(&tarball)
            .arg("-C")
            .arg(&staging)
            .arg(".")
            .env("XZ_OPT", "-9 -T0"),
    )?;

    let bundle_bytes = dir_size(&bundle);
    let tree = tree_size(&root)?;
    let total = tree + bundle_bytes;
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    eprintln!(
        "gpu-report pack: {} is {:.1} MiB; with the working tree ({:.1} MiB) {:.1} of the 64 MiB that may travel",
        bundle.display(),
        mib(bundle_bytes),
        mib(tree),
        mib(total)
    );
    let b = rel.display();
    println!(
        "\nOn the device machine (carry: [\"{b}\"]; timeout_s 600):\n\n{}\n",
        device_command(&b.to_string())
    );
    if total > TRAVEL_LIMIT {
        return Err(format!(
            "{:.1} MiB would travel, over the 64 MiB limit: drop something from the bundle",
            mib(total)
        ));
    }
    Ok(())
}

/// The device machine's command for a bundle at `b` (relative to the repository root).
pub fn device_command(b: &str) -> String {
    format!(
        "for f in {b}/gl/*.deb; do dpkg -x $f /; done; ldconfig; mkdir -p /tmp/gb && \
         (tar -xJf {b}/bundle.tar.xz -C /tmp/gb || python3 -c 'import sys,tarfile; \
         tarfile.open(sys.argv[1]).extractall(sys.argv[2])' {b}/bundle.tar.xz /tmp/gb) && \
         /tmp/gb/bin/xtask gpu-report --prebuilt /tmp/gb --quick --out $OUT"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours_json(model: &str, kernels: &str, prompt: u64, prefill: f64, decode: f64) -> String {
        format!(
            r#"{{"model":"{model}","model_name":null,"weights_bytes":4368439712,"adapter":"NVIDIA H100","backend":"Vulkan","device_type":"DiscreteGpu","kernels":"{kernels}","kernels_reason":"a discrete GPU","kv":"f32","prefill_chunk":256,"prompt_tokens":{prompt},"gen_tokens":64,"repetitions":3,"prefill_tok_s":{{"median":{prefill},"min":{},"max":{}}},"decode_tok_s":{{"median":{decode},"min":{},"max":{}}},"ttft_ms":{{"median":{},"min":1.0,"max":2.0}},"weight_gb_s":{{"median":{},"min":1.0,"max":2.0}},"dispatches_per_token":355,"profile":null}}"#,
            prefill - 1.0,
            prefill + 1.0,
            decode - 1.0,
            decode + 1.0,
            1000.0 * prompt as f64 / prefill,
            4.368439712 * decode,
        )
    }

    fn llama_json(model: &str, prompt: u64, prefill: f64, decode: f64) -> String {
        format!(
            r#"{{"engine":"llama.cpp","version":"native","harness":"native","llama_cpp_release":"v0.4.0","backend":"vulkan","device":"NVIDIA H100 80GB HBM3","model":"/root/.cache/synth/{model}","weights_bytes":4368439712,"prompt_tokens":{prompt},"gen_tokens":64,"repetitions":3,"threads":16,"context_size":768,"gpu_layers":33,"flash_attention":"auto","prefill_tok_s":{{"median":{prefill},"min":{prefill},"max":{prefill}}},"decode_tok_s":{{"median":{decode},"min":{decode},"max":{decode}}},"ttft_ms":{{"median":10,"min":10,"max":10}},"weight_gb_s":{{"median":500,"min":500,"max":500}}}}"#
        )
    }

    #[test]
    fn json_reads_what_the_tools_print() {
        let j = Json::parse(
            r#" {"a": [1, -2.5e3, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00", "o": {}, "e": []} "#,
        )
        .unwrap();
        assert_eq!(
            j.get("a").items(),
            &[
                Json::Num(1.0),
                Json::Num(-2500.0),
                Json::Bool(true),
                Json::Bool(false),
                Json::Null
            ]
        );
        assert_eq!(j.get("s").str(), Some("x\"\\/\né😀"));
        assert_eq!(j.get("o"), &Json::Obj(vec![]));
        assert!(j.get("missing").is_null());
        assert!(j.get("a").get("x").is_null());
        for bad in [
            "",
            "{",
            "{\"a\" 1}",
            "[1,]",
            "{\"a\":1} x",
            "\"abc",
            "nul",
            "-",
        ] {
            assert!(Json::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn the_json_line_is_found_among_other_output() {
        let out = "kernels: gpu (why)\n{\"a\":1}\n";
        let (line, j) = last_json_object(out).unwrap();
        assert_eq!(line, "{\"a\":1}");
        assert_eq!(j.get("a").num(), Some(1.0));
        // Pretty-printed over several lines.
        let (_, j) = last_json_object("note\n{\n  \"b\": [1,\n 2]\n}\n").unwrap();
        assert_eq!(j.get("b").items().len(), 2);
        assert!(last_json_object("no json here\n").is_none());
    }

    #[test]
    fn rows_come_from_both_engines_json() {
        let ours = RunRow::from_json(
            &Json::parse(&ours_json(
                ".cache/synth/m-Q4_K_M.gguf",
                "gpu",
                512,
                2000.0,
                80.0,
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(ours.model, "m-Q4_K_M.gguf");
        assert_eq!((ours.engine, ours.kernels.as_str()), (OURS, "gpu"));
        assert_eq!(
            (ours.prompt_tokens, ours.gen_tokens, ours.repetitions),
            (512, 64, 3)
        );
        assert_eq!(
            ours.prefill,
            Stat {
                median: 2000.0,
                min: 1999.0,
                max: 2001.0
            }
        );
        assert_eq!(ours.dispatches_per_token, Some(355.0));
        assert!(!ours.profile);
        let llama = RunRow::from_json(
            &Json::parse(&llama_json("m-Q4_K_M.gguf", 512, 4000.0, 100.0)).unwrap(),
        )
        .unwrap();
        assert_eq!((llama.engine, llama.kernels.as_str()), (LLAMA, "vulkan"));
        assert_eq!(llama.model, "m-Q4_K_M.gguf");
        assert_eq!(llama.dispatches_per_token, None);
        // The CPU reference has no kernels; something without the speed fields is no row.
        let cpu =
            ours_json("m.gguf", "x", 8, 10.0, 2.0).replace("\"kernels\":\"x\"", "\"kernels\":null");
        assert_eq!(
            RunRow::from_json(&Json::parse(&cpu).unwrap())
                .unwrap()
                .kernels,
            "cpu-reference"
        );
        assert!(RunRow::from_json(&Json::parse(r#"{"copy":{}}"#).unwrap()).is_none());
    }

    #[test]
    fn ratios_pair_runs_of_the_same_model_and_sizes() {
        let rows: Vec<RunRow> = [
            ours_json("a.gguf", "gpu", 512, 2000.0, 80.0),
            ours_json("a.gguf", "cpu", 512, 500.0, 40.0),
            ours_json("a.gguf", "gpu", 64, 900.0, 81.0),
            ours_json("b.gguf", "gpu", 512, 1.0, 1.0),
            llama_json("a.gguf", 512, 4000.0, 100.0),
            llama_json("a.gguf", 64, 1800.0, 90.0),
        ]
        .iter()
        .map(|j| RunRow::from_json(&Json::parse(j).unwrap()).unwrap())
        .collect();
        let r = ratios(&rows);
        assert_eq!(r.len(), 3, "b.gguf has no llama.cpp run: {r:?}");
        assert_eq!(
            (r[0].kernels.as_str(), r[0].prefill, r[0].decode),
            ("gpu", 0.5, 0.8)
        );
        assert_eq!(
            (r[1].kernels.as_str(), r[1].prefill, r[1].decode),
            ("cpu", 0.125, 0.4)
        );
        assert_eq!(
            (r[2].prompt_tokens, r[2].prefill, r[2].decode),
            (64, 0.5, 0.9)
        );
        let t = ratios_table(&r);
        assert!(t.contains("| a.gguf | 512+64 | gpu | 0.50 | 0.80 |"), "{t}");
    }

    #[test]
    fn results_table_shows_medians_ranges_and_the_copy_fraction() {
        let row = RunRow::from_json(
            &Json::parse(&ours_json("a.gguf", "gpu", 512, 2000.0, 80.0)).unwrap(),
        )
        .unwrap();
        // 4.368 GB x 80 tok/s = 349.5 GB/s; of a 3000 GB/s copy: 12%.
        let t = results_table(std::slice::from_ref(&row), Some(3000.0));
        assert!(
            t.contains("| a.gguf | mistral-wgpu | gpu | 512+64 x 3 | 2000.0 [1999.0..2001.0] | 80.00 [79.00..81.00] | 256.0 [1.0..2.0] | 349.5 | 12 | 355 |"),
            "{t}"
        );
        let t = results_table(&[row], None);
        assert!(t.contains("| 349.5 | – | 355 |"), "{t}");
    }

    #[test]
    fn ops_and_profile_sections_render() {
        let ops = Json::parse(r#"{"adapter":"H100","backend":"Vulkan","device_type":"DiscreteGpu","driver":"NVIDIA 580","kernels_auto":"gpu","kernels_why":"discrete","timing":"gpu-timestamps","copy":{"bytes":268435456,"us":200,"wall_us":210,"gbps_read_write":2684.4,"gbps_read_only_equivalent":1342.2},"results":[{"op":"matvec","rows":4096,"cols":4096,"type":"q4_k","variant":"coalesced","family":"gpu","selected":["auto","gpu"],"tokens":1,"gguf_bytes":9437184,"copies":28,"calls":256,"us_per_call":5.0,"wall_us_per_call":6.0,"gbps":1887.4,"frac_of_copy":0.703,"tok_per_s":200000.0}],"skipped":["q4_1 tiled: no"]}"#).unwrap();
        let s = ops_section(&ops);
        assert!(
            s.contains(
                "**2684.4 GB/s** read + written, 1342.2 GB/s read-only equivalent (gpu-timestamps)"
            ),
            "{s}"
        );
        assert!(s.contains("| matvec | 4096x4096 | q4_k | coalesced | gpu | auto,gpu | 1 | 5.0 | 1887.4 | 70 | 200000 |"), "{s}");
        assert!(s.contains("- q4_1 tiled: no"), "{s}");

        let run = Json::parse(r#"{"model":"/x/a.gguf","kernels":"gpu","profile":{"prefill":{"tokens":256,"dispatches":400,"total_ms":10.0,"ops":[{"op":"matmul","calls":7,"ms":2.0},{"op":"attention","calls":1,"ms":7.5},{"op":"norm","calls":2,"ms":0.5}]},"decode":null}}"#).unwrap();
        let p = profile_section(&run, 2);
        assert!(
            p.contains("a.gguf, kernels gpu, prefill: 256 tokens, 400 dispatches, 10.000 ms"),
            "{p}"
        );
        let attention = p.find("| attention | 1 | 7.500 | 75.0% |").expect(&p);
        let matmul = p.find("| matmul | 7 | 2.000 | 20.0% |").expect(&p);
        assert!(attention < matmul, "sorted by time: {p}");
        assert!(!p.contains("norm"), "top 2 only: {p}");
        assert!(!p.contains("decode"), "{p}");
    }

    #[test]
    fn the_whole_report_renders_with_failures_and_without_data() {
        let mut d = ReportData {
            started: "2026-01-01 00:00 UTC".into(),
            commit: "abc".into(),
            settings: "--quick".into(),
            ..Default::default()
        };
        d.steps.push(StepRecord {
            name: "4 bench_ops".into(),
            status: "timed out after 180 s".into(),
            secs: 180.0,
            note: "a|b".into(),
        });
        d.steps.push(StepRecord {
            name: "6 llama.cpp".into(),
            status: "skipped: --skip-llama".into(),
            secs: 0.0,
            note: String::new(),
        });
        let md = render(&d);
        assert!(
            md.contains("| 4 bench_ops | timed out after 180 s | 180.0 | a\\|b |"),
            "{md}"
        );
        assert!(md.contains("Not measured (see Steps)."));
        assert!(md.contains("No run succeeded"));
        assert!(md.contains("No pair of runs to compare."));
        assert_eq!(d.failed_steps(), 1);

        d.runs
            .push(Json::parse(&ours_json("a.gguf", "gpu", 512, 2000.0, 80.0)).unwrap());
        d.runs
            .push(Json::parse(&llama_json("a.gguf", 512, 4000.0, 100.0)).unwrap());
        d.machine
            .push(("nvidia-smi".into(), "GPU 0: H100\n".into()));
        let md = render(&d);
        assert!(
            md.contains("nvidia-smi:\n\n```text\nGPU 0: H100\n```"),
            "{md}"
        );
        assert!(
            md.contains("NVIDIA H100 (Vulkan, DiscreteGpu); kernels: gpu (a discrete GPU)"),
            "{md}"
        );
        assert!(
            md.contains("| a.gguf | 512+64 | gpu | 0.50 | 0.80 |"),
            "{md}"
        );
        assert!(
            md.contains("| a.gguf | llama.cpp | vulkan | 512+64 x 3 |"),
            "{md}"
        );
        let sum = summary(&d);
        assert!(
            sum.starts_with("1 of 2 steps failed; copy bandwidth – GB/s"),
            "{sum}"
        );
        assert!(
            sum.contains("| a.gguf | 512+64 | gpu | 0.50 | 0.80 |"),
            "{sum}"
        );
    }

    #[test]
    fn dates_and_options() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
        let root = Path::new("/r");
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = Options::parse(root, &args("--quick")).unwrap();
        assert_eq!(o.presets, vec![Preset::Q4KM]);
        assert_eq!(o.budget_s, 420.0);
        assert_eq!(o.out, Path::new("/r/target/gpu-report"));
        assert!(o.ops_args().contains(&"--rotate-mib".to_string()));
        let o = Options::parse(
            root,
            &args("--kinds gpu --prompt-tokens 16,4 --ops-args --quick --llama native"),
        )
        .unwrap();
        assert_eq!(
            (o.kinds.clone(), o.prompt_tokens.clone(), o.llama),
            (vec!["gpu".to_string()], vec![16, 4], Harness::Native)
        );
        assert_eq!(o.ops_args(), vec!["--quick", "--json"]);
        assert_eq!(Options::parse(root, &[]).unwrap().presets.len(), 3);
        assert!(Options::parse(root, &args("--kinds fast")).is_err());
        assert!(Options::parse(root, &args("--gen-tokens 0")).is_err());
        assert!(Options::parse(root, &args("--bogus")).is_err());
        assert!(device_command(".cache/gpu-bundle").len() < 2000);
    }
}
