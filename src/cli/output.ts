/**
 * The CLI's stdout, written once, for every command. Lines are batched and handed to the
 * stream only while it accepts more ('drain' is awaited rather than queueing in the stream),
 * and the stream's errors end the writing instead of crashing the process:
 * - a closed pipe (EPIPE: `ls | head -1`) is the reader's choice: the rest is dropped quietly
 *   and the command finishes its work and keeps its exit status;
 * - any other failure (ENOSPC: `ls > /dev/full`) is returned by `end()` for one line on stderr.
 */
export interface Output {
  line(text: string): void;
  /** Writes the lines batched so far now (unless the stream asked to drain). */
  flush(): void;
  /** Writes what is left; resolves with the failure to report, if any (never a closed pipe). */
  end(): Promise<Error | undefined>;
}

/** Lines are joined into writes of about this many characters (fewer system calls). */
const CHUNK = 64 * 1024;

export function guardedOutput(stream: NodeJS.WritableStream): Output {
  let buffer = '';
  let blocked = false;
  let scheduled = false;
  let stopped: Error | 'closed' | undefined;
  let wake: (() => void) | undefined;

  const flush = (): void => {
    scheduled = false;
    if (stopped || blocked || buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if (!stream.write(chunk)) blocked = true;
  };
  stream.on('error', (err: NodeJS.ErrnoException) => {
    stopped ??= err.code === 'EPIPE' ? 'closed' : err;
    buffer = '';
    wake?.();
  });
  stream.on('drain', () => {
    blocked = false;
    flush();
    wake?.();
  });

  return {
    flush,
    line(text) {
      if (stopped) return;
      buffer += `${text}\n`;
      if (buffer.length >= CHUNK) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    async end() {
      flush();
      while (!stopped && (blocked || buffer !== '')) await new Promise<void>((r) => (wake = r));
      // A write to a file or a Linux pipe fails synchronously, but its error is emitted later.
      await new Promise((r) => setImmediate(r));
      return stopped instanceof Error ? stopped : undefined;
    },
  };
}

/** "no space left on device (ENOSPC)" from Node's "ENOSPC: no space left on device, write". */
export function describeWriteError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const text = /^E[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
  return code && !text.includes(code) ? `${text} (${code})` : text;
}
