// A push-fed async iterable: the engine pushes chunks as tokens come, the caller pulls them with
// `for await`. Leaving the loop early (break, return, throw) calls `onCancel` (which aborts).

export class PushStream<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private readonly queue: T[] = [];
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private firstSettled = false;
  private readonly firstWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(private readonly onCancel: () => void = () => undefined) {}

  push(item: T): void {
    if (this.ended) return;
    this.settleFirst(null);
    if (this.waiting !== null) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve({ value: item, done: false });
    } else {
      this.queue.push(item);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.settleFirst(null);
    if (this.waiting !== null) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve({ value: undefined, done: true });
    }
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = { error };
    this.settleFirst(error);
    if (this.waiting !== null) {
      const w = this.waiting;
      this.waiting = null;
      w.reject(error);
    }
  }

  /** Resolves at the first item or the end, rejects if the stream fails before any item. */
  first(): Promise<void> {
    if (this.firstSettled) return this.failure !== null && this.queue.length === 0 ? Promise.reject(this.failure.error) : Promise.resolve();
    return new Promise((resolve, reject) => this.firstWaiters.push({ resolve, reject }));
  }

  private settleFirst(error: unknown): void {
    if (this.firstSettled) return;
    this.firstSettled = true;
    for (const w of this.firstWaiters.splice(0)) {
      if (error !== null) w.reject(error);
      else w.resolve();
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.failure !== null) {
      const { error } = this.failure;
      this.failure = null; // thrown once
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    if (this.waiting !== null) return Promise.reject(new Error('PushStream: next() called before the previous call settled'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.ended) {
      this.ended = true;
      this.queue.length = 0;
      this.onCancel();
    }
    this.queue.length = 0;
    this.failure = null;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}
