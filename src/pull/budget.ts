/**
 * The connection budget of a pull: at most `perHost` requests in flight to each registry host,
 * whatever they are for (a manifest, a small blob, one range of a big blob). Waiting work starts
 * by priority, highest first (the scheduler gives a blob its size, so big blobs start first and
 * the tail of the run is short), in arrival order among equals.
 */
/**
 * Connections per registry host unless told otherwise: a per-connection cap (a CDN's, or the
 * window over a 30 ms path) of ~25 MB/s times 8 is ~200 MB/s, about what a hosted runner's link
 * carries; more connections add load on the registry and little speed (see the README's
 * benchmark section).
 */
export const DEFAULT_CONNECTIONS = 8;

export class ConnectionBudget {
  readonly perHost: number;
  readonly #hosts = new Map<string, HostQueue>();

  constructor(perHost: number) {
    if (!Number.isInteger(perHost) || perHost < 1)
      throw new RangeError(`connections per host must be a whole number ≥ 1, got ${perHost}`);
    this.perHost = perHost;
  }

  /** Runs `fn` holding one of `host`'s connections. */
  run<T>(host: string, priority: number, fn: () => Promise<T>): Promise<T> {
    let q = this.#hosts.get(host);
    if (!q) this.#hosts.set(host, (q = new HostQueue(this.perHost)));
    return q.run(priority, fn);
  }

  /** Connections to `host` free now with nothing waiting for them: what splitting a blob could use. */
  idle(host: string): number {
    const q = this.#hosts.get(host);
    return q ? Math.max(0, this.perHost - q.active - q.waiting) : this.perHost;
  }

  /** The most connections `host` held at once so far (0 when never used). */
  peak(host: string): number {
    return this.#hosts.get(host)?.peak ?? 0;
  }
}

interface Waiting {
  priority: number;
  seq: number;
  start: () => void;
}

class HostQueue {
  active = 0;
  peak = 0;
  #seq = 0;
  /** Sorted: highest priority first, then first come. */
  #waiting: Waiting[] = [];

  constructor(private readonly limit: number) {}

  run<T>(priority: number, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiting = {
        priority,
        seq: this.#seq++,
        start: () => {
          this.active++;
          this.peak = Math.max(this.peak, this.active);
          Promise.resolve()
            .then(fn)
            .then(resolve, reject)
            .finally(() => {
              this.active--;
              this.#next();
            });
        },
      };
      let i = this.#waiting.length;
      while (i > 0 && this.#waiting[i - 1]!.priority < priority) i--;
      this.#waiting.splice(i, 0, w);
      this.#next();
    });
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  #next(): void {
    while (this.active < this.limit && this.#waiting.length > 0) this.#waiting.shift()!.start();
  }
}
