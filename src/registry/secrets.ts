/**
 * Every secret the registry client handles (passwords, identity tokens, `auth` strings, the Basic
 * header values built from them, bearer tokens it received) is registered here, so that the Action
 * can mask it (`onSecret` → `core.setSecret`) and so that no message of ours carries it.
 */
export class Secrets {
  readonly #values = new Set<string>();
  readonly #onSecret: ((secret: string) => void) | undefined;

  constructor(onSecret?: (secret: string) => void) {
    this.#onSecret = onSecret;
  }

  /** Registers a secret; returns it for convenience. Empty and very short strings are ignored. */
  add<T extends string | undefined>(secret: T): T {
    if (secret && secret.length >= 4 && !this.#values.has(secret)) {
      this.#values.add(secret);
      this.#onSecret?.(secret);
    }
    return secret;
  }

  list(): string[] {
    return [...this.#values];
  }

  /** `text` with every known secret replaced by `***`. */
  redact(text: string): string {
    let out = text;
    for (const s of [...this.#values].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }
}
