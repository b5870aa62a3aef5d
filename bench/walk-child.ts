/**
 * Child process of bench/walk.ts: runs one CLI command over a layout with its output thrown
 * away, and prints this process's CPU time for the command alone (worker threads included),
 * as one JSON line on stderr: Node and tsx start-up are left out.
 */
import { runCli } from '../src/cli/main.js';

const args = JSON.parse(process.argv[2] ?? '[]') as string[];
const write = process.stdout.write.bind(process.stdout);
// The table of N rows is output work too, but the terminal's: count it, do not print it.
process.stdout.write = (() => true) as typeof process.stdout.write;
const before = process.cpuUsage();
const code = await runCli(args);
const used = process.cpuUsage(before);
process.stdout.write = write;
process.stderr.write(`${JSON.stringify({ code, cpuSeconds: (used.user + used.system) / 1e6 })}\n`);
