/**
 * One error policy: every expected failure is a GuardError whose message is one line naming
 * what is at fault and what to do. Entry points print `message` (plus `cause` with --verbose)
 * and never a stack trace for these.
 */
export class GuardError extends Error {
  override name = 'GuardError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad input from the user: a flag, an input, a reference, a file they named. CLI exit 2. */
export class UsageError extends GuardError {
  override name = 'UsageError';
}

/** A digest string that is not `<algorithm>:<hex>` of the right length. */
export class InvalidDigestError extends GuardError {
  override name = 'InvalidDigestError';
}

/** Bytes whose size or digest is not what their descriptor promised. */
export class DigestMismatchError extends GuardError {
  override name = 'DigestMismatchError';
}

/** A lock held by another process for longer than we would wait. */
export class LockTimeoutError extends GuardError {
  override name = 'LockTimeoutError';
}

/** Message for any thrown value, without a stack trace. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
