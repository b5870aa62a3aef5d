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
  let waited = 0;
  let bytes = 0;
  let asked = now();
  for await (const chunk of body) {
    waited += now() - asked;
    bytes += chunk.length;
    const tooSlow = waited >= floor.windowMs && bytes * 1000 < floor.bytesPerSecond * waited;
    yield chunk; // the bytes that came are the caller's to keep, too slow or not
    if (tooSlow) throw new TooSlowError(bytes, waited, floor);
    if (waited >= floor.windowMs) [waited, bytes] = [0, 0];
    asked = now();
  }
}
