#!/usr/bin/env node
// mistral-wgpu and llama.cpp on the same models in one run, one after the other:
//
//   node side-by-side.mjs --models a.gguf,b.gguf [--backends cpu,vulkan] [--ours PATH]
//       [--kernels auto,cpu,gpu] [--prompt-tokens 64] [--gen-tokens 32] [--repetitions 3]
//       [--threads 2] [--out results.jsonl]
//
// For each model: `mistral-wgpu bench --json` once per --kernels value (once without the flag
// when --kernels is not given), then bench.mjs (llama.cpp through node-llama-cpp) once per
// --backends value. Prints a markdown table of prefill/decode tok/s (median, min-max) and TTFT,
// then the ratios ours / llama.cpp, and writes every raw JSON object as one line of --out
// (default side-by-side-<time>.jsonl here). A run that fails is reported and the others go on;
// the exit status is 1 when any failed. No dependencies beyond node itself (bench.mjs needs
// `npm ci` here first).

import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const USAGE =
    "usage: node side-by-side.mjs --models a.gguf[,b.gguf] [--backends cpu,vulkan] [--ours PATH] " +
    "[--kernels auto,cpu,gpu] [--prompt-tokens N] [--gen-tokens N] [--repetitions N] [--threads N] [--out FILE]";

function fail(msg) {
    console.error(`side-by-side.mjs: ${msg}\n${USAGE}`);
    process.exit(2);
}

function parseArgs(argv) {
    const o = {
        models: [],
        backends: ["cpu", "vulkan"],
        ours: path.resolve(here, "../../target/release/mistral-wgpu"),
        kernels: [null],
        promptTokens: "64",
        genTokens: "32",
        repetitions: "3",
        threads: "2",
        out: null,
    };
    const list = (v) => v.split(",").map((s) => s.trim()).filter(Boolean);
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) fail(`${flag} needs a value`);
            return argv[++i];
        };
        switch (flag) {
            case "--models": o.models = list(value()); break;
            case "--backends": o.backends = list(value()); break;
            case "--ours": o.ours = path.resolve(value()); break;
            case "--kernels": o.kernels = list(value()); break;
            case "--prompt-tokens": o.promptTokens = value(); break;
            case "--gen-tokens": o.genTokens = value(); break;
            case "--repetitions": o.repetitions = value(); break;
            case "--threads": o.threads = value(); break;
            case "--out": o.out = path.resolve(value()); break;
            case "-h": case "--help": console.error(USAGE); process.exit(0);
            default: fail(`unknown argument ${flag}`);
        }
    }
    if (o.models.length === 0) fail("--models is required");
    for (const b of o.backends) if (b !== "cpu" && b !== "vulkan") fail(`unknown backend ${b}`);
    for (const n of ["promptTokens", "genTokens", "repetitions", "threads"]) {
        if (!/^[1-9][0-9]*$/.test(o[n])) fail(`${n} must be a positive integer, got ${o[n]}`);
    }
    o.out ??= path.resolve(`side-by-side-${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`);
    return o;
}

/** Runs a command, passing stderr through; resolves to the last JSON object on stdout. */
function runJson(cmd, args, env = process.env) {
    console.error(`$ ${[cmd, ...args].join(" ")}`);
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"], env });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("error", reject);
        child.on("close", (code, signal) => {
            const line = out.trim().split("\n").reverse().find((l) => l.trim().startsWith("{"));
            if (code !== 0 || !line) {
                reject(new Error(`${path.basename(cmd)} ${code !== null ? `exited with ${code}` : `died of ${signal}`}` +
                    (line ? "" : ", no JSON on stdout")));
                return;
            }
            try {
                resolve(JSON.parse(line));
            } catch (e) {
                reject(new Error(`bad JSON from ${path.basename(cmd)}: ${e.message}`));
            }
        });
    });
}

const num = (x) => (typeof x === "number" && Number.isFinite(x) ? x : null);

/** "median (min-max)" of a {median, min, max} summary, or "–" for missing fields. */
function cell(s, decimals) {
    const m = num(s?.median);
    if (m === null) return "–";
    const [lo, hi] = [num(s?.min), num(s?.max)];
    const range = lo !== null && hi !== null ? ` (${lo.toFixed(decimals)}-${hi.toFixed(decimals)})` : "";
    return `${m.toFixed(decimals)}${range}`;
}

function ratio(a, b) {
    const [x, y] = [num(a?.median), num(b?.median)];
    return x !== null && y !== null && y > 0 ? `${(x / y).toFixed(2)}x` : "–";
}

/** What ran: backend/device for llama.cpp, adapter and kernel family for ours. */
function describe(r) {
    if (r.engine === "llama.cpp") {
        return [r.backend, r.device, r.threads ? `${r.threads} threads` : null].filter(Boolean).join(", ");
    }
    const kernels = r.kernels ? `kernels ${r.kernels}` : r.requested_kernels ? `kernels ${r.requested_kernels}?` : null;
    return [r.adapter, r.backend, kernels, r.kv ? `kv ${r.kv}` : null].filter(Boolean).join(", ");
}

function table(rows) {
    const lines = [
        "| model | engine | run on | prefill tok/s | decode tok/s | TTFT ms |",
        "|---|---|---|---|---|---|",
    ];
    for (const r of rows) {
        const name = path.basename(r.model ?? r.requested_model ?? "?");
        if (r.error) {
            lines.push(`| ${name} | ${r.engine} | ${r.label} | failed: ${r.error} | | |`);
            continue;
        }
        lines.push(
            `| ${name} | ${r.engine} | ${describe(r) || "–"} | ${cell(r.prefill_tok_s, 1)} | ` +
                `${cell(r.decode_tok_s, 2)} | ${cell(r.ttft_ms, 0)} |`,
        );
    }
    return lines.join("\n");
}

function ratios(rows, models) {
    const lines = [
        "| model | ours | llama.cpp | prefill ours/llama.cpp | decode ours/llama.cpp |",
        "|---|---|---|---|---|",
    ];
    for (const m of models) {
        const ok = rows.filter((r) => r.requested_model === m && !r.error);
        for (const a of ok.filter((r) => r.engine === "mistral-wgpu")) {
            for (const b of ok.filter((r) => r.engine === "llama.cpp")) {
                lines.push(
                    `| ${path.basename(m)} | ${describe(a) || "–"} | ${b.backend ?? "–"} | ` +
                        `${ratio(a.prefill_tok_s, b.prefill_tok_s)} | ${ratio(a.decode_tok_s, b.decode_tok_s)} |`,
                );
            }
        }
    }
    return lines.join("\n");
}

const o = parseArgs(process.argv.slice(2));
if (!existsSync(o.ours)) {
    fail(`${o.ours} does not exist: cargo build --release -p mistral-wgpu, or pass --ours`);
}
if (!existsSync(path.join(here, "node_modules", "node-llama-cpp"))) {
    fail(`node-llama-cpp is not installed: run npm ci in ${here}`);
}
const common = ["--prompt-tokens", o.promptTokens, "--gen-tokens", o.genTokens, "--repetitions", o.repetitions];
const rows = [];
for (const model of o.models) {
    const modelPath = path.resolve(model);
    for (const k of o.kernels) {
        const args = ["bench", "--model", modelPath, ...common, "--json", ...(k ? ["--kernels", k] : [])];
        const label = `mistral-wgpu${k ? ` --kernels ${k}` : ""}`;
        try {
            const r = await runJson(o.ours, args);
            rows.push({ engine: "mistral-wgpu", requested_kernels: k, ...r, requested_model: modelPath });
        } catch (e) {
            rows.push({ engine: "mistral-wgpu", label, error: e.message, requested_model: modelPath });
        }
    }
    for (const backend of o.backends) {
        const args = [path.join(here, "bench.mjs"), "--model", modelPath, "--backend", backend,
            "--threads", o.threads, ...common];
        try {
            const r = await runJson(process.execPath, args);
            rows.push({ ...r, requested_model: modelPath });
        } catch (e) {
            rows.push({ engine: "llama.cpp", label: backend, error: e.message, requested_model: modelPath });
        }
    }
}

writeFileSync(o.out, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
console.log(`prompt ${o.promptTokens} tokens, ${o.genTokens} generated, ${o.repetitions} repetitions; ` +
    `median (min-max)\n`);
console.log(table(rows));
console.log("\nRatios (medians; above 1 means mistral-wgpu is faster):\n");
console.log(ratios(rows, o.models.map((m) => path.resolve(m))));
console.log(`\nraw JSON lines: ${o.out}`);
process.exit(rows.some((r) => r.error) ? 1 : 0);
