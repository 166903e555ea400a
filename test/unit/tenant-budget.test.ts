import { ZapValidationError } from '../../src/core/errors';
import {
  DEFAULT_TENANT_BUDGET_EVENTS_PER_RUN,
  TENANT_BUDGET_KEY_RETENTION_MS,
} from '../../src/core/defaults';
import {
  applyTenantBudgetOperations,
  compileTenantBudgetOptions,
  MAX_TENANT_BUDGET_BATCH,
  operationsProblem,
  configureTenantBudget,
  reservationRequestProblem,
  reserveTenantBudget,
  settleTenantBudget,
  summarizeTenantBudget,
  TENANT_BUDGET_STATE_VERSION,
  upgradeTenantBudgetState,
  type TenantBudgetState,
} from '../../src/core/tenant-budget';

const DAY_MS = 24 * 60 * 60 * 1000;
const T0 = 1_750_000_000_000;

function budget(limitNanoUsd: number, windowMs = 60_000): TenantBudgetState {
  return upgradeTenantBudgetState({ tenantId: 'acme', limitNanoUsd, windowMs });
}

describe('tenant budget state', () => {
  test('a stored state without the optional fields gets their defaults', () => {
    expect(upgradeTenantBudgetState({ tenantId: 'acme', limitNanoUsd: 5 })).toEqual({
      schemaVersion: TENANT_BUDGET_STATE_VERSION,
      tenantId: 'acme',
      limitNanoUsd: 5,
      windowMs: DAY_MS,
      spend: [],
      reservations: {},
      closed: {},
      eventsPerRun: DEFAULT_TENANT_BUDGET_EVENTS_PER_RUN,
    });
  });

  test('a stored state keeps what it has, copied (the stored input is never changed)', () => {
    const stored = {
      schemaVersion: 1,
      tenantId: 'acme',
      limitNanoUsd: 10,
      windowMs: 1000,
      spend: [{ at: 5, nanoUsd: 3 }],
      reservations: { a: { nanoUsd: 2, reservedAt: 1, expiresAt: 9 } },
      closed: {},
      eventsPerRun: 40,
    };
    const state = upgradeTenantBudgetState(stored);
    expect(state).toEqual(stored);
    state.spend[0]!.nanoUsd = 99;
    delete state.reservations.a;
    expect(stored.spend[0]!.nanoUsd).toBe(3);
    expect(stored.reservations.a).toBeDefined();
  });

  test('a state written by a newer version is refused', () => {
    expect(() => upgradeTenantBudgetState({ schemaVersion: TENANT_BUDGET_STATE_VERSION + 1, tenantId: 'acme', limitNanoUsd: 1 })).toThrow(/newer zap-agents/);
  });
});

describe('tenant budget ledger', () => {
  test('reservations are granted while they fit, spent and held together; the one that does not fit is refused', () => {
    const state = budget(1000);
    expect(reserveTenantBudget(state, { key: 'a', nanoUsd: 400, ttlMs: 10_000 }, T0)).toEqual({ granted: true, remainingNanoUsd: 600 });
    expect(reserveTenantBudget(state, { key: 'b', nanoUsd: 600, ttlMs: 10_000 }, T0)).toEqual({ granted: true, remainingNanoUsd: 0 });
    expect(reserveTenantBudget(state, { key: 'c', nanoUsd: 1, ttlMs: 10_000 }, T0)).toMatchObject({ granted: false, remainingNanoUsd: 0, spentNanoUsd: 0, reservedNanoUsd: 1000 });
    // Settling releases what the call did not use.
    expect(settleTenantBudget(state, { key: 'a', nanoUsd: 100 }, T0 + 1)).toEqual({ settled: true });
    expect(reserveTenantBudget(state, { key: 'c', nanoUsd: 300, ttlMs: 10_000 }, T0 + 2)).toEqual({ granted: true, remainingNanoUsd: 0 });
    expect(summarizeTenantBudget(state, T0 + 3)).toMatchObject({ spentUsd: 100e-9, reservedUsd: 900e-9, remainingUsd: 0, openReservations: 2 });
  });

  test('reserve and settle are idempotent by key', () => {
    const state = budget(1000);
    reserveTenantBudget(state, { key: 'a', nanoUsd: 400, ttlMs: 10_000 }, T0);
    expect(reserveTenantBudget(state, { key: 'a', nanoUsd: 400, ttlMs: 10_000 }, T0)).toEqual({ granted: true, remainingNanoUsd: 600 });
    expect(settleTenantBudget(state, { key: 'a', nanoUsd: 400 }, T0 + 1)).toEqual({ settled: true });
    expect(settleTenantBudget(state, { key: 'a', nanoUsd: 400 }, T0 + 2)).toEqual({ settled: true, duplicate: true });
    // A reserve repeated after its settle holds nothing more.
    expect(reserveTenantBudget(state, { key: 'a', nanoUsd: 400, ttlMs: 10_000 }, T0 + 3)).toEqual({ granted: true, remainingNanoUsd: 600 });
    expect(settleTenantBudget(state, { key: 'never-reserved', nanoUsd: 5 }, T0 + 4)).toEqual({ settled: false });
    expect(summarizeTenantBudget(state, T0 + 5)).toMatchObject({ spentUsd: 400e-9, reservedUsd: 0 });
  });

  test('a reservation never settled counts as spent at its reserved amount once it expires; a late settle corrects it', () => {
    const state = budget(1000);
    reserveTenantBudget(state, { key: 'lost', nanoUsd: 700, ttlMs: 1000 }, T0);
    expect(summarizeTenantBudget(state, T0 + 999)).toMatchObject({ spentUsd: 0, reservedUsd: 700e-9, estimatedUsd: 0 });
    expect(summarizeTenantBudget(state, T0 + 1000)).toMatchObject({ spentUsd: 700e-9, reservedUsd: 0, estimatedUsd: 700e-9, remainingUsd: 300e-9 });
    expect(reserveTenantBudget(state, { key: 'next', nanoUsd: 301, ttlMs: 1000 }, T0 + 1001)).toMatchObject({ granted: false, remainingNanoUsd: 300 });
    expect(settleTenantBudget(state, { key: 'lost', nanoUsd: 200 }, T0 + 1002)).toEqual({ settled: true });
    expect(summarizeTenantBudget(state, T0 + 1003)).toMatchObject({ spentUsd: 200e-9, estimatedUsd: 0, remainingUsd: 800e-9 });
    // Corrected once: settling it again changes nothing.
    expect(settleTenantBudget(state, { key: 'lost', nanoUsd: 50 }, T0 + 1004)).toEqual({ settled: true, duplicate: true });
  });

  test('spend counts for at least one window, and stops counting within 1/100 of a window after', () => {
    const windowMs = 10_000;
    const state = budget(1000, windowMs);
    reserveTenantBudget(state, { key: 'a', nanoUsd: 1000, ttlMs: 100 }, T0);
    settleTenantBudget(state, { key: 'a', nanoUsd: 1000 }, T0);
    expect(summarizeTenantBudget(state, T0 + windowMs - 1)).toMatchObject({ spentUsd: 1000e-9, remainingUsd: 0 });
    expect(summarizeTenantBudget(state, T0 + windowMs + windowMs / 100)).toMatchObject({ spentUsd: 0, remainingUsd: 1000e-9 });
    expect(reserveTenantBudget(state, { key: 'b', nanoUsd: 1000, ttlMs: 100 }, T0 + windowMs + windowMs / 100).granted).toBe(true);
    // The spent entry is gone from the state, so the state stays small.
    expect(state.spend).toEqual([]);
  });

  test('spend is kept per bucket: many calls make few entries', () => {
    const state = budget(1_000_000, 100_000);
    for (let index = 0; index < 500; index += 1) {
      reserveTenantBudget(state, { key: `k${index}`, nanoUsd: 10, ttlMs: 60_000 }, T0 + index * 10);
      settleTenantBudget(state, { key: `k${index}`, nanoUsd: 10 }, T0 + index * 10);
    }
    expect(state.spend.length).toBeLessThanOrEqual(6);
    expect(summarizeTenantBudget(state, T0 + 5000).spentUsd).toBeCloseTo(5000e-9, 15);
  });

  test('closed keys are forgotten after their retention', () => {
    const state = budget(1000, DAY_MS);
    reserveTenantBudget(state, { key: 'a', nanoUsd: 1, ttlMs: 100 }, T0);
    settleTenantBudget(state, { key: 'a', nanoUsd: 1 }, T0);
    expect(Object.keys(state.closed)).toEqual(['a']);
    reserveTenantBudget(state, { key: 'b', nanoUsd: 1, ttlMs: 100 }, T0 + TENANT_BUDGET_KEY_RETENTION_MS + 1);
    expect(Object.keys(state.closed)).toEqual([]);
  });

  test('a lower limit refuses new calls; what was spent stays', () => {
    const state = budget(1000);
    reserveTenantBudget(state, { key: 'a', nanoUsd: 500, ttlMs: 1000 }, T0);
    settleTenantBudget(state, { key: 'a', nanoUsd: 500 }, T0);
    configureTenantBudget(state, { limitNanoUsd: 400, windowMs: 60_000 }, T0 + 1);
    expect(summarizeTenantBudget(state, T0 + 2)).toMatchObject({ maxUsd: 400e-9, spentUsd: 500e-9, remainingUsd: 0 });
    expect(reserveTenantBudget(state, { key: 'c', nanoUsd: 1, ttlMs: 1000 }, T0 + 2).granted).toBe(false);
  });

  test('a batch is applied in order, as the same requests one by one would be', () => {
    const state = budget(1000);
    const results = applyTenantBudgetOperations(
      state,
      [
        { reserve: { key: 'a', nanoUsd: 600, ttlMs: 1000 } },
        { reserve: { key: 'b', nanoUsd: 600, ttlMs: 1000 } },
        { settle: { key: 'a', nanoUsd: 100 } },
        { reserve: { key: 'c', nanoUsd: 600, ttlMs: 1000 } },
      ],
      T0,
    );
    expect(results).toEqual([
      { reserved: { granted: true, remainingNanoUsd: 400 } },
      { reserved: expect.objectContaining({ granted: false, remainingNanoUsd: 400 }) },
      { settled: { settled: true } },
      { reserved: { granted: true, remainingNanoUsd: 300 } },
    ]);
    expect(operationsProblem([])).toMatch(/1 to/);
    expect(operationsProblem(Array.from({ length: MAX_TENANT_BUDGET_BATCH + 1 }, (_, index) => ({ settle: { key: `k${index}`, nanoUsd: 1 } })))).toMatch(/1 to/);
    expect(operationsProblem([{ settle: { key: 'a', nanoUsd: -1 } }])).toMatch(/nanoUsd/);
    expect(operationsProblem([{ refund: {} } as never])).toMatch(/reserve.*settle/);
    expect(operationsProblem([{ reserve: { key: 'a', nanoUsd: 1, ttlMs: 1 } }, { settle: { key: 'a', nanoUsd: 1 } }])).toBeUndefined();
  });

  test('requests the workflow validators refuse', () => {
    expect(reservationRequestProblem({ key: '', nanoUsd: 1, ttlMs: 1 })).toMatch(/key/);
    expect(reservationRequestProblem({ key: 'a', nanoUsd: -1, ttlMs: 1 })).toMatch(/nanoUsd/);
    expect(reservationRequestProblem({ key: 'a', nanoUsd: 1.5, ttlMs: 1 })).toMatch(/nanoUsd/);
    expect(reservationRequestProblem({ key: 'a', nanoUsd: 1, ttlMs: 0 })).toMatch(/ttlMs/);
    expect(reservationRequestProblem({ key: 'a', nanoUsd: 1, ttlMs: 1 })).toBeUndefined();
  });
});

describe('tenant budget options', () => {
  test('maxUsd and per compile to nano-dollars and milliseconds; per defaults to a day', () => {
    expect(compileTenantBudgetOptions({ maxUsd: 2.5, per: '3 seconds' }, 'set')).toEqual({ limitNanoUsd: 2_500_000_000, windowMs: 3000 });
    expect(compileTenantBudgetOptions({ maxUsd: 1 }, 'set')).toEqual({ limitNanoUsd: 1_000_000_000, windowMs: DAY_MS });
    expect(compileTenantBudgetOptions({ maxUsd: 0, per: 60_000 }, 'set')).toEqual({ limitNanoUsd: 0, windowMs: 60_000 });
  });

  test('bad options are ZapValidationErrors', () => {
    for (const options of [{ maxUsd: -1 }, { maxUsd: Number.NaN }, { maxUsd: '5' }, { maxUsd: 1, per: 'soon' }, { maxUsd: 1, per: 0 }, { maxUsd: 1, per: '2 years' }, { maxUsd: 1, perDay: 1 }, null]) {
      expect(() => compileTenantBudgetOptions(options as never, 'tenantBudgets.set')).toThrow(ZapValidationError);
    }
    expect(() => compileTenantBudgetOptions({ maxUsd: 1, perDay: 1 } as never, 'tenantBudgets.set')).toThrow(/unknown option 'perDay'/);
  });
});
