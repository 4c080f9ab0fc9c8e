// Type-checks the published API from a consumer's point of view (tsc --noEmit --strict,
// module nodenext, against the packed tarball). Never executed.
import {
  createEngine, MistralError, isModelCached, deleteCachedModel, cachedModels, downloadModel,
  type CachedModel, type DownloadOptions,
  type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, type ChatCompletionTokenLogprob, type ContextLimit, type EngineErrorCode,
  type KernelChoice, type KernelFamily, type KvPrecision, type KvPrecisionChoice, type LoadProgress, type MistralEngine, type MistralErrorCode,
  type ModelInfo, type SamplingDefaults, type TopLogprob,
} from 'mistral-wgpu';

const MODEL_URL = 'https://huggingface.co/TheBloke/Mistral-7B-Instruct-v0.2-GGUF/resolve/main/mistral-7b-instruct-v0.2.Q4_K_M.gguf';

function describe(e: unknown): string {
  if (!(e instanceof MistralError)) return String(e);
  const code: MistralErrorCode = e.code;
  switch (code) {
    case 'no-webgpu':
    case 'no-adapter':
      return `This browser cannot run the model: ${e.message}`;
    case 'quota':
      return `Not enough storage: ${e.message}`;
    case 'network':
      return `Download failed: ${e.message}`;
    case 'device-lost':
      return 'The GPU was reset; load the model again.';
    case 'aborted':
      return 'Cancelled.';
    default:
      return `${e.name} (${e.code}): ${e.message}`;
  }
}

export async function main(file?: File): Promise<void> {
  let engine: MistralEngine;
  try {
    engine = await createEngine({ worker: true });
  } catch (e) {
    console.log(describe(e));
    return;
  }
  const local: MistralEngine = await createEngine({ worker: false, wasmUrl: new URL('https://example.com/mistral_web_bg.wasm') });
  local.terminate();

  const controller = new AbortController();
  const cached: boolean = await isModelCached(MODEL_URL);
  const info: ModelInfo = await engine.loadModel(file ?? MODEL_URL, {
    onProgress: (p: LoadProgress) => console.log(p.phase, p.loaded, p.total, p.text),
    signal: controller.signal,
    cache: !cached || true,
    contextLength: 4096,
    prefillChunk: 256,
    kvPrecision: 'auto',
    kernels: 'auto',
  });
  const family: KernelFamily = info.kernels;
  const kv: KvPrecision = info.kvPrecision;
  const kvChoice: KvPrecisionChoice = Math.random() < 0.5 ? 'auto' : kv;
  const limit: ContextLimit = info.contextLimit;
  // The model's recommended sampling settings are request fields: spread them into a request.
  const defaults: SamplingDefaults = info.samplingDefaults;
  const seeded: ChatCompletionRequest = { messages: [{ role: 'user', content: 'Hi' }], ...defaults, seed: 1 };
  const engineCode: EngineErrorCode = 'no-model';
  const anyCode: MistralErrorCode = engineCode;
  console.log(kvChoice, limit, defaults.temperature ?? 'engine default', defaults.top_k, info.warnings.join('; '), seeded.messages.length, anyCode);
  const choice: KernelChoice = Math.random() < 0.5 ? 'gpu' : family;
  console.log(info.name, info.quantization, info.contextLength, info.usableContext, info.kvPrecision, info.slidingWindow ?? 'none', info.gpuBytes,
    family, info.kernelsReason, choice);

  // Streaming.
  const chunks: AsyncIterable<ChatCompletionChunk> = await engine.chat.completions.create({
    messages: [
      { role: 'system', content: 'You are concise.' },
      { role: 'user', content: 'What is the capital of France?' },
    ],
    stream: true,
    temperature: 0.7,
    top_p: 0.95,
    top_k: 40,
    max_tokens: 128,
    stop: ['\n\n'],
    seed: 42,
  });
  let reply = '';
  for await (const chunk of chunks) {
    const choice = chunk.choices[0];
    if (choice === undefined) continue;
    reply += choice.delta.content ?? '';
    if (choice.finish_reason !== null) {
      const reason: 'stop' | 'length' | 'abort' = choice.finish_reason;
      console.log(reason, chunk.usage?.completion_tokens, chunk.usage?.extra.decode_tokens_per_s, chunk.dropped_messages, chunk.notice);
    }
    if (reply.length > 1000) break; // aborts generation
  }

  // Non-streaming.
  const completion: ChatCompletion = await engine.chat.completions.create({
    messages: [
      { role: 'user', content: 'What is the capital of France?' },
      { role: 'assistant', content: reply },
      { role: 'user', content: 'And of Italy?' },
    ],
    stop: 'Paris',
    temperature: 0,
    min_p: 0.05,
    repetition_penalty: 1.1,
    presence_penalty: 0.5,
    frequency_penalty: 0.2,
    penalty_last_n: 64,
    logit_bias: { '28705': -100 },
    logprobs: true,
    top_logprobs: 2,
  });
  const tokens: ChatCompletionTokenLogprob[] = completion.choices[0]?.logprobs?.content ?? [];
  for (const t of tokens) console.log(t.id, t.token, t.logprob, t.bytes, t.top_logprobs.map((a: TopLogprob) => `${a.id}:${a.token}:${a.logprob}`));
  const dropped: number = completion.dropped_messages;
  console.log(dropped, completion.notice ?? '');
  const text: string = completion.choices[0]?.message.content ?? '';
  const obj: 'chat.completion' = completion.object;
  console.log(text, obj, completion.id, completion.created, completion.model, completion.usage.total_tokens,
    completion.usage.extra.prefill_tokens_per_s);

  setTimeout(() => engine.abort(), 1000);
  await engine.reset();
  const adapter = await engine.adapterInfo();
  console.log(adapter.name, adapter.backend, adapter.features.join(','), adapter.limits.maxBufferSize, adapter.kernels, adapter.kernelsReason);
  const logits: Float32Array = await engine.logits([1, 415, 2936]);
  const logits2: Float32Array = await engine.logits(new Uint32Array([1]));
  const mem: number = await engine.wasmMemoryBytes();
  const current: ModelInfo | null = await engine.modelInfo();
  console.log(logits.length, logits2.length, mem, current?.vocabSize);

  for (const m of await cachedModels()) console.log(m.url, m.size, m.cachedBytes, m.complete, m.storedAt ?? 'date unknown');
  const later = new AbortController();
  const options: DownloadOptions = { signal: later.signal, onProgress: (p: LoadProgress) => console.log(p.text), sha256: 'ab'.repeat(32) };
  const stored: CachedModel = await downloadModel(MODEL_URL, options);
  console.log(stored.complete, stored.storedAt);
  const deleted: boolean = await deleteCachedModel(new URL(MODEL_URL));
  console.log(deleted);

  await engine.unload();
  engine.terminate();
}
