// Notices a worker that stopped answering. A synchronous loop in the engine (a chat template
// that never ends) blocks the worker's thread: Stop and every later call would wait forever.
// While calls are pending, any message from the worker counts as a sign of life; after a quiet
// quarter of the timeout the worker is pinged (it answers between two awaits of any operation),
// and after the whole timeout without a word `onTimeout` runs (the client terminates it).

export class Watchdog {
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly ping: () => void,
    private readonly onTimeout: () => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Something came from the worker. */
  heard(): void {
    this.lastHeard = this.now();
  }

  /** Calls are pending (watch) or not (rest). */
  busy(pending: boolean): void {
    if (this.timeoutMs <= 0) return;
    if (pending && this.timer === null) {
      this.lastHeard = this.now();
      this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(this.timeoutMs / 4)));
    } else if (!pending) {
      this.stop();
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const quiet = this.now() - this.lastHeard;
    if (quiet >= this.timeoutMs) {
      this.stop();
      this.onTimeout();
    } else if (quiet >= this.timeoutMs / 4) {
      this.ping();
    }
  }
}
