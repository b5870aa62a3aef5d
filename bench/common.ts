// What both benches share: running a contender as a child, and the numbers they print.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Collected {
  stdout: string;
  stderr: string;
  code: number | null;
  seconds: number;
}

/** Runs a command to its end, timing it; a child's live `\r` progress line is passed to a terminal. */
export function collect(command: string, args: string[]): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/\r/.test(d) && process.stderr.isTTY) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ stdout, stderr, code, seconds: (performance.now() - start) / 1000 }),
    );
  });
}

/** Megabytes (10^6 bytes), one decimal. */
export const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
/** MB per second. */
export const rate = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * CPU seconds this process has used (`self`: here the in-process cache emulator) and its
 * waited-for descendants have (`children`: steps, and their tar and zstd), from /proc/self/stat.
 * Undefined where there is no /proc.
 */
export function cpuSeconds(): { self: number; children: number } | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command's closing parenthesis; utime is field 14 of the whole line.
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const tick = 100; // USER_HZ on Linux
    return { self: (f[11]! + f[12]!) / tick, children: (f[13]! + f[14]!) / tick };
  } catch {
    return undefined;
  }
}
