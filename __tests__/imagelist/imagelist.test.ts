import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ImageListError,
  imagesFromLinuxkitFile,
  imagesFromLinuxkitYaml,
  imagesFromText,
  MAX_YAML_ALIASES,
  uniqueImages,
} from '../../src/imagelist/imagelist.js';

const LINUXKIT = `kernel:
  image: linuxkit/kernel:6.6.13
  cmdline: "console=tty0"
init:
  - linuxkit/init:8f1e6a0747acbbb4d7e24dc98f97faa8d1c6cec7
  - linuxkit/runc:6062483d748609d505f2bcde4e52ee64a3329f5f
onboot:
  - name: sysctl
    image: linuxkit/sysctl:5a374e4bf3e5a7deeacff6571d0f30f7ea8f56db
onshutdown:
  - name: down
    image: busybox
services:
  - name: getty
    image: linuxkit/getty:v1.0.0
    env:
      - INSECURE=true
files:
  - path: etc/x
    contents: "image: not-an-image"
`;

describe('linuxkit files', () => {
  it('finds every image with its line, expanded as linuxkit names it', () => {
    const found = imagesFromLinuxkitYaml(LINUXKIT, 'linuxkit.yml');
    expect(found.map((r) => [r.reference.name, r.origin.line])).toEqual([
      ['docker.io/linuxkit/kernel:6.6.13', 2],
      ['docker.io/linuxkit/init:8f1e6a0747acbbb4d7e24dc98f97faa8d1c6cec7', 5],
      ['docker.io/linuxkit/runc:6062483d748609d505f2bcde4e52ee64a3329f5f', 6],
      ['docker.io/linuxkit/sysctl:5a374e4bf3e5a7deeacff6571d0f30f7ea8f56db', 9],
      ['docker.io/library/busybox', 12],
      ['docker.io/linuxkit/getty:v1.0.0', 15],
    ]);
    expect(found[0]!.origin).toEqual({ file: 'linuxkit.yml', line: 2, column: 10 });
  });

  it('names the file and line of a bad reference', () => {
    const bad = LINUXKIT.replace('linuxkit/getty:v1.0.0', 'LinuxKit/Getty:v1');
    const err = (() => {
      try {
        imagesFromLinuxkitYaml(bad, 'lk.yml');
      } catch (e) {
        return e as ImageListError;
      }
    })();
    expect(err).toBeInstanceOf(ImageListError);
    expect(err!.origin).toMatchObject({ file: 'lk.yml', line: 15 });
    expect(err!.message).toMatch(/^lk\.yml:15:12: invalid image reference "LinuxKit\/Getty:v1"/);
  });

  it('rejects unparseable YAML, a non-string image and a missing file with one line each', async () => {
    expect(() => imagesFromLinuxkitYaml('kernel:\n  image: [unclosed\n', 'a.yml')).toThrow(
      /^a\.yml:\d+:\d+: not valid YAML/,
    );
    expect(() => imagesFromLinuxkitYaml('init:\n  - 42\n', 'b.yml')).toThrow(
      'b.yml:2:5: init[0] must be an image reference string',
    );
    expect(() => imagesFromLinuxkitYaml('- just a list\n', 'c.yml')).toThrow(/c\.yml: not a linuxkit file/);
    const dir = await mkdtemp(path.join(tmpdir(), 'ocg-lk-'));
    await expect(imagesFromLinuxkitFile(path.join(dir, 'nope.yml'))).rejects.toThrow(
      /linuxkit file .*nope\.yml does not exist/,
    );
    await writeFile(path.join(dir, 'ok.yml'), LINUXKIT);
    expect(await imagesFromLinuxkitFile(path.join(dir, 'ok.yml'))).toHaveLength(6);
    await rm(dir, { recursive: true });
  });
});

describe('linuxkit files with YAML aliases', () => {
  it('follows an anchored image (as linuxkit does), reporting the line where it is used', () => {
    const yaml = `kernel:
  image: &k linuxkit/kernel:6.6.13
init:
  - &init linuxkit/init:v1
services:
  - name: a
    image: *k
  - &svc
    name: b
    image: linuxkit/getty:v1.0.0
onboot: [*svc, {name: c, image: *init}]
`;
    const found = imagesFromLinuxkitYaml(yaml, 'lk.yml');
    expect(found.map((r) => [r.reference.name, r.origin.line])).toEqual([
      ['docker.io/linuxkit/kernel:6.6.13', 2],
      ['docker.io/linuxkit/init:v1', 4],
      ['docker.io/linuxkit/getty:v1.0.0', 10],
      ['docker.io/linuxkit/init:v1', 11],
      ['docker.io/linuxkit/kernel:6.6.13', 7],
      ['docker.io/linuxkit/getty:v1.0.0', 10],
    ]);
  });

  it('follows merge keys and aliased sections, and a map that merges itself ends', () => {
    const yaml = `x: &base {image: linuxkit/base:1, net: host}
list: &list
  - name: s
    <<: *base
services: *list
onshutdown:
  - &self {name: t, <<: *self}
`;
    // The anchor of &self is the map itself: the alias resolves to it, and yaml's toJS builds a
    // cycle. The walk must end and find no image there.
    expect(imagesFromLinuxkitYaml(yaml, 'm.yml').map((r) => [r.reference.name, r.origin.line])).toEqual([
      ['docker.io/linuxkit/base:1', 4],
    ]);
  });

  it("a map's own key wins over one it merges, and of two merges the first that has it", () => {
    const yaml = `a: &a {image: x/first:1}
b: &b {image: x/second:1}
kernel: {<<: [*a, *b], image: x/own:1}
onboot:
  - {<<: [{name: n}, *b, *a]}
`;
    expect(imagesFromLinuxkitYaml(yaml, 'w.yml').map((r) => [r.reference.name, r.origin.line])).toEqual([
      ['docker.io/x/own:1', 3],
      ['docker.io/x/second:1', 5],
    ]);
  });

  it('YAML nested past what the parser can read is refused in one line, not a stack overflow', () => {
    const deep = `kernel:\n  image: linuxkit/kernel:6\nx: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    expect(() => imagesFromLinuxkitYaml(deep, 'd.yml')).toThrow(
      /^d\.yml:3:\d+: not valid YAML: nested too deeply to read$/,
    );
  });

  it('still rejects an alias to a non-string, naming the line it is used on', () => {
    expect(() => imagesFromLinuxkitYaml('x: &n 42\nservices:\n  - image: *n\n', 'n.yml')).toThrow(
      'n.yml:3:12: services[0].image must be an image reference string',
    );
  });

  it('refuses an alias bomb in one line naming the file, without expanding it', () => {
    // Nine levels of nine aliases each: 9^9 (387 420 489) strings once expanded.
    let yaml = 'l0: &l0 [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++)
      yaml += `l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(', ')}]\n`;
    yaml += 'kernel:\n  image: linuxkit/kernel:6.6.13\n';
    let message = '';
    try {
      imagesFromLinuxkitYaml(yaml, 'bomb.yml');
    } catch (err) {
      expect(err).toBeInstanceOf(ImageListError);
      message = (err as Error).message;
    }
    expect(message).toBe(
      `bomb.yml: refusing it: its YAML aliases expand past ${MAX_YAML_ALIASES} uses (an alias bomb?)`,
    );
  });

  it('refuses an alias to an anchor that does not exist', () => {
    expect(() => imagesFromLinuxkitYaml('services:\n  - image: *nope\n', 'u.yml')).toThrow(
      /^u\.yml: not valid YAML: Unresolved alias/,
    );
  });

  it('accepts a file that uses one anchor many times, below the limit', () => {
    const uses = Array.from({ length: 200 }, (_, i) => `  - {name: s${i}, image: *k}`).join('\n');
    const yaml = `kernel:\n  image: &k linuxkit/kernel:6.6.13\nservices:\n${uses}\n`;
    expect(imagesFromLinuxkitYaml(yaml, 'many.yml')).toHaveLength(201);
  });
});

describe('the images input', () => {
  it('takes one reference per line, skips blanks and comments, and dedupes by expanded name', () => {
    const list = imagesFromText(
      'redis\n\n# base images\nlinuxkit/kernel:6.6.13  # the kernel\ndocker.io/library/redis\n',
      'images',
    );
    expect(list.map((r) => [r.reference.name, r.origin.line])).toEqual([
      ['docker.io/library/redis', 1],
      ['docker.io/linuxkit/kernel:6.6.13', 4],
      ['docker.io/library/redis', 5],
    ]);
    expect(uniqueImages([list]).map((r) => r.reference.name)).toEqual([
      'docker.io/library/redis',
      'docker.io/linuxkit/kernel:6.6.13',
    ]);
  });

  it('names the input line of a bad reference', () => {
    expect(() => imagesFromText('redis\nbad ref\n', 'images')).toThrow(
      /^input images:2: invalid image reference "bad ref"/,
    );
  });
});
