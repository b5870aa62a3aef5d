// A process that runs CLI commands in-process, one at a time, as its parent asks over IPC:
// commands of separate processes at once on one cache, without paying a Node start per
// command (seconds on a loaded machine, which would hide the races the caller looks for).
import { runCli } from '../../src/cli/main.js';
import { captureContext } from '../cli/capture.js';

export interface WorkerRequest {
  id: number;
  argv: string[];
  env: Record<string, string>;
}

export interface WorkerReply {
  id: number;
  code: number;
  out: string[];
  err: string;
}

let queue = Promise.resolve();
process.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    const ctx = captureContext(request.env);
    const code = await runCli(request.argv, ctx);
    const reply: WorkerReply = { id: request.id, code, out: ctx.lines, err: ctx.err() };
    process.send!(reply);
  });
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
