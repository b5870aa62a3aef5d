// Process, port and temp-dir plumbing shared by every harness component. Everything started
// here is remembered until stopped, and killed (by pid) when the test process exits.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The loopback address every harness component binds. */
export const LOOPBACK = '127.0.0.1';

const livePids = new Set<number>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Kills what is still running (by pid) and removes temp dirs; synchronous, safe to repeat. */
function cleanupSync(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  livePids.clear();
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

/**
 * Cleans up at exit, and on SIGTERM/SIGINT/SIGHUP (vitest stops its forks with SIGTERM, which
 * skips 'exit' handlers). After cleaning up, a signal nobody else listens for is raised again,
 * so the default action (termination) still happens.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanupSync();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/** A fresh directory under os.tmpdir(), removed at process exit (or by removeTempDir). */
export async function makeTempDir(prefix: string): Promise<string> {
  installExitHook();
  const dir = await mkdtemp(path.join(os.tmpdir(), `ocg-${prefix}-`));
  liveDirs.add(dir);
  return dir;
}

/** Removes a directory made by makeTempDir. */
export async function removeTempDir(dir: string): Promise<void> {
  liveDirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/**
 * A port that was free a moment ago on 127.0.0.1. Only for programs we cannot hand a
 * listening socket; node servers in the harness listen on port 0 instead.
 */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The result of a short command run to completion. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws for a non-zero exit (see runChecked). */
export function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err); // ENOENT and friends
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** Runs a command and throws with its stderr if it exits non-zero. */
export async function runChecked(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** A long-running child process, stopped by its own pid. */
export interface TrackedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after graceMs (default 2000); resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/**
 * Spawns a long-running command with stdout and stderr appended to logFile. On Linux with
 * util-linux's setpriv, the child also gets a parent-death signal, so it dies with the test
 * process even on SIGKILL (setpriv execs, so the pid is the command's own).
 */
export function spawnTracked(
  cmd: string,
  args: string[],
  opts: { cwd?: string; logFile: string; env?: NodeJS.ProcessEnv },
): TrackedProcess {
  installExitHook();
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    const [file, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
    child = spawn(file, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${cmd}`);
  livePids.add(pid);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      livePids.delete(pid);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', () => {
      livePids.delete(pid);
      resolve('spawn-error');
    });
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (!livePids.has(pid)) return;
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  return {
    pid,
    child,
    exited,
    async stop(graceMs = 2000) {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last `lines` lines of a log file, for error messages. */
export async function tail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Polls `probe` every `intervalMs` until it returns true, or throws after timeoutMs. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
}
