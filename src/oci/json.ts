/**
 * JSON read and written without recursion on its depth. V8's JSON.parse is iterative (a
 * 100000-deep array parses), but JSON.stringify, structuredClone and String() of a nested
 * array recurse and die with "Maximum call stack size exceeded" a few thousand levels down.
 * So documents from a cache or a registry are measured and written here, with explicit stacks.
 */

/**
 * The deepest nesting of arrays and objects accepted in a document: Go's encoding/json refuses
 * a deeper one whole (its scanner's maxNestingDepth), so linuxkit, skopeo and every
 * go-containerregistry tool fail on it. Accepting up to Go's limit means whatever linuxkit
 * reads we read; refusing beyond it costs no one an image they could use. Our own code never
 * recurses on depth, so the limit is agreement with Go, not the size of our stack.
 */
export const MAX_JSON_DEPTH = 10_000;

/** "nested 12001 levels deep, more than the 10000 Go's JSON decoder (linuxkit's) reads" */
export function depthDetail(depth: number): string {
  return `nested ${depth} levels deep, more than the ${MAX_JSON_DEPTH} Go's JSON decoder (linuxkit's) reads`;
}

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

/**
 * How deep arrays and objects nest in a parsed value, as Go counts it: `1` and `"a"` are 0,
 * `[]` and `{}` 1, `{"a":[1]}` 2. One pass with an explicit stack.
 */
export function jsonDepth(value: unknown): number {
  if (!isContainer(value)) return 0;
  let deepest = 0;
  const stack: { value: object; depth: number }[] = [{ value, depth: 1 }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    if (top.depth > deepest) deepest = top.depth;
    const children = Array.isArray(top.value) ? (top.value as unknown[]) : Object.values(top.value);
    for (const child of children) if (isContainer(child)) stack.push({ value: child, depth: top.depth + 1 });
  }
  return deepest;
}

interface Frame {
  container: object;
  keys: string[] | undefined; // undefined for an array
  length: number;
  next: number;
  wrote: boolean;
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/**
 * Levels indented by stringifyJson; deeper ones are written on one line. Indenting every level
 * of a 10000-deep value would make 10000 lines of up to 20000 spaces: 100 MB for a 40 kB entry.
 */
export const MAX_INDENTED_LEVELS = 64;

/**
 * JSON.stringify(value, null, indent), byte for byte, for values JSON can hold (toJSON is
 * honoured; a cycle throws a TypeError, as JSON.stringify does), at any depth; levels past
 * MAX_INDENTED_LEVELS are written compact, so the output stays linear in the input.
 */
export function stringifyJson(value: unknown, indent = 0): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  const open = new Set<object>();
  /** Whether items at `level` (1 for the top container's) go on lines of their own. */
  const indented = (level: number) => indent > 0 && level <= MAX_INDENTED_LEVELS;
  const newline = (level: number) => (indented(level) ? `\n${' '.repeat(indent * level)}` : '');
  const resolve = (v: unknown, key: string): unknown =>
    isContainer(v) && typeof (v as { toJSON?: unknown }).toJSON === 'function'
      ? (v as { toJSON(key: string): unknown }).toJSON(key)
      : v;
  const write = (v: unknown): void => {
    if (!isContainer(v)) {
      out.push(JSON.stringify(v)); // a scalar: no recursion
      return;
    }
    if (open.has(v)) throw new TypeError('Converting circular structure to JSON');
    open.add(v);
    const array = Array.isArray(v);
    const keys = array ? undefined : Object.keys(v);
    out.push(array ? '[' : '{');
    stack.push({
      container: v,
      keys,
      length: keys?.length ?? (v as unknown[]).length,
      next: 0,
      wrote: false,
    });
  };

  value = resolve(value, '');
  if (omitted(value)) return undefined as unknown as string; // as JSON.stringify(undefined)
  write(value);
  for (let frame = stack.at(-1); frame; frame = stack.at(-1)) {
    if (frame.next >= frame.length) {
      stack.pop();
      open.delete(frame.container);
      const close = frame.keys ? '}' : ']';
      out.push(frame.wrote && indented(stack.length + 1) ? `${newline(stack.length)}${close}` : close);
      continue;
    }
    const i = frame.next++;
    const key = frame.keys ? frame.keys[i]! : String(i);
    let child = resolve((frame.container as Record<string, unknown>)[key], key);
    if (omitted(child)) {
      if (frame.keys) continue;
      child = null;
    }
    out.push(`${frame.wrote ? ',' : ''}${newline(stack.length)}`);
    frame.wrote = true;
    if (frame.keys) out.push(`${JSON.stringify(key)}${indented(stack.length) ? ': ' : ':'}`);
    write(child);
  }
  return out.join('');
}

/**
 * A value read from a document, shown in a message: a scalar as JSON (a string cut at 100
 * characters), a container by its kind only: printing one recurses, and could be huge.
 */
export function showJsonValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (isContainer(value)) return 'an object';
  return JSON.stringify(typeof value === 'string' ? value.slice(0, 100) : value) ?? String(value);
}
