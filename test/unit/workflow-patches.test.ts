import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Patch } from '../../src/workflows/patches';

const WORKFLOWS = join(__dirname, '../../src/workflows');

function sources(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('workflow patches', () => {
  const ids = Object.values(Patch) as string[];

  test('patch ids are zap-<kebab-case> and unique', () => {
    for (const id of ids) expect(id).toMatch(/^zap-[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('workflow code names patches only through the registry, never with a literal', () => {
    for (const file of sources(WORKFLOWS).filter((path) => !path.endsWith('patches.ts'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\b(patched|deprecatePatch)\(([^)]*)\)/g)) {
        expect({ file, call: match[0] }).toEqual({ file, call: expect.stringMatching(/\(Patch\.[A-Za-z]+\)$/) });
      }
    }
  });
});
