/**
 * The slowest a response body may arrive. The idle timeout (bodyIdleMs) catches a registry that
 * stops sending, not one that sends a byte every few seconds: that body never ends, and the job
 * waits for it until the runner kills it. As curl's --speed-limit with --speed-time: a body that
 * brought less than `bytesPerSecond` over `windowMs` of waiting for it is a stall.
 */
import { formatDuration, formatRate } from '../format.js';

export interface RateFloor {
  /** 0: no floor. */
  bytesPerSecond: number;
  /** Waiting for a body, not wall time. */
  windowMs: number;
}

/**
 * 1 kB/s is far below any link that can pull an image (a 60 MB layer would take 17 hours), and
 * 30 s of waiting is three idle timeouts: a slow start or a short stall does not trip it.
 */
export const RATE_FLOOR_DEFAULTS: Readonly<RateFloor> = Object.freeze({
  bytesPerSecond: 1000,
  windowMs: 30_000,
});

/** A body slower than the floor. Its code lets networkMessage() and retries treat it as a network failure. */
export class TooSlowError extends Error {
  override name = 'TooSlowError';
  readonly code = 'TOO_SLOW';

  constructor(bytes: number, waitedMs: number, floor: RateFloor) {
    super(
      `the registry sent ${bytes} bytes in ${formatDuration(waitedMs)}, under ${formatRate(floor.bytesPerSecond)}: a stalled or hostile server`,
    );
  }
}

/**
 * The floor's clock for one body, for readers that take its chunks as they come (events, not an
 * iterator): `asking()` when the reader is ready for the next chunk, `arrived()` when one came.
 * Only the time between the two counts, so the reader's own time (writing, backpressure) never
 * counts against the registry.
 */
export class FloorWatch {
  #waited = 0;
  #bytes = 0;
  #asked: number;

  constructor(
    private readonly floor: RateFloor,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#asked = now();
  }

  /** The reader waits for the next chunk from now on. */
  asking(): void {
    this.#asked = this.now();
  }

  /**
   * A chunk of `bytes` came: the TooSlowError to throw once the reader has kept it, when the
   * window of waiting it closes brought less than the floor; undefined otherwise.
   */
  arrived(bytes: number): TooSlowError | undefined {
    this.#waited += this.now() - this.#asked;
    this.#bytes += bytes;
    const { windowMs, bytesPerSecond } = this.floor;
    if (this.#waited < windowMs) return undefined;
    const tooSlow =
      this.#bytes * 1000 < bytesPerSecond * this.#waited
        ? new TooSlowError(this.#bytes, this.#waited, this.floor)
        : undefined;
    [this.#waited, this.#bytes] = [0, 0];
    return tooSlow;
  }
}

/**
 * `body`'s chunks, timing only the waits for them, not what the caller does between them
 * (writing, hashing, its own backpressure); throws TooSlowError, after handing over the chunk
 * that ended it, once a window of waiting brought less than the floor. Leaving the loop (a
 * throw, a break) destroys the body.
 */
export async function* floored(
  body: AsyncIterable<Buffer>,
  floor: RateFloor,
  now: () => number = () => performance.now(),
): AsyncGenerator<Buffer, void, undefined> {
  const watch = new FloorWatch(floor, now);
  for await (const chunk of body) {
    const tooSlow = watch.arrived(chunk.length);
    yield chunk; // the bytes that came are the caller's to keep, too slow or not
    if (tooSlow) throw tooSlow;
    watch.asking();
  }
}
