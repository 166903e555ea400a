import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Patch, RUN_PATCHES } from '../../src/workflows/patches';

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

  test('workflow code asks for changes only through the run (patches.has(Patch.X)), never patched() itself', () => {
    // run-patches.ts is the one caller of patched(): a run patch covers changes without asking.
    for (const file of sources(WORKFLOWS).filter((path) => !path.endsWith('/patches.ts') && !path.endsWith('/run-patches.ts'))) {
      const text = readFileSync(file, 'utf8').replace(/^\s*(\*|\/\/).*$/gm, '');
      expect({ file, calls: [...text.matchAll(/\b(patched|deprecatePatch)\(/g)].map((match) => match[0]) }).toEqual({ file, calls: [] });
      for (const match of text.matchAll(/\bpatches\.has\(([^)]*)\)/g)) {
        expect({ file, call: match[0] }).toEqual({ file, call: expect.stringMatching(/\(Patch\.[A-Za-z]+\)$/) });
      }
    }
  });

  test('run patches: zap-run-<release>, unique, newest first covering every change; older ones cover only older changes', () => {
    const runIds = RUN_PATCHES.map((runPatch) => runPatch.id);
    for (const id of runIds) expect(id).toMatch(/^zap-run-\d+-\d+-\d+$/);
    expect(new Set([...runIds, ...ids]).size).toBe(runIds.length + ids.length);
    expect([...RUN_PATCHES[0]!.covers].sort()).toEqual([...ids].sort());
    for (let index = 1; index < RUN_PATCHES.length; index += 1) {
      const newer = new Set(RUN_PATCHES[index - 1]!.covers);
      for (const id of RUN_PATCHES[index]!.covers) expect(newer.has(id)).toBe(true);
    }
  });
});
