// The CLI's guarded stdout (issue 8 item 5), as a unit over in-memory streams: it waits for
// 'drain' instead of writing into a full stream, drops the rest quietly on a closed pipe, and
// hands any other failure back for one line. The real pipes and /dev/full: pipes.test.ts.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeWriteError, guardedOutput } from '../../src/cli/output.js';

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}, write`), { code });
}

/** A slow stream with a small buffer that records whether each write came while it was full. */
function slowStream() {
  const received: string[] = [];
  let writesWhileFull = 0;
  let writes = 0;
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk.toString());
      setImmediate(done);
    },
  });
  const write = stream.write.bind(stream) as (chunk: string) => boolean;
  stream.write = ((chunk: string) => {
    writes++;
    if (stream.writableNeedDrain) writesWhileFull++;
    return write(chunk);
  }) as typeof stream.write;
  return { stream, received, counts: () => ({ writes, writesWhileFull }) };
}

describe('guardedOutput', () => {
  it('writes every line in order, in batches, never into a stream that asked to drain', async () => {
    const { stream, received, counts } = slowStream();
    const out = guardedOutput(stream);
    const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    for (const l of lines) out.line(l);
    expect(await out.end()).toBeUndefined();
    expect(received.join('')).toBe(`${lines.join('\n')}\n`);
    const { writes, writesWhileFull } = counts();
    expect(writesWhileFull).toBe(0);
    // Batched: far fewer writes than lines (the stream was full most of the time).
    expect(writes).toBeGreaterThan(1);
    expect(writes).toBeLessThan(lines.length / 10);
  });

  it('flush() hands the lines batched so far to the stream at once (stderr calls it first)', () => {
    const received: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk.toString());
        done();
      },
    });
    const out = guardedOutput(stream);
    out.line('one');
    out.line('two');
    expect(received).toEqual([]);
    out.flush();
    expect(received).toEqual(['one\ntwo\n']);
  });

  it('a closed pipe (EPIPE) ends the writing quietly: no failure, later lines dropped', async () => {
    let calls = 0;
    const stream = new Writable({
      write(_chunk, _encoding, done) {
        calls++;
        done(errno('EPIPE', 'broken pipe'));
      },
    });
    const out = guardedOutput(stream);
    out.line('first');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 1000; i++) out.line(`more ${i}`);
    expect(await out.end()).toBeUndefined();
    expect(calls).toBe(1);
  });

  it('any other failure (ENOSPC) is returned by end(), for one line', async () => {
    const stream = new Writable({
      write(_chunk, _encoding, done) {
        done(errno('ENOSPC', 'no space left on device'));
      },
    });
    const out = guardedOutput(stream);
    out.line('a line');
    const failure = await out.end();
    expect(failure).toBeInstanceOf(Error);
    expect(describeWriteError(failure!)).toBe('no space left on device (ENOSPC)');
  });

  it('end() on a stream that never accepted anything still returns once it fails', async () => {
    const stream = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, done) {
        setImmediate(() => done(errno('EIO', 'i/o error')));
      },
    });
    const out = guardedOutput(stream);
    for (let i = 0; i < 10; i++) out.line('x'.repeat(100_000));
    expect(describeWriteError((await out.end())!)).toBe('i/o error (EIO)');
  });
});
