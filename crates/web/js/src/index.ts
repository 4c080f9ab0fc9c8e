// mistral-wgpu: Mistral-family GGUF models in the browser on WebGPU, with an OpenAI-shaped API.
export { createEngine } from './client.js';
export { MistralError, type EngineErrorCode, type MistralErrorCode } from './errors.js';
export { isModelCached, deleteCachedModel, cachedModels } from './cache.js';
export { downloadModel, type DownloadOptions } from './download.js';
// The accepted values of the numeric sampling fields, generated from the Rust table, for forms
// that check a setting where it is typed (the chat page does).
export { NUMBER_RULES, SAMPLING_LIMITS, type NumberRule } from './generated/engine-types.js';
export { ruleAccepts, ruleWords } from './sampling.js';
export type {
  AdapterInfo,
  AdapterLimits,
  CachedModel,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionChunkDelta,
  ChatCompletionLogprobs,
  ChatCompletionMessage,
  ChatCompletionRequest,
  ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming,
  ChatCompletionTokenLogprob,
  ChatCompletions,
  ChatMessage,
  ChatRequestFields,
  ChatRole,
  CompletionUsage,
  ContextLimit,
  ContextNotice,
  CreateEngineOptions,
  FinishReason,
  KernelChoice,
  KernelFamily,
  KvPrecision,
  KvPrecisionChoice,
  LoadOptions,
  LoadPhase,
  LoadProgress,
  MistralEngine,
  ModelInfo,
  SamplingDefaults,
  SamplingFields,
  StreamOptions,
  TopLogprob,
} from './types.js';
