import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import ts from 'typescript';
import { zapWorkflowPreloadModules } from '../../src/worker/workflow-code';

/**
 * Workers preload zap's workflow modules (`zapWorkflowPreloadModules`): each module is evaluated
 * once per V8 context and shared by every run it serves, and the SDK deep-freezes it. Frozen
 * objects throw when written; what freezing does not catch is state a run could leave behind for
 * the next one. So every zap module in the preloaded bundle must keep, at module level:
 * - no `let` or `var` (a counter or cache would count across runs);
 * - no statement with a side effect (it would run once per worker thread, not once per run);
 * - only values nothing can change through any alias: primitives, regular expressions without
 *   the `g` or `y` flag (those keep `lastIndex`), functions, `as const` arrays and objects,
 *   arrays and sets typed `readonly`/`ReadonlySet` (TypeScript then refuses writes through any
 *   alias; a Set's contents stay writable when frozen), and the SDK's stateless definitions
 *   (`defineSignal`, `proxyActivities`, …);
 * - classes without static fields that are not `readonly`.
 * Per-run state belongs in the run: a global of the run (`globalThis`, which the sandbox keeps
 * apart per run, as `runAgent` counts its calls), or the task's state.
 * The replay gate checks the same at run time: it replays every history twice through shared modules.
 */
const REPOSITORY_ROOT = join(__dirname, '../..');

/** Calls whose results hold no state: definitions and proxies the SDK reads at each use. */
const STATELESS_CALLS = new Set([
  'defineSignal',
  'defineQuery',
  'defineUpdate',
  'defineSearchAttributeKey',
  'proxyActivities',
  'proxyLocalActivities',
  'Object.freeze',
  'Symbol.for',
  'Symbol',
]);

/** Calls that derive a new array from a value (its binding must still be typed readonly). */
const ARRAY_DERIVATIONS = new Set(['map', 'filter', 'concat', 'slice']);

interface Finding {
  file: string;
  line: number;
  problem: string;
}

function unwrap(expression: ts.Expression): { expression: ts.Expression; asConst: boolean } {
  let current = expression;
  let asConst = false;
  for (;;) {
    if (ts.isAsExpression(current) || ts.isSatisfiesExpression(current) || ts.isTypeAssertionExpression(current)) {
      if (ts.isAsExpression(current) && ts.isTypeReferenceNode(current.type) && current.type.typeName.getText() === 'const') asConst = true;
      current = current.expression;
    } else if (ts.isParenthesizedExpression(current) || ts.isNonNullExpression(current)) {
      current = current.expression;
    } else {
      return { expression: current, asConst };
    }
  }
}

function calleeName(call: ts.CallExpression | ts.NewExpression): string {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return `${callee.expression.getText()}.${callee.name.text}`;
  return callee.getText();
}

/** Whether `type` (a declared type) is one TypeScript refuses to write through. */
function readonlyType(type: ts.TypeNode | undefined): boolean {
  if (!type) return false;
  const text = type.getText();
  return /^(readonly |Readonly(Array|Set|Map)?<)/.test(text) || (ts.isTypeOperatorNode(type) && type.operator === ts.SyntaxKind.ReadonlyKeyword);
}

/**
 * Why a module-level value could carry state between runs, or undefined when it cannot.
 * `frozenShape`: inside an `as const` or a readonly-typed binding, where arrays may appear.
 */
function stateIn(node: ts.Expression, frozenShape: boolean): string | undefined {
  const { expression, asConst } = unwrap(node);
  const readonlyShape = frozenShape || asConst;
  if (
    ts.isStringLiteral(expression) ||
    ts.isNumericLiteral(expression) ||
    ts.isBigIntLiteral(expression) ||
    ts.isNoSubstitutionTemplateLiteral(expression) ||
    expression.kind === ts.SyntaxKind.TrueKeyword ||
    expression.kind === ts.SyntaxKind.FalseKeyword ||
    expression.kind === ts.SyntaxKind.NullKeyword ||
    ts.isIdentifier(expression) ||
    ts.isPropertyAccessExpression(expression) ||
    ts.isArrowFunction(expression) ||
    ts.isFunctionExpression(expression)
  ) {
    return undefined;
  }
  if (ts.isPrefixUnaryExpression(expression)) return undefined;
  if (ts.isBinaryExpression(expression)) return stateIn(expression.left, frozenShape) ?? stateIn(expression.right, frozenShape);
  if (ts.isTemplateExpression(expression)) return undefined;
  if (ts.isRegularExpressionLiteral(expression)) {
    const flags = expression.text.slice(expression.text.lastIndexOf('/') + 1);
    return /[gy]/.test(flags) ? `the regular expression ${expression.text} keeps lastIndex (flag g or y)` : undefined;
  }
  if (ts.isArrayLiteralExpression(expression)) {
    if (!readonlyShape) return 'an array neither `as const` nor typed readonly';
    for (const element of expression.elements) {
      const inner = stateIn(ts.isSpreadElement(element) ? element.expression : element, true);
      if (inner) return inner;
    }
    return undefined;
  }
  if (ts.isObjectLiteralExpression(expression)) {
    for (const property of expression.properties) {
      if (ts.isPropertyAssignment(property)) {
        const inner = stateIn(property.initializer, readonlyShape);
        if (inner) return `${property.name.getText()}: ${inner}`;
      } else if (ts.isSpreadAssignment(property)) {
        const inner = stateIn(property.expression, readonlyShape);
        if (inner) return inner;
      } else if (!ts.isShorthandPropertyAssignment(property) && !ts.isMethodDeclaration(property)) {
        return `a ${ts.SyntaxKind[property.kind]} in an object`;
      }
    }
    return undefined;
  }
  if (ts.isNewExpression(expression)) {
    const name = calleeName(expression);
    if ((name === 'Set' || name === 'Map') && frozenShape) return undefined;
    return `new ${name}(…) (a Set or Map must be typed ReadonlySet/ReadonlyMap; other instances may hold state)`;
  }
  if (ts.isCallExpression(expression)) {
    const name = calleeName(expression);
    if (STATELESS_CALLS.has(name)) return undefined;
    if (ts.isPropertyAccessExpression(expression.expression) && ARRAY_DERIVATIONS.has(expression.expression.name.text)) {
      return frozenShape ? undefined : `${name}(…) derives an array that is not typed readonly`;
    }
    return `the result of ${name}(…), which may hold state`;
  }
  return `a ${ts.SyntaxKind[expression.kind]}`;
}

function audit(file: string): Finding[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const report = (node: ts.Node, problem: string): void => {
    findings.push({ file: relative(REPOSITORY_ROOT, file), line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, problem });
  };
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      const flags = statement.declarationList.flags;
      if (!(flags & ts.NodeFlags.Const)) {
        report(statement, `module-level ${flags & ts.NodeFlags.Let ? 'let' : 'var'}`);
        continue;
      }
      for (const declaration of statement.declarationList.declarations) {
        if (!declaration.initializer) continue;
        const problem = stateIn(declaration.initializer, readonlyType(declaration.type));
        if (problem) report(declaration, `${declaration.name.getText()}: ${problem}`);
      }
    } else if (ts.isClassDeclaration(statement)) {
      for (const member of statement.members) {
        const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
        const isStatic = modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.StaticKeyword);
        const isReadonly = modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.ReadonlyKeyword);
        if (ts.isPropertyDeclaration(member) && isStatic && !isReadonly) report(member, `static field ${member.name.getText()} is not readonly`);
        if (ts.isClassStaticBlockDeclaration(member)) report(member, 'a static block runs once per worker thread');
      }
    } else if (ts.isExpressionStatement(statement)) {
      report(statement, 'a module-level statement with a side effect');
    } else if (
      !ts.isImportDeclaration(statement) &&
      !ts.isExportDeclaration(statement) &&
      !ts.isFunctionDeclaration(statement) &&
      !ts.isInterfaceDeclaration(statement) &&
      !ts.isTypeAliasDeclaration(statement) &&
      !ts.isEnumDeclaration(statement) &&
      !ts.isModuleDeclaration(statement)
    ) {
      report(statement, `a module-level ${ts.SyntaxKind[statement.kind]}`);
    }
  }
  return findings;
}

/** zap's own modules in the bundle workers run, as webpack names them (`./src/…`). */
async function preloadedSourceFiles(): Promise<string[]> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows/index'),
    preloadModules: zapWorkflowPreloadModules(),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  return [...code.matchAll(/^\/\*\*\*\/ "\.\/(src\/[^"]+\.ts)"/gm)].map((match) => join(REPOSITORY_ROOT, match[1]!));
}

describe('preloaded workflow modules', () => {
  let files: string[];
  beforeAll(async () => {
    files = await preloadedSourceFiles();
  }, 120_000);

  test('the preloaded bundle holds zap’s workflow and core modules', () => {
    const names = files.map((file) => relative(REPOSITORY_ROOT, file));
    expect(names).toEqual(expect.arrayContaining(['src/workflows/index.ts', 'src/workflows/agent-workflow.ts', 'src/workflows/run-agent.ts', 'src/core/task-state.ts']));
    expect(names.length).toBeGreaterThan(60);
  });

  test('keep no state at module level that one run could leave for the next', () => {
    const findings = files.flatMap(audit);
    expect(findings.map((finding) => `${finding.file}:${finding.line} ${finding.problem}`)).toEqual([]);
  });

  describe('the audit finds', () => {
    function auditText(text: string): string[] {
      const { mkdtempSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
      const { tmpdir } = require('node:os') as typeof import('node:os');
      const file = join(mkdtempSync(join(tmpdir(), 'zap-preload-audit-')), 'module.ts');
      writeFileSync(file, text);
      return audit(file).map((finding) => finding.problem);
    }

    test.each([
      ['a counter', 'let calls = 0;', /module-level let/],
      ['a cache', 'const cache = new Map<string, number>();', /new Map/],
      ['a mutable array', "const names: string[] = ['a'];", /array neither/],
      ['a nested mutable array', "const issue = { path: [] as string[] };", /path: an array/],
      ['a global regular expression', 'const WORDS = /\\w+/g;', /lastIndex/],
      ['a stateful instance', 'class Counter { n = 0 }\nconst counter = new Counter();', /new Counter/],
      ['a factory result', 'const next = makeCounter();', /makeCounter/],
      ['a side effect', 'registerSomething();', /side effect/],
      ['a static field', 'class A { static calls = 0 }', /static field calls/],
    ])('%s', (_name, text, problem) => {
      expect(auditText(text)).toEqual([expect.stringMatching(problem)]);
    });

    test.each([
      ['constants', "const A = 'a';\nconst B = 2;\nconst C = -1;\nconst D = `x`;"],
      ['as const data', "const OPS = ['eq', 'gt'] as const;\nconst UNITS = { s: 1000, m: 60_000 } as const;"],
      ['readonly collections', "const NAMES: readonly string[] = ['a'];\nconst DONE: ReadonlySet<string> = new Set(['x']);"],
      ['SDK definitions', "const signal = defineSignal<[string]>('s');\nconst { act } = proxyActivities<A>({ startToCloseTimeout: '1 minute' });"],
      ['a plain regular expression and functions', 'const ID = /^[a-z]+$/i;\nconst f = (x: number) => x + 1;\nfunction g() { return 1; }'],
    ])('nothing in %s', (_name, text) => {
      expect(auditText(text)).toEqual([]);
    });
  });
});
