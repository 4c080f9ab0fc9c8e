import type { LoadPhase, LoadProgress } from './types.js';

const GB = 1e9;
const MB = 1e6;
const KB = 1e3;

/** A byte count for people: "4.1 GB", "120.5 MB", "12 KB", "512 B". */
export function formatBytes(n: number): string {
  if (n >= GB) return `${(n / GB).toFixed(1)} GB`;
  if (n >= MB) return `${(n / MB).toFixed(1)} MB`;
  if (n >= KB) return `${Math.round(n / KB)} KB`;
  return `${n} B`;
}

/** "1.2 / 4.1 GB": both numbers in the unit of the total. */
export function formatRatio(loaded: number, total: number): string {
  const [unit, div] = total >= GB ? ['GB', GB] : total >= MB ? ['MB', MB] : total >= KB ? ['KB', KB] : ['B', 1];
  const digits = div === 1 ? 0 : div === KB ? 0 : 1;
  return `${(loaded / div).toFixed(digits)} / ${(total / div).toFixed(digits)} ${unit}`;
}

const LABELS: Record<LoadPhase, string> = {
  wait: 'Waiting for another tab that is loading this model',
  header: 'Reading the model header',
  download: 'Downloading',
  cache: 'Reading from cache',
  compile: 'Compiling GPU kernels',
  upload: 'Uploading to the GPU',
  ready: 'Ready',
};

/** The human readable text of a progress event. */
export function progressText(phase: LoadPhase, loaded: number, total: number): string {
  const label = LABELS[phase];
  if (phase === 'ready' || phase === 'compile' || phase === 'wait' || total <= 0) return label;
  if (phase === 'header') return label;
  const pct = Math.min(100, Math.floor((loaded / total) * 100));
  return `${label} ${formatRatio(Math.min(loaded, total), total)} (${pct}%)`;
}

export function makeProgress(phase: LoadPhase, loaded: number, total: number, text?: string): LoadProgress {
  return { phase, loaded, total, text: text ?? progressText(phase, loaded, total) };
}

/**
 * Throttles progress events to one per `intervalMs`, except that a change of phase and the end
 * of a phase (loaded === total) are always delivered.
 */
export class ProgressThrottle {
  private last = -Infinity;
  private lastPhase: LoadPhase | null = null;

  constructor(
    private readonly emit: (p: LoadProgress) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** `text` replaces the usual text (a notice, e.g. that the download restarts): always delivered. */
  report(phase: LoadPhase, loaded: number, total: number, text?: string): void {
    const t = this.now();
    const force = text !== undefined || phase !== this.lastPhase || (total > 0 && loaded >= total);
    if (!force && t - this.last < this.intervalMs) return;
    this.last = t;
    this.lastPhase = phase;
    try {
      this.emit(makeProgress(phase, loaded, total, text));
    } catch (e) {
      // A throwing callback must not break loading.
      console.error('mistral-wgpu: onProgress threw', e);
    }
  }
}
