// mistral-wgpu: Mistral-family GGUF models in the browser on WebGPU, with an OpenAI-shaped API.
export { createEngine } from './client.js';
export { MistralError, type MistralErrorCode } from './errors.js';
export { isModelCached, deleteCachedModel, cachedModels } from './cache.js';
export { downloadModel, type DownloadOptions } from './download.js';
export type {
  AdapterInfo,
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
  ChatRole,
  CompletionUsage,
  ContextNotice,
  CreateEngineOptions,
  FinishReason,
  KernelChoice,
  KernelFamily,
  LoadOptions,
  LoadPhase,
  LoadProgress,
  MistralEngine,
  ModelInfo,
} from './types.js';
