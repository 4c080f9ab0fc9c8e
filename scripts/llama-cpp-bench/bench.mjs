#!/usr/bin/env node
// llama.cpp's prefill and decode speed on a GGUF, through node-llama-cpp (pinned, prebuilt
// binaries: nothing is compiled), measured the way `mistral-wgpu bench` measures ours:
//
//   node bench.mjs --model F.gguf [--backend cpu|vulkan] [--threads 2] [--prompt-tokens 64]
//                  [--gen-tokens 32] [--repetitions 3] [--warmup 1] [--gpu-layers max|N]
//
// Each repetition takes a fresh context sequence (empty KV cache) and
//   prefill: evaluates exactly --prompt-tokens fixed in-vocabulary ids (1 + (i*7919) % (vocab-1),
//            the ids our bench uses) in one batch and samples the first token greedily: that time
//            is the TTFT, and prefill tok/s = prompt tokens / TTFT;
//   decode:  evaluates the last token and samples the next, --gen-tokens times, one at a time;
//            decode tok/s = gen tokens / decode time.
// Context shift is disabled (it would throw) and the context holds prompt + gen tokens.
// First --warmup untimed short runs. Progress goes to stderr; stdout gets ONE JSON object.
//
// backend vulkan: llama.cpp's Vulkan backend skips CPU devices (lavapipe) unless
// GGML_VK_VISIBLE_DEVICES lists them; it is set to 0 here when unset.

import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

const VERSION = "3.21.1";
const USAGE =
    "usage: node bench.mjs --model F.gguf [--backend cpu|vulkan] [--threads N] [--prompt-tokens N] " +
    "[--gen-tokens N] [--repetitions N] [--warmup N] [--gpu-layers max|N]";

function parseArgs(argv) {
    const o = {
        model: null,
        backend: "cpu",
        threads: 2,
        promptTokens: 64,
        genTokens: 32,
        repetitions: 3,
        warmup: 1,
        gpuLayers: "max",
    };
    const count = (flag, v, min) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < min) fail(`${flag} takes a whole number >= ${min}, got ${v}`);
        return n;
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) fail(`${flag} needs a value`);
            return argv[++i];
        };
        switch (flag) {
            case "--model": o.model = value(); break;
            case "--backend": o.backend = value(); break;
            case "--threads": o.threads = count(flag, value(), 1); break;
            case "--prompt-tokens": o.promptTokens = count(flag, value(), 1); break;
            case "--gen-tokens": o.genTokens = count(flag, value(), 1); break;
            case "--repetitions": o.repetitions = count(flag, value(), 1); break;
            case "--warmup": o.warmup = count(flag, value(), 0); break;
            case "--gpu-layers": {
                const v = value();
                o.gpuLayers = v === "max" || v === "auto" ? v : count(flag, v, 0);
                break;
            }
            case "-h": case "--help": console.error(USAGE); process.exit(0);
            default: fail(`unknown argument ${flag}`);
        }
    }
    if (!o.model) fail("--model is required");
    if (o.backend !== "cpu" && o.backend !== "vulkan") fail(`--backend is cpu or vulkan, got ${o.backend}`);
    return o;
}

function fail(msg) {
    console.error(`bench.mjs: ${msg}\n${USAGE}`);
    process.exit(2);
}

function summary(xs) {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    return { median, min: s[0], max: s[s.length - 1] };
}

const o = parseArgs(process.argv.slice(2));
if (o.backend === "vulkan" && process.env.GGML_VK_VISIBLE_DEVICES === undefined) {
    // Read by ggml-vulkan when the backend loads, i.e. after this point.
    process.env.GGML_VK_VISIBLE_DEVICES = "0";
}
const log = (msg) => process.stderr.write(`${msg}\n`);

const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
const llama = await getLlama({
    gpu: o.backend === "vulkan" ? "vulkan" : false,
    build: "never",
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => process.stderr.write(`[llama.cpp ${level}] ${message.trimEnd()}\n`),
});
if (o.backend === "vulkan" && llama.gpu !== "vulkan") {
    throw new Error(`asked for vulkan, node-llama-cpp gave ${llama.gpu}`);
}
const device =
    o.backend === "vulkan"
        ? (await llama.getGpuDeviceNames()).join(", ") || null
        : (os.cpus()[0]?.model ?? null);

const modelPath = path.resolve(o.model);
const model = await llama.loadModel({
    modelPath,
    gpuLayers: o.backend === "vulkan" ? o.gpuLayers : 0,
});
const embd = model.fileInfo.tensorInfo?.find((t) => t.name === "token_embd.weight");
const vocab = Number(embd?.dimensions?.[1] ?? model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length ?? 32000);
const prompt = Array.from({ length: o.promptTokens }, (_, i) => 1 + ((i * 7919) % (vocab - 1)));

// Room for the whole run, rounded up to llama.cpp's KV padding.
const contextSize = Math.ceil((o.promptTokens + o.genTokens + 8) / 256) * 256;
const context = await model.createContext({
    contextSize,
    batchSize: Math.max(o.promptTokens, 1),
    sequences: 1,
    threads: o.threads,
});
const noShift = {
    strategy: () => {
        throw new Error(`context shift needed: the ${contextSize}-token context is too small`);
    },
};
const greedy = { generateNext: { token: true, options: { temperature: 0 } } };

/** One run on a fresh sequence: [prefill seconds, decode seconds]. */
async function runOnce(promptIds, gen) {
    const sequence = context.getSequence({ contextShift: noShift });
    try {
        const input = promptIds.map((t, i) => (i === promptIds.length - 1 ? [t, greedy] : t));
        let t0 = performance.now();
        let out = await sequence.controlledEvaluate(input, { contextShift: noShift });
        let next = out[promptIds.length - 1]?.next?.token;
        const prefill = (performance.now() - t0) / 1e3;
        if (next == null) throw new Error("prefill produced no token");
        t0 = performance.now();
        for (let i = 0; i < gen; i++) {
            out = await sequence.controlledEvaluate([[next, greedy]], { contextShift: noShift });
            next = out[0]?.next?.token;
            if (next == null) throw new Error(`decode step ${i} produced no token`);
        }
        const decode = (performance.now() - t0) / 1e3;
        if (sequence.nextTokenIndex !== promptIds.length + gen) {
            throw new Error(`sequence holds ${sequence.nextTokenIndex} tokens, expected ${promptIds.length + gen}`);
        }
        return [prefill, decode];
    } finally {
        await sequence.dispose();
    }
}

log(
    `llama.cpp ${llama.llamaCppRelease?.release ?? "?"} via node-llama-cpp ${VERSION} (${llama.buildType}), ` +
        `backend ${o.backend}${device ? ` on ${device}` : ""}, ${context.currentThreads} threads, ` +
        `context ${context.contextSize}, model ${path.basename(modelPath)} (${(model.size / 1e9).toFixed(2)} GB, ` +
        `${model.gpuLayers} layers offloaded)`,
);
for (let w = 0; w < o.warmup; w++) {
    await runOnce(prompt.slice(0, Math.min(prompt.length, 16)), Math.min(o.genTokens, 2));
}
if (o.warmup > 0) log(`warmup: ${o.warmup} untimed run(s)`);

const timings = [];
for (let r = 0; r < o.repetitions; r++) {
    const [prefill, decode] = await runOnce(prompt, o.genTokens);
    timings.push({ prefill, decode });
    log(
        `repetition ${r + 1}/${o.repetitions}: prefill ${(o.promptTokens / prefill).toFixed(1)} tok/s ` +
            `(TTFT ${(prefill * 1e3).toFixed(1)} ms), decode ${(o.genTokens / decode).toFixed(2)} tok/s`,
    );
}

const decodeTps = summary(timings.map((t) => o.genTokens / t.decode));
const report = {
    engine: "llama.cpp",
    version: VERSION,
    llama_cpp_release: llama.llamaCppRelease?.release ?? null,
    backend: o.backend,
    device,
    model: modelPath,
    weights_bytes: model.size,
    prompt_tokens: o.promptTokens,
    gen_tokens: o.genTokens,
    repetitions: o.repetitions,
    threads: context.currentThreads,
    context_size: context.contextSize,
    gpu_layers: model.gpuLayers,
    flash_attention: context.flashAttention,
    prefill_tok_s: summary(timings.map((t) => o.promptTokens / t.prefill)),
    decode_tok_s: decodeTps,
    ttft_ms: summary(timings.map((t) => t.prefill * 1e3)),
    weight_gb_s: {
        median: (model.size * decodeTps.median) / 1e9,
        min: (model.size * decodeTps.min) / 1e9,
        max: (model.size * decodeTps.max) / 1e9,
    },
};
process.stdout.write(`${JSON.stringify(report)}\n`);
await context.dispose();
await model.dispose();
await llama.dispose();
