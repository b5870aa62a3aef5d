// One fixture build per test file, a fresh copy per test, removed after it. Kept apart from
// index.ts because it registers vitest hooks (scripts/demo.ts imports the harness too).
import { afterEach, beforeAll } from 'vitest';
import { makeCache, type FixtureCache } from './fixtures.js';

/** Registers the hooks; call the returned function in a test for that test's own cache. */
export function useCachePerTest(): () => Promise<FixtureCache> {
  let current: FixtureCache | undefined;
  beforeAll(async () => {
    // Builds the fixture once for this file (push and pull through a real registry).
    await (await makeCache()).remove();
  });
  afterEach(async () => {
    await current?.remove();
    current = undefined;
  });
  return async () => {
    await current?.remove();
    current = await makeCache();
    return current;
  };
}
