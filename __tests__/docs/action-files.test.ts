import { readdirSync, readFileSync } from 'node:fs';
import { validateAction, validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { updateReadme } from '../../scripts/docs.js';

const ACTIONS = ['action.yml', 'restore/action.yml', 'save/action.yml'];
const WORKFLOWS = readdirSync('.github/workflows').map((f) => `.github/workflows/${f}`);

describe('action and workflow files', () => {
  it.each(WORKFLOWS)('%s is a valid workflow', (file) => {
    expect(validateWorkflow(readFileSync(file, 'utf8')).errors).toEqual([]);
  });

  it.each(ACTIONS)('%s is a valid action running on node24', (file) => {
    const text = readFileSync(file, 'utf8');
    expect((parse(text) as { runs: { using: string } }).runs.using).toBe('node24');
    // The published schema (action-validator 0.6.0) predates node24 and lists node12/16/20
    // only; everything else is checked against it as published.
    const state = validateAction(text.replace(/using: 'node24'/, "using: 'node20'"));
    expect(state.errors).toEqual([]);
  });

  it('README.md inputs and outputs tables match action.yml (npx tsx scripts/docs.ts rewrites them)', async () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(await updateReadme(readme, readFileSync('action.yml', 'utf8'))).toBe(readme);
  });
});
