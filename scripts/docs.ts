// Rewrites the inputs and outputs tables in README.md from action.yml (between the
// <!-- inputs --> and <!-- outputs --> markers). A test fails when README.md is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import * as prettier from 'prettier';
import { parse } from 'yaml';

interface ActionYaml {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderTables(actionYaml: string): { inputs: string; outputs: string } {
  const action = parse(actionYaml) as ActionYaml;
  const inputs = [
    '| input | default | description |',
    '| --- | --- | --- |',
    ...Object.entries(action.inputs).map(
      ([name, i]) =>
        `| \`${name}\` | ${i.default ? `\`${cell(i.default)}\`` : ''} | ${cell(i.description)} |`,
    ),
  ].join('\n');
  const outputs = [
    '| output | description |',
    '| --- | --- |',
    ...Object.entries(action.outputs).map(([name, o]) => `| \`${name}\` | ${cell(o.description)} |`),
  ].join('\n');
  return { inputs, outputs };
}

export async function updateReadme(readme: string, actionYaml: string): Promise<string> {
  const tables = renderTables(actionYaml);
  let out = readme;
  for (const [marker, table] of Object.entries(tables)) {
    const re = new RegExp(`(<!-- ${marker} -->)[\\s\\S]*?(<!-- /${marker} -->)`);
    if (!re.test(out)) throw new Error(`README.md has no <!-- ${marker} --> ... <!-- /${marker} --> block`);
    out = out.replace(re, `$1\n${table}\n$2`);
  }
  // Formatted as `npm run lint` (prettier --check) expects it.
  const config = (await prettier.resolveConfig('README.md')) ?? {};
  return prettier.format(out, { ...config, parser: 'markdown' });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', await updateReadme(readme, readFileSync('action.yml', 'utf8')));
}
