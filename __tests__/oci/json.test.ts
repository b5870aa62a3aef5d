// JSON read and written without recursion on its depth (issue 17 item 6).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  jsonDepth,
  MAX_INDENTED_LEVELS,
  MAX_JSON_DEPTH,
  showJsonValue,
  stringifyJson,
} from '../../src/oci/json.js';
import { parseIndex, parseManifest } from '../../src/oci/descriptor.js';

const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('stringifyJson', () => {
  it('writes what JSON.stringify writes, for any JSON value and indent', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2, 4), (v, indent) => {
        expect(stringifyJson(v, indent)).toBe(JSON.stringify(v, null, indent));
      }),
      { numRuns: 1000 },
    );
  });

  it('and for any value at all (undefined, functions, dates, sparse arrays), throwing where it throws', () => {
    const outcome = (f: () => string) => {
      try {
        return f();
      } catch (err) {
        return `throws ${(err as Error).name}`;
      }
    };
    fc.assert(
      fc.property(
        fc.anything({ withDate: true, withSparseArray: true }),
        fc.constantFrom(0, 2),
        (v, indent) => {
          expect(outcome(() => stringifyJson(v, indent))).toBe(
            outcome(() => JSON.stringify(v, null, indent)),
          );
        },
      ),
      { numRuns: 1000 },
    );
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => stringifyJson(cycle)).toThrow(TypeError);
  });

  it('V8 parses 100000 levels (its JSON.parse is iterative); JSON.stringify dies on them and we do not', () => {
    const text = deepArray(100_000);
    const v: unknown = JSON.parse(text);
    expect(() => JSON.stringify(v)).toThrow(RangeError);
    expect(() => structuredClone(v)).toThrow(RangeError);
    expect(stringifyJson(v)).toBe(text);
    expect(jsonDepth(v)).toBe(100_000);
  });

  it(`indents the first ${MAX_INDENTED_LEVELS} levels only: the output stays linear in a deep input`, () => {
    const text = deepArray(100_000);
    const indented = stringifyJson(JSON.parse(text), 2);
    // 64 lines of at most 128 spaces, then the rest compact (indenting all would be ~10 GB).
    expect(indented.length).toBeLessThan(
      text.length + 2 * MAX_INDENTED_LEVELS * (2 * MAX_INDENTED_LEVELS + 1),
    );
    expect(indented.replace(/\s/g, '')).toBe(text);
    // 64 levels in all (the object and 63 arrays): exactly what JSON.stringify writes.
    const shallow = { a: JSON.parse(deepArray(MAX_INDENTED_LEVELS - 1)) as unknown };
    expect(stringifyJson(shallow, 2)).toBe(JSON.stringify(shallow, null, 2));
  });
});

describe('the depth limit', () => {
  it("counts as Go does, and refuses only beyond Go's 10000", () => {
    expect([1, 'a', null, [], {}, { a: [1] }, [[{}]]].map(jsonDepth)).toEqual([0, 0, 0, 1, 1, 2, 3]);
    expect(jsonDepth(JSON.parse(deepArray(MAX_JSON_DEPTH)))).toBe(MAX_JSON_DEPTH);
    const at = (depth: number) => `{"schemaVersion":2,"config":{},"layers":[],"x":${deepArray(depth - 1)}}`;
    expect(() => parseManifest(at(MAX_JSON_DEPTH), 'm')).not.toThrow(/nested/);
    expect(() => parseManifest(at(MAX_JSON_DEPTH + 1), 'm')).toThrow(
      /nested 10001 levels deep, more than the 10000/,
    );
  });

  it('a manifest or an index nested deeper is an invalid document, one line', () => {
    const manifest = `{"schemaVersion":2,"config":{},"layers":[],"x":${deepArray(MAX_JSON_DEPTH)}}`;
    expect(() => parseManifest(manifest, 'manifest m')).toThrow(/^manifest m: nested 10001 levels deep/);
    expect(() => parseIndex(`{"schemaVersion":2,"manifests":${deepArray(20_000)}}`, 'index i')).toThrow(
      /^index i: nested 20001 levels deep/,
    );
  });

  it('values in messages: scalars as JSON, containers by their kind only', () => {
    expect([undefined, null, 5, 'x'.repeat(200), [], {}].map(showJsonValue)).toEqual([
      'missing',
      'null',
      '5',
      JSON.stringify('x'.repeat(100)),
      'an array',
      'an object',
    ]);
  });
});
