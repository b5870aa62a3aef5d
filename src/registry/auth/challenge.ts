/**
 * WWW-Authenticate (RFC 9110 §11.6.1): one or more challenges, each a scheme followed by
 * comma-separated `name=value` parameters whose values are tokens or quoted strings (which may
 * hold commas, spaces and backslash escapes). Several header lines are the same as one joined by ", ".
 */

export interface Challenge {
  /** Lowercased: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lowercased: `realm`, `service`, `scope`, `error`. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

class Cursor {
  pos = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string {
    return this.s[this.pos] ?? '';
  }
  skipSpace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }
  skipSpaceAndCommas(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.pos++;
  }
  token(): string {
    const start = this.pos;
    while (!this.done && TOKEN_CHAR.test(this.peek())) this.pos++;
    return this.s.slice(start, this.pos);
  }
  /** An unquoted value; lenient: anything up to a comma or space (unquoted URLs occur in the wild). */
  bare(): string {
    const start = this.pos;
    while (!this.done && !/[\s,]/.test(this.peek())) this.pos++;
    return this.s.slice(start, this.pos);
  }
  quoted(): string {
    // at the opening quote
    this.pos++;
    let out = '';
    while (!this.done) {
      const c = this.s[this.pos++] as string;
      if (c === '"') return out;
      if (c === '\\' && !this.done) out += this.s[this.pos++];
      else out += c;
    }
    return out; // unterminated: take what there is
  }
}

/** Parses WWW-Authenticate header value(s); unknown syntax is skipped, never thrown. */
export function parseWwwAuthenticate(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const c = new Cursor(typeof header === 'string' ? header : header.join(', '));
  const challenges: Challenge[] = [];
  let current: Challenge | undefined;

  while (true) {
    c.skipSpaceAndCommas();
    if (c.done) break;
    const start = c.pos;
    const name = c.token();
    if (name === '') {
      c.pos++; // a character no grammar allows here
      continue;
    }
    c.skipSpace();
    if (current && c.peek() === '=') {
      // name=value parameter of the current challenge
      c.pos++;
      c.skipSpace();
      const value = c.peek() === '"' ? c.quoted() : c.bare();
      const key = name.toLowerCase();
      if (!Object.hasOwn(current.params, key)) current.params[key] = value;
      continue;
    }
    if (!current && c.peek() === '=') {
      // parameters with no scheme before them: ignore up to the next comma
      c.pos = start;
      while (!c.done && c.peek() !== ',') c.pos++;
      continue;
    }
    // a new challenge: `Scheme` possibly followed by a token68 (`Negotiate abc==`) which we skip
    current = { scheme: name.toLowerCase(), params: {} };
    challenges.push(current);
    const afterScheme = c.pos;
    const maybeToken68 = c.token();
    c.skipSpace();
    if (maybeToken68 !== '' && c.peek() === '=') {
      let p = c.pos;
      while (c.s[p] === '=') p++;
      const rest = c.s.slice(p).trimStart();
      if (rest === '' || rest.startsWith(',')) {
        c.pos = p; // token68 ending in '='
        continue;
      }
    }
    c.pos = afterScheme;
  }
  return challenges;
}
