// llama-bench-native: bench.mjs's measurement of llama.cpp without node.
//
//   llama-bench-native --model F.gguf [--backend vulkan|cpu] [--threads N] [--prompt-tokens 64]
//                      [--gen-tokens 32] [--repetitions 3] [--warmup 1] [--gpu-layers max|N]
//
// The same flags, the same measurement and the same JSON object on stdout as bench.mjs (plus
// "harness": "native"), calling the llama.cpp C API of the libraries node-llama-cpp ships
// (@node-llama-cpp/linux-x64-vulkan, release v0.4.0) directly. It exists because a machine
// that has a GPU but no node (and no network) can be given these libraries and this program in
// ~13 MB (xz), where node itself is 22 MB and node_modules 732 MB. build.sh compiles it against
// the llama.h of the same release (from node-llama-cpp's llama/gitRelease.bundle).
//
// As bench.mjs (and node-llama-cpp's defaults): each repetition starts from an empty KV cache;
// prefill evaluates exactly --prompt-tokens ids 1 + (i*7919) % (vocab-1) in one batch
// (n_batch = n_ubatch = prompt tokens) and picks the first token greedily (argmax of the last
// row of logits): that time is the TTFT, prefill tok/s = prompt tokens / TTFT; then
// --gen-tokens single-token decode steps, each evaluating the previous token and picking the
// next greedily; decode tok/s = gen tokens / decode time. Context = prompt + gen + 8 rounded up
// to 256, flash attention "auto", --warmup untimed short runs first.
//
// The ggml backends (libggml-vulkan.so, libggml-cpu-*.so) are loaded from the folder of this
// executable. --backend vulkan sets GGML_VK_VISIBLE_DEVICES=0 when unset (lavapipe counts as a
// CPU device to ggml-vulkan and is skipped otherwise); --backend cpu keeps every layer and op on
// the CPU (n_gpu_layers 0, no op offload).

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ggml-backend.h"
#include "llama.h"

#ifndef LLAMA_CPP_RELEASE
#define LLAMA_CPP_RELEASE "unknown"
#endif

static const char *USAGE =
    "usage: llama-bench-native --model F.gguf [--backend vulkan|cpu] [--threads N] "
    "[--prompt-tokens N] [--gen-tokens N] [--repetitions N] [--warmup N] [--gpu-layers max|N]";

static void fail(const char *msg, const char *arg) {
    fprintf(stderr, "llama-bench-native: %s%s\n%s\n", msg, arg ? arg : "", USAGE);
    exit(2);
}

static int count(const char *flag, const char *v, int min) {
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || !end || *end || n < min || n > INT_MAX) fail("a whole number is needed for ", flag);
    return (int)n;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void log_cb(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level == GGML_LOG_LEVEL_WARN || level == GGML_LOG_LEVEL_ERROR) {
        fprintf(stderr, "[llama.cpp] %s", text);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct summary {
    double median, min, max;
};

static struct summary summarize(const double *xs, int n) {
    double *s = malloc(sizeof(double) * (size_t)n);
    memcpy(s, xs, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    struct summary r;
    r.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    r.min = s[0];
    r.max = s[n - 1];
    free(s);
    return r;
}

static void print_summary(const char *key, struct summary s, bool comma) {
    printf("\"%s\":{\"median\":%.17g,\"min\":%.17g,\"max\":%.17g}%s", key, s.median, s.min, s.max,
           comma ? "," : "");
}

/// Prints `s` as a JSON string.
static void print_json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
        } else if (*p < 0x20) {
            printf("\\u%04x", *p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

static int argmax(const float *logits, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
        if (logits[i] > logits[best]) best = i;
    }
    return best;
}

struct bench {
    struct llama_context *ctx;
    int n_vocab;
};

/// One run from an empty KV cache: prefill and decode seconds. Returns false on an error.
static bool run_once(struct bench *b, llama_token *prompt, int n_prompt, int gen, double *prefill,
                     double *decode) {
    llama_memory_clear(llama_get_memory(b->ctx), true);
    double t0 = now_s();
    if (llama_decode(b->ctx, llama_batch_get_one(prompt, n_prompt)) != 0) {
        fprintf(stderr, "llama-bench-native: prefill decode failed\n");
        return false;
    }
    llama_token next = argmax(llama_get_logits_ith(b->ctx, -1), b->n_vocab);
    *prefill = now_s() - t0;
    t0 = now_s();
    for (int i = 0; i < gen; i++) {
        llama_token tok = next;
        if (llama_decode(b->ctx, llama_batch_get_one(&tok, 1)) != 0) {
            fprintf(stderr, "llama-bench-native: decode step %d failed\n", i);
            return false;
        }
        next = argmax(llama_get_logits_ith(b->ctx, -1), b->n_vocab);
    }
    *decode = now_s() - t0;
    return true;
}

int main(int argc, char **argv) {
    const char *model_path = NULL;
    const char *backend = "vulkan";
    int threads = 2, prompt_tokens = 64, gen_tokens = 32, repetitions = 3, warmup = 1;
    int gpu_layers = -1; // max
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (!strcmp(flag, "-h") || !strcmp(flag, "--help")) {
            fprintf(stderr, "%s\n", USAGE);
            return 0;
        }
        if (i + 1 >= argc) fail("a value is needed after ", flag);
        const char *v = argv[++i];
        if (!strcmp(flag, "--model")) model_path = v;
        else if (!strcmp(flag, "--backend")) backend = v;
        else if (!strcmp(flag, "--threads")) threads = count(flag, v, 1);
        else if (!strcmp(flag, "--prompt-tokens")) prompt_tokens = count(flag, v, 1);
        else if (!strcmp(flag, "--gen-tokens")) gen_tokens = count(flag, v, 1);
        else if (!strcmp(flag, "--repetitions")) repetitions = count(flag, v, 1);
        else if (!strcmp(flag, "--warmup")) warmup = count(flag, v, 0);
        else if (!strcmp(flag, "--gpu-layers"))
            gpu_layers = (!strcmp(v, "max") || !strcmp(v, "auto")) ? -1 : count(flag, v, 0);
        else fail("unknown argument ", flag);
    }
    if (!model_path) fail("--model is required", NULL);
    bool vulkan = !strcmp(backend, "vulkan");
    if (!vulkan && strcmp(backend, "cpu")) fail("--backend is cpu or vulkan, got ", backend);
    if (vulkan) setenv("GGML_VK_VISIBLE_DEVICES", "0", 0);

    llama_log_set(log_cb, NULL);
    // The backends live beside this executable.
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) fail("cannot read /proc/self/exe", NULL);
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    ggml_backend_load_all_from_path(exe);
    llama_backend_init();

    // Device: the GPU names (vulkan) or the CPU's.
    char device[1024] = "";
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t d = ggml_backend_dev_get(i);
        enum ggml_backend_dev_type t = ggml_backend_dev_type(d);
        bool want = vulkan ? (t == GGML_BACKEND_DEVICE_TYPE_GPU || t == GGML_BACKEND_DEVICE_TYPE_IGPU)
                           : t == GGML_BACKEND_DEVICE_TYPE_CPU;
        if (!want) continue;
        if (device[0]) strncat(device, ", ", sizeof device - strlen(device) - 1);
        strncat(device, ggml_backend_dev_description(d), sizeof device - strlen(device) - 1);
    }
    if (vulkan && !device[0]) {
        fprintf(stderr, "llama-bench-native: asked for vulkan, ggml found no Vulkan device\n");
        return 1;
    }

    char real_model[PATH_MAX];
    if (!realpath(model_path, real_model)) {
        fprintf(stderr, "llama-bench-native: %s: %s\n", model_path, strerror(errno));
        return 1;
    }
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = vulkan ? gpu_layers : 0;
    struct llama_model *model = llama_model_load_from_file(real_model, mp);
    if (!model) {
        fprintf(stderr, "llama-bench-native: cannot load %s\n", real_model);
        return 1;
    }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);
    llama_token *prompt = malloc(sizeof(llama_token) * (size_t)prompt_tokens);
    for (int i = 0; i < prompt_tokens; i++) {
        prompt[i] = 1 + (llama_token)(((long long)i * 7919) % (n_vocab - 1));
    }

    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)((prompt_tokens + gen_tokens + 8 + 255) / 256 * 256);
    cp.n_batch = (uint32_t)prompt_tokens;
    cp.n_ubatch = (uint32_t)prompt_tokens;
    cp.n_seq_max = 1;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_AUTO;
    cp.no_perf = true;
    cp.swa_full = false;
    if (!vulkan) {
        cp.offload_kqv = false;
        cp.op_offload = false;
    }
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "llama-bench-native: cannot create a context\n");
        return 1;
    }
    int n_layer = llama_model_n_layer(model);
    int offloaded = vulkan ? (gpu_layers < 0 || gpu_layers > n_layer ? n_layer + 1 : gpu_layers) : 0;
    uint64_t size = llama_model_size(model);
    fprintf(stderr,
            "llama.cpp %s (native harness), backend %s%s%s, %d threads, context %u, model %s "
            "(%.2f GB, %d layers offloaded)\n",
            LLAMA_CPP_RELEASE, backend, device[0] ? " on " : "", device, threads, llama_n_ctx(ctx),
            real_model, (double)size / 1e9, offloaded);

    struct bench b = {ctx, n_vocab};
    for (int w = 0; w < warmup; w++) {
        double p, d;
        int n = prompt_tokens < 16 ? prompt_tokens : 16;
        if (!run_once(&b, prompt, n, gen_tokens < 2 ? gen_tokens : 2, &p, &d)) return 1;
    }
    if (warmup > 0) fprintf(stderr, "warmup: %d untimed run(s)\n", warmup);

    double *prefill_tps = malloc(sizeof(double) * (size_t)repetitions);
    double *decode_tps = malloc(sizeof(double) * (size_t)repetitions);
    double *ttft_ms = malloc(sizeof(double) * (size_t)repetitions);
    for (int r = 0; r < repetitions; r++) {
        double p, d;
        if (!run_once(&b, prompt, prompt_tokens, gen_tokens, &p, &d)) return 1;
        prefill_tps[r] = prompt_tokens / p;
        decode_tps[r] = gen_tokens / d;
        ttft_ms[r] = p * 1e3;
        fprintf(stderr,
                "repetition %d/%d: prefill %.1f tok/s (TTFT %.1f ms), decode %.2f tok/s\n", r + 1,
                repetitions, prefill_tps[r], ttft_ms[r], decode_tps[r]);
    }

    printf("{\"engine\":\"llama.cpp\",\"version\":\"native\",\"harness\":\"native\","
           "\"llama_cpp_release\":");
    print_json_string(LLAMA_CPP_RELEASE);
    printf(",\"backend\":");
    print_json_string(backend);
    printf(",\"device\":");
    if (device[0]) print_json_string(device);
    else printf("null");
    printf(",\"model\":");
    print_json_string(real_model);
    printf(",\"weights_bytes\":%llu,\"prompt_tokens\":%d,\"gen_tokens\":%d,\"repetitions\":%d,"
           "\"threads\":%d,\"context_size\":%u,\"gpu_layers\":%d,\"flash_attention\":\"auto\",",
           (unsigned long long)size, prompt_tokens, gen_tokens, repetitions, threads,
           llama_n_ctx(ctx), offloaded);
    print_summary("prefill_tok_s", summarize(prefill_tps, repetitions), true);
    struct summary dec = summarize(decode_tps, repetitions);
    print_summary("decode_tok_s", dec, true);
    print_summary("ttft_ms", summarize(ttft_ms, repetitions), true);
    // As bench.mjs: weight bytes x the decode summary.
    struct summary gbps = {size * dec.median / 1e9, size * dec.min / 1e9, size * dec.max / 1e9};
    print_summary("weight_gb_s", gbps, false);
    printf("}\n");
    fflush(stdout);

    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
