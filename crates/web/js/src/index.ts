// mistral-wgpu: Mistral-family GGUF models in the browser on WebGPU, with an OpenAI-shaped API.
export { createEngine } from './client.js';
export { MistralError, type MistralErrorCode } from './errors.js';
export { isModelCached, deleteCachedModel, cachedModels } from './cache.js';
export type {
  AdapterInfo,
  CachedModel,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionChunkDelta,
  ChatCompletionMessage,
  ChatCompletionRequest,
  ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming,
  ChatCompletions,
  ChatMessage,
  ChatRole,
  CompletionUsage,
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
