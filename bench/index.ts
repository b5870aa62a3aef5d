/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each bench is a module exporting
 * `run(args): Promise<number>` (the exit code); add one by adding a line to BENCHES.
 */
export interface Bench {
  /** What it measures, for the usage line. */
  readonly summary: string;
  run(args: string[]): Promise<number>;
}

const BENCHES: Record<string, () => Promise<Bench>> = {
  verify: () => import('./verify.js'),
  pull: () => import('./pull.js'),
  warm: () => import('./warm.js'),
  walk: () => import('./walk.js'),
  cache: () => import('./cache.js'),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const load = name !== undefined && Object.hasOwn(BENCHES, name) ? BENCHES[name] : undefined;
  if (!load) {
    const lines = await Promise.all(
      Object.entries(BENCHES).map(async ([n, l]) => `  ${n.padEnd(8)} ${(await l()).summary}`),
    );
    console.error(
      `${name === undefined ? 'no bench named' : `unknown bench ${JSON.stringify(name)}`}; usage: npm run bench -- <name> [options]\n${lines.join('\n')}`,
    );
    return 2;
  }
  return (await load()).run(args);
}

process.exitCode = await main(process.argv.slice(2));
