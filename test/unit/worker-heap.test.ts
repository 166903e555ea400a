import { ZapConfigurationError } from '../../src/errors';
import { readWorkerHeapFromEnvironment, WORKER_HEAP_VARIABLE, workerHeapFlags } from '../../src/worker/worker-heap';

describe('workerHeapFlags', () => {
  test("compact sets V8's memory-saving mode", () => {
    expect(workerHeapFlags('compact', [])).toEqual(['--optimize-for-size']);
    expect(workerHeapFlags('compact', ['--max-semi-space-size=8', '--enable-source-maps'])).toEqual(['--optimize-for-size']);
  });

  test('node sets nothing', () => {
    expect(workerHeapFlags('node', [])).toEqual([]);
  });

  test('keeps what the operator gave Node, either form, either spelling', () => {
    expect(workerHeapFlags('compact', ['--no-optimize-for-size'])).toEqual([]);
    expect(workerHeapFlags('compact', ['--optimize-for-size'])).toEqual([]);
    expect(workerHeapFlags('compact', ['--no-optimize_for_size'])).toEqual([]);
    expect(workerHeapFlags('compact', ['--optimize-for-size=false'])).toEqual([]);
  });

  test('a flag that only starts like it is not taken for it', () => {
    expect(workerHeapFlags('compact', ['--optimize-for-sizes'])).toEqual(['--optimize-for-size']);
  });

  test('an unknown heap is a ZapConfigurationError', () => {
    expect(() => workerHeapFlags('tiny' as never, [])).toThrow(ZapConfigurationError);
    expect(() => workerHeapFlags('tiny' as never, [])).toThrow("`heap` must be 'compact' or 'node', not \"tiny\".");
  });
});

describe('readWorkerHeapFromEnvironment', () => {
  test('unset or blank is the default (undefined)', () => {
    expect(readWorkerHeapFromEnvironment({})).toBeUndefined();
    expect(readWorkerHeapFromEnvironment({ [WORKER_HEAP_VARIABLE]: '  ' })).toBeUndefined();
  });

  test('reads compact and node, trimmed', () => {
    expect(readWorkerHeapFromEnvironment({ ZAP_WORKER_HEAP: 'compact' })).toBe('compact');
    expect(readWorkerHeapFromEnvironment({ ZAP_WORKER_HEAP: ' node ' })).toBe('node');
  });

  test('anything else names the variable', () => {
    expect(() => readWorkerHeapFromEnvironment({ ZAP_WORKER_HEAP: 'Compact' })).toThrow(
      new ZapConfigurationError({ message: `ZAP_WORKER_HEAP must be 'compact' or 'node', not "Compact".` }),
    );
  });
});
