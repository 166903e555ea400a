import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import ts from 'typescript';

/**
 * The workflow bundle runs in Temporal's deterministic sandbox: it may reach only
 * `@temporalio/workflow`, `@temporalio/common` and the pure code of `src/workflows` and
 * `src/core`. These tests walk the real import graph and run the real bundler, so a stray
 * import fails here rather than when a worker starts.
 */

const SOURCE_ROOT = resolve(__dirname, '../../src');
const WORKFLOWS_ENTRY = join(SOURCE_ROOT, 'workflows/index.ts');
const SANDBOX_FOLDERS = ['workflows', 'core'].map((folder) => join(SOURCE_ROOT, folder) + sep);

interface ModuleReference {
  specifier: string;
  /** False when TypeScript erases the import (`import type`, or only `type` specifiers). */
  kept: boolean;
}

/** Every module a file refers to: imports, re-exports, `import x = require()`, `require()` and `import()`. */
function moduleReferences(file: string): ModuleReference[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const references: ModuleReference[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      references.push({ specifier: node.moduleSpecifier.text, kept: !isErasedImport(node.importClause) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause !== undefined &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.length > 0 &&
          node.exportClause.elements.every((element) => element.isTypeOnly));
      references.push({ specifier: node.moduleSpecifier.text, kept: !typeOnly });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      references.push({ specifier: node.moduleReference.expression.text, kept: !node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0]!)) {
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      if (isRequire || isDynamicImport) references.push({ specifier: (node.arguments[0] as ts.StringLiteral).text, kept: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return references;
}

function isErasedImport(clause: ts.ImportClause | undefined): boolean {
  if (clause === undefined) return false; // `import 'x'` runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  if (bindings === undefined || ts.isNamespaceImport(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../');
}

function resolveRelative(fromFile: string, specifier: string): string {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
  }
  throw new Error(`${relative(SOURCE_ROOT, fromFile)}: cannot resolve '${specifier}'`);
}

/** Files and packages reached from `entry` through imports that survive compilation. */
function walkRuntimeImports(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const { specifier, kept } of moduleReferences(file)) {
      if (!kept) continue;
      if (isRelative(specifier)) pending.push(resolveRelative(file, specifier));
      else if (!packages.has(specifier)) packages.set(specifier, relative(SOURCE_ROOT, file));
    }
  }
  return { files, packages };
}

function isAllowedSandboxPackage(specifier: string): boolean {
  return (
    specifier === '@temporalio/workflow' ||
    specifier === '@temporalio/common' ||
    specifier.startsWith('@temporalio/common/lib/')
  );
}

function sourceFilesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFilesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const NODE_BUILTINS = new Set(builtinModules);

function forbiddenInCore(specifier: string): boolean {
  const packageName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  return (
    specifier.startsWith('node:') ||
    NODE_BUILTINS.has(packageName ?? '') ||
    packageName === 'openai' ||
    packageName === '@modelcontextprotocol/sdk' ||
    ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'].includes(packageName ?? '')
  );
}

describe('the import-graph walker', () => {
  it('treats type-only imports and re-exports as erased, and keeps side-effect and mixed imports', () => {
    const kept = (code: string): boolean[] => {
      const source = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true);
      return source.statements.filter(ts.isImportDeclaration).map((node) => !isErasedImport(node.importClause));
    };
    expect(
      kept(`
        import type { A } from 'a';
        import { type B } from 'b';
        import { type C, D } from 'c';
        import 'e';
        import * as F from 'f';
        import G from 'g';
      `),
    ).toEqual([false, false, true, true, true, true]);
  });
});

describe('workflow sandbox boundary', () => {
  const { files, packages } = walkRuntimeImports(WORKFLOWS_ENTRY);

  it('follows the graph into the workflow implementation and the pure core modules it uses', () => {
    const reached = [...files].map((file) => relative(SOURCE_ROOT, file).split(sep).join('/'));
    expect(reached).toEqual(
      expect.arrayContaining([
        'workflows/index.ts',
        'workflows/agent-workflow.ts',
        'workflows/definitions.ts',
        'core/event-log.ts',
        'core/tool-phrase.ts',
      ]),
    );
  });

  it('reaches no package other than @temporalio/workflow and @temporalio/common', () => {
    const disallowed = [...packages].filter(([specifier]) => !isAllowedSandboxPackage(specifier));
    expect(disallowed).toEqual([]);
    expect([...packages.keys()]).toContain('@temporalio/workflow');
  });

  it('reaches no source file outside src/workflows and src/core', () => {
    const outside = [...files]
      .filter((file) => !SANDBOX_FOLDERS.some((folder) => file.startsWith(folder)))
      .map((file) => relative(SOURCE_ROOT, file));
    expect(outside).toEqual([]);
  });

  it('bundles with the real Temporal bundler', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows/index'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    expect(bundle.code.length).toBeGreaterThan(0);
    expect(bundle.code).toContain('agentWorkflow');
  }, 120_000);
});

describe('core boundary', () => {
  const coreFolder = join(SOURCE_ROOT, 'core');
  const coreFiles = sourceFilesUnder(coreFolder);

  it('finds the core sources', () => {
    expect(coreFiles.length).toBeGreaterThan(10);
  });

  it('imports no Node built-ins, no openai, no MCP SDK and no Temporal client, worker or activity packages', () => {
    const offending = coreFiles.flatMap((file) =>
      moduleReferences(file)
        .filter(({ specifier }) => !isRelative(specifier) && forbiddenInCore(specifier))
        .map(({ specifier }) => `${relative(SOURCE_ROOT, file)} → ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('imports nothing from the layers above it', () => {
    const upward = coreFiles.flatMap((file) =>
      moduleReferences(file)
        .filter(({ specifier }) => isRelative(specifier))
        .map(({ specifier }) => resolveRelative(file, specifier))
        .filter((target) => !target.startsWith(coreFolder + sep))
        .map((target) => `${relative(SOURCE_ROOT, file)} → ${relative(SOURCE_ROOT, target)}`),
    );
    expect(upward).toEqual([]);
  });
});

describe('the forbidden-module check', () => {
  it.each(['node:fs', 'fs', 'path', 'crypto', 'openai', 'openai/resources', '@modelcontextprotocol/sdk/client/index.js', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'])(
    'flags %s',
    (specifier) => {
      expect(forbiddenInCore(specifier)).toBe(true);
    },
  );

  it.each(['zod', '@temporalio/common', '@temporalio/workflow', 'fs-extra-lookalike'])('allows %s', (specifier) => {
    expect(forbiddenInCore(specifier)).toBe(false);
  });
});
