/**
 * The names in src/action/constants.ts are the ones the action.yml files declare: an input
 * read under a name no action.yml declares is always empty on a runner, and an output set
 * under an undeclared name is invisible to the workflow.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Inputs, Outputs } from '../../src/action/constants.js';
import { REPO_ROOT } from '../harness/runner.js';

interface ActionYml {
  inputs?: Record<string, { description?: string; default?: string; required?: boolean }>;
  outputs?: Record<string, { description?: string }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

const FILES = { root: 'action.yml', restore: 'restore/action.yml', save: 'save/action.yml' } as const;
type Which = keyof typeof FILES;

/** Names only one of the split sub-actions has. */
const ONLY: { inputs: Partial<Record<Inputs, Which>>; outputs: Partial<Record<Outputs, Which>> } = {
  inputs: {},
  outputs: { [Outputs.SavedKey]: 'save' },
};

const docs = {} as Record<Which, ActionYml>;
const inputs = (w: Which) => Object.keys(docs[w].inputs ?? {});
const outputs = (w: Which) => Object.keys(docs[w].outputs ?? {});

beforeAll(async () => {
  for (const [which, file] of Object.entries(FILES) as [Which, string][]) {
    docs[which] = parse(await readFile(path.join(REPO_ROOT, file), 'utf8')) as ActionYml;
  }
});

describe('constants.ts and the action.yml files', () => {
  it('every Inputs name is declared, and every declared input is an Inputs name', () => {
    const declared = new Set((Object.keys(FILES) as Which[]).flatMap(inputs));
    expect([...declared].sort()).toEqual([...new Set(Object.values(Inputs))].sort());
  });

  it('every Outputs name is declared, and every declared output is an Outputs name', () => {
    const declared = new Set((Object.keys(FILES) as Which[]).flatMap(outputs));
    expect([...declared].sort()).toEqual([...new Set(Object.values(Outputs))].sort());
  });

  it('names of one sub-action appear in that one only', () => {
    for (const [name, owner] of Object.entries(ONLY.inputs)) {
      for (const w of Object.keys(FILES) as Which[])
        expect(inputs(w).includes(name), `${w} ${name}`).toBe(w === owner);
    }
    for (const [name, owner] of Object.entries(ONLY.outputs)) {
      // The post step sets saved-key too; a step's outputs are only visible from the sub-action.
      for (const w of Object.keys(FILES) as Which[])
        expect(outputs(w).includes(name), `${w} ${name}`).toBe(w === owner);
    }
  });

  it('the restore sub-action has the main outputs, and its inputs mean what the root ones mean', () => {
    expect(outputs('restore')).toEqual(
      expect.arrayContaining(outputs('root').filter((o) => !(o in ONLY.outputs))),
    );
    for (const w of ['restore', 'save'] as const) {
      for (const [name, spec] of Object.entries(docs[w].inputs ?? {})) {
        if (name in ONLY.inputs) continue;
        expect(docs.root.inputs?.[name], `${w} input ${name}`).toEqual(spec);
      }
    }
    // What main reads but the split restore step cannot use is only save and prune.
    expect(
      inputs('root')
        .filter((i) => !inputs('restore').includes(i))
        .sort(),
    ).toEqual(expect.arrayContaining([Inputs.Prune, Inputs.Save, Inputs.MaxNewEntries]));
  });

  it('each action.yml runs an existing bundle on node24; post runs always', () => {
    expect(docs.root.runs).toMatchObject({
      using: 'node24',
      main: 'dist/main/index.js',
      post: 'dist/post/index.js',
      'post-if': 'always()',
    });
    expect(docs.restore.runs).toMatchObject({ using: 'node24', main: '../dist/restore/index.js' });
    expect(docs.save.runs).toMatchObject({ using: 'node24', main: '../dist/save/index.js' });
    for (const [w, file] of Object.entries(FILES) as [Which, string][]) {
      for (const bundle of [docs[w].runs.main, docs[w].runs.post].filter((b) => b !== undefined)) {
        expect(existsSync(path.join(REPO_ROOT, path.dirname(file), bundle)), bundle).toBe(true);
      }
    }
  });
});
