import { formatBytes, formatDuration, formatRate } from '../format.js';

/**
 * Progress on stderr for long runs: a live line on a terminal, a plain line every few seconds
 * otherwise (CI logs). Nothing is printed for work that ends within the first second.
 */
export interface Progress {
  update(done: number, total: number, extra?: string): void;
  done(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  label: string;
  /** Format `done`/`total` (bytes by default). */
  unit?: 'bytes' | 'count';
  quietMs?: number;
  intervalMs?: number;
  enabled?: boolean;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const start = Date.now();
  const quietMs = options.quietMs ?? 1000;
  const intervalMs = options.intervalMs ?? (tty ? 100 : 5000);
  const fmt = options.unit === 'count' ? String : formatBytes;
  let last = 0;
  let drawn = false;
  if (options.enabled === false) return { update() {}, done() {} };
  return {
    update(done, total, extra) {
      const now = Date.now();
      if (now - start < quietMs || now - last < intervalMs) return;
      last = now;
      const secs = (now - start) / 1000;
      const rate = done / secs;
      const pct = total > 0 ? ` ${Math.floor((done / total) * 100)}%` : '';
      const eta = total > done && rate > 0 ? `, ETA ${formatDuration(((total - done) / rate) * 1000)}` : '';
      const speed = options.unit === 'count' ? '' : `, ${formatRate(rate)}`;
      const line = `${options.label}: ${fmt(done)} of ${fmt(total)}${pct}${speed}${eta}${extra ? ` ${extra}` : ''}`;
      if (tty) {
        stream.write(`\r\x1b[K${line}`);
        drawn = true;
      } else stream.write(`${line}\n`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
