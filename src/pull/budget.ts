/**
 * The connection budget of a pull: at most `perHost` requests in flight to each registry host,
 * whatever they are for (a manifest, a small blob, one range of a big blob). Waiting work starts
 * by priority, highest first (the scheduler gives a blob its size, so big blobs start first and
 * the tail of the run is short), in arrival order among equals.
 *
 * Bulk work (the ranges of big blobs, through the view `bulk()` returns) is bandwidth-bound and
 * holds a connection for long; latency-bound work (manifests, small blobs) costs a round trip
 * each and unlocks more work. While a host's lane is open (see openLane), bulk work holds at
 * most `perHost - lane` connections, so latency-bound work always finds one free within a
 * request's time instead of waiting behind every range.
 */
/**
 * Connections per registry host unless told otherwise: a per-connection cap (a CDN's, or the
 * window over a 30 ms path) of ~25 MB/s times 8 is ~200 MB/s, about what a hosted runner's link
 * carries; more connections add load on the registry and little speed (see the README's
 * benchmark section).
 */
export const DEFAULT_CONNECTIONS = 8;

/** Connections kept from bulk work while a lane is open: a quarter of the budget, one at least, none with one connection. */
export function laneFor(perHost: number): number {
  return perHost < 2 ? 0 : Math.max(1, Math.floor(perHost / 4));
}

/** How a bulk view shares its budget's queues (module-private: not an option callers pass). */
const SHARED = Symbol('shared');

interface Shared {
  hosts: Map<string, HostQueue>;
  bulk: boolean;
}

export class ConnectionBudget {
  readonly perHost: number;
  /** Connections kept for latency-bound work while a host's lane is open. */
  readonly lane: number;
  readonly #hosts: Map<string, HostQueue>;
  readonly #bulk: boolean;

  constructor(perHost: number, options: { lane?: number; [SHARED]?: Shared } = {}) {
    if (!Number.isInteger(perHost) || perHost < 1)
      throw new RangeError(`connections per host must be a whole number ≥ 1, got ${perHost}`);
    const lane = options.lane ?? 0;
    if (!Number.isInteger(lane) || lane < 0 || (lane > 0 && lane >= perHost))
      throw new RangeError(`a lane must be a whole number of connections below ${perHost}, got ${lane}`);
    this.perHost = perHost;
    this.lane = lane;
    this.#hosts = options[SHARED]?.hosts ?? new Map();
    this.#bulk = options[SHARED]?.bulk ?? false;
  }

  /** The same budget for bulk work: its run() holds no lane connection while the lane is open. */
  bulk(): ConnectionBudget {
    return new ConnectionBudget(this.perHost, {
      lane: this.lane,
      [SHARED]: { hosts: this.#hosts, bulk: true },
    });
  }

  /** Runs `fn` holding one of `host`'s connections. */
  run<T>(host: string, priority: number, fn: () => Promise<T>): Promise<T> {
    return this.#queue(host).run(priority, this.#bulk, fn);
  }

  /**
   * Opens `host`'s lane until the returned function is called (again, harmlessly): while any
   * opener holds it, bulk work leaves `lane` connections to other work.
   */
  openLane(host: string): () => void {
    const q = this.#queue(host);
    q.lanes++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      q.lanes--;
      q.next();
    };
  }

  /**
   * Connections to `host` free now with nothing waiting for them: what splitting a blob could
   * use (for a bulk view, those bulk work may take).
   */
  idle(host: string): number {
    const q = this.#hosts.get(host);
    if (!q) return this.perHost;
    const free = this.perHost - q.active - q.waiting;
    return Math.max(0, this.#bulk ? Math.min(free, q.bulkRoom()) : free);
  }

  /** Connections to `host` held now. */
  busy(host: string): number {
    return this.#hosts.get(host)?.active ?? 0;
  }

  /** The most connections `host` held at once so far (0 when never used). */
  peak(host: string): number {
    return this.#hosts.get(host)?.peak ?? 0;
  }

  #queue(host: string): HostQueue {
    let q = this.#hosts.get(host);
    if (!q) this.#hosts.set(host, (q = new HostQueue(this.perHost, this.lane)));
    return q;
  }
}

interface Waiting {
  priority: number;
  bulk: boolean;
  start: () => void;
}

class HostQueue {
  active = 0;
  bulkActive = 0;
  peak = 0;
  /** Openers of the lane (see ConnectionBudget.openLane). */
  lanes = 0;
  /** Sorted: highest priority first, then first come. */
  #waiting: Waiting[] = [];
  #bulkWaiting = 0;

  constructor(
    private readonly limit: number,
    private readonly lane: number,
  ) {}

  run<T>(priority: number, bulk: boolean, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiting = {
        priority,
        bulk,
        start: () => {
          this.active++;
          if (bulk) this.bulkActive++;
          this.peak = Math.max(this.peak, this.active);
          Promise.resolve()
            .then(fn)
            .then(resolve, reject)
            .finally(() => {
              this.active--;
              if (bulk) this.bulkActive--;
              this.next();
            });
        },
      };
      let i = this.#waiting.length;
      while (i > 0 && this.#waiting[i - 1]!.priority < priority) i--;
      this.#waiting.splice(i, 0, w);
      if (bulk) this.#bulkWaiting++;
      this.next();
    });
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Connections bulk work may still take: all but the lane's while the lane is open. */
  bulkRoom(): number {
    return Math.max(0, this.limit - (this.lanes > 0 ? this.lane : 0) - this.bulkActive - this.#bulkWaiting);
  }

  /** Starts waiting work while connections are free: the first in order that may run (bulk work only outside the lane). */
  next(): void {
    while (this.active < this.limit) {
      const bulkMay = this.bulkActive < this.limit - (this.lanes > 0 ? this.lane : 0);
      const i = this.#waiting.findIndex((w) => bulkMay || !w.bulk);
      if (i < 0) return;
      const [w] = this.#waiting.splice(i, 1);
      if (w!.bulk) this.#bulkWaiting--;
      w!.start();
    }
  }
}
