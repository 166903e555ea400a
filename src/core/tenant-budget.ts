import { msToNumber, type Duration } from '@temporalio/common/lib/time';
import { NANO_USD_PER_USD, toUsd } from './budget';
import {
  DEFAULT_TENANT_BUDGET_EVENTS_PER_RUN,
  DEFAULT_TENANT_BUDGET_WINDOW,
  MAX_TENANT_BUDGET_REMEMBERED_KEYS,
  MAX_TENANT_BUDGET_WINDOW_MS,
  TENANT_BUDGET_BUCKETS_PER_WINDOW,
  TENANT_BUDGET_KEY_RETENTION_MS,
} from './defaults';
import { ZapValidationError } from './errors';

/**
 * Tenant budgets: a rolling limit on what all the model calls of one tenant's tasks may cost, kept
 * by one durable workflow per tenant (`zap-tenant-budget/<tenantId>`) that every model call
 * reserves its worst case from before it is sent and settles with its actual cost after. Pure and
 * sandbox-safe: the workflow runs these functions in its update handlers, the client runs
 * {@link summarizeTenantBudget} on the state it queried. Money is in integer nano-dollars; time is
 * milliseconds since the epoch, passed in (the workflow's clock), never read here.
 */

/** Options of `zap.tenantBudgets.set`. */
export interface TenantBudgetOptions {
  /** US dollars all model calls of the tenant's tasks may cost within any window of `per`. */
  maxUsd: number;
  /**
   * The rolling window: `'1 day'`, `'12 hours'`, or milliseconds (at most a year).
   * @default '1 day'
   */
  per?: Duration;
}

/** A tenant budget as `zap.tenantBudgets.get` reports it. */
export interface TenantBudget {
  tenantId: string;
  /** The limit, in US dollars per window. */
  maxUsd: number;
  /** The rolling window, in milliseconds. */
  windowMs: number;
  /** Spent in the current window: settled calls, and reservations that expired unsettled. */
  spentUsd: number;
  /** Held by calls in flight (open reservations, at their worst case). */
  reservedUsd: number;
  /** What a new call may still reserve: `maxUsd - spentUsd - reservedUsd`, at least 0. */
  remainingUsd: number;
  /** Of `spentUsd`: reservations never settled (a worker lost mid-call), counted at their reserved amount. */
  estimatedUsd: number;
  /** Calls in flight. */
  openReservations: number;
  /** When this was computed (ISO-8601). */
  asOf: string;
}

/** Spend summed over one time bucket; `at` is the bucket's end, the latest moment any of it happened. */
export interface TenantSpendEntry {
  at: number;
  nanoUsd: number;
  /** Of `nanoUsd`: expired reservations. @default 0 */
  estimatedNanoUsd?: number;
}

/** A call in flight: its worst case, held until it settles or expires. */
export interface TenantReservation {
  nanoUsd: number;
  reservedAt: number;
  expiresAt: number;
}

/** A reservation that settled or expired, remembered for a while (see `TENANT_BUDGET_KEY_RETENTION_MS`). */
export interface ClosedTenantReservation {
  /** When it closed. */
  at: number;
  /** What it was charged. */
  nanoUsd: number;
  /** The `at` of the spend entry it was charged to. */
  entryAt: number;
  /** True when it expired unsettled (charged at its reserved amount). */
  expired: boolean;
}

/**
 * The state of a tenant budget workflow as it is stored (its input, and what it carries across
 * continue-as-new). Everything but the tenant and its limit is optional: a state written by an
 * older version gets its defaults in {@link upgradeTenantBudgetState}.
 */
export interface StoredTenantBudgetState {
  /** @default 1 */
  schemaVersion?: number;
  tenantId: string;
  limitNanoUsd: number;
  /** @default one day */
  windowMs?: number;
  /** @default [] */
  spend?: TenantSpendEntry[];
  /** By key. @default {} */
  reservations?: Record<string, TenantReservation>;
  /** By key. @default {} */
  closed?: Record<string, ClosedTenantReservation>;
  /** History events per run before continue-as-new. @default DEFAULT_TENANT_BUDGET_EVENTS_PER_RUN */
  eventsPerRun?: number;
}

/** The state with every default filled in. */
export type TenantBudgetState = Required<StoredTenantBudgetState>;

/** Version of {@link StoredTenantBudgetState} this code writes. */
export const TENANT_BUDGET_STATE_VERSION = 1;

/** A reservation request (the `reserve` update): a model call's worst case, before it is sent. */
export interface TenantReservationRequest {
  /** `<taskId>/<callIndex>/<attempt>`: a repeated request with the same key is answered as the first. */
  key: string;
  nanoUsd: number;
  /** How long the reservation is held without a settle; after that it counts as spent. */
  ttlMs: number;
}

/** The answer to a reservation. */
export type TenantReservationResult =
  | { granted: true; remainingNanoUsd: number }
  | { granted: false; remainingNanoUsd: number; limitNanoUsd: number; spentNanoUsd: number; reservedNanoUsd: number; windowMs: number };

/** A settlement (the `settle` update): what the call actually cost; the rest of its reservation is released. */
export interface TenantSettlementRequest {
  key: string;
  nanoUsd: number;
}

/** The answer to a settlement: `settled` false for a key the budget does not know (or no longer remembers). */
export interface TenantSettlementResult {
  settled: boolean;
  /** True when the key was settled before: nothing changed. */
  duplicate?: boolean;
}

/**
 * One operation of a batch (the `apply` update): workers send their reservations and settlements
 * for a tenant in batches, one update in flight per tenant, so a busy tenant stays under
 * Temporal's limit on concurrent updates of a workflow (10 by default) and one workflow task
 * answers many calls.
 */
export type TenantBudgetOperation = { reserve: TenantReservationRequest } | { settle: TenantSettlementRequest };

/** The answer to one operation of a batch, in the batch's order. */
export type TenantBudgetOperationResult = { reserved: TenantReservationResult } | { settled: TenantSettlementResult };

/** Most operations in one batch. */
export const MAX_TENANT_BUDGET_BATCH = 500;

/** A new limit or window (the `configure` update). */
export interface TenantBudgetConfiguration {
  limitNanoUsd: number;
  windowMs: number;
}

/** Validates `zap.tenantBudgets.set` options into a configuration (`where` names the call in errors). */
export function compileTenantBudgetOptions(options: TenantBudgetOptions, where: string): TenantBudgetConfiguration {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ZapValidationError({ message: `${where} needs options such as { maxUsd: 50, per: '1 day' }.` });
  }
  const known = ['maxUsd', 'per'];
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new ZapValidationError({ message: `${where} has unknown option ${unknown.map((key) => `'${key}'`).join(', ')} (use maxUsd, per).` });
  const { maxUsd } = options;
  if (typeof maxUsd !== 'number' || !Number.isFinite(maxUsd) || maxUsd < 0 || maxUsd * NANO_USD_PER_USD > Number.MAX_SAFE_INTEGER) {
    throw new ZapValidationError({ message: `${where}: maxUsd must be a non-negative number of US dollars.` });
  }
  let windowMs: number;
  try {
    windowMs = msToNumber((options.per ?? DEFAULT_TENANT_BUDGET_WINDOW) as Duration);
  } catch {
    windowMs = Number.NaN;
  }
  if (!Number.isFinite(windowMs) || windowMs < 1 || windowMs > MAX_TENANT_BUDGET_WINDOW_MS) {
    throw new ZapValidationError({ message: `${where}: per must be a duration from 1 ms to a year, such as '1 day' or '12 hours'.` });
  }
  return { limitNanoUsd: Math.round(maxUsd * NANO_USD_PER_USD), windowMs: Math.round(windowMs) };
}

/** A stored state with its defaults; a state of a newer version is refused (the workflow waits for an upgraded worker). */
export function upgradeTenantBudgetState(raw: StoredTenantBudgetState): TenantBudgetState {
  const version = raw.schemaVersion ?? 1;
  if (version > TENANT_BUDGET_STATE_VERSION) {
    throw new Error(
      `The budget of tenant '${raw.tenantId}' was written by a newer zap-agents (state v${version}; this worker knows up to ` +
        `v${TENANT_BUDGET_STATE_VERSION}). It waits for an upgraded worker.`,
    );
  }
  return {
    schemaVersion: TENANT_BUDGET_STATE_VERSION,
    tenantId: raw.tenantId,
    limitNanoUsd: raw.limitNanoUsd,
    windowMs: raw.windowMs ?? msToNumber(DEFAULT_TENANT_BUDGET_WINDOW),
    spend: (raw.spend ?? []).map((entry) => ({ ...entry })),
    reservations: { ...(raw.reservations ?? {}) },
    closed: { ...(raw.closed ?? {}) },
    eventsPerRun: raw.eventsPerRun ?? DEFAULT_TENANT_BUDGET_EVENTS_PER_RUN,
  };
}

/**
 * Brings the state to `now`: reservations past their time to live count as spent at their
 * reserved amount (the call's worker died, or never settled: a cap is never exceeded for it),
 * spend older than the window and keys past their retention are dropped.
 */
export function refreshTenantBudget(state: TenantBudgetState, now: number): void {
  for (const [key, reservation] of Object.entries(state.reservations)) {
    if (reservation.expiresAt > now) continue;
    delete state.reservations[key];
    const entryAt = addSpend(state, reservation.expiresAt, reservation.nanoUsd, reservation.nanoUsd);
    state.closed[key] = { at: reservation.expiresAt, nanoUsd: reservation.nanoUsd, entryAt, expired: true };
  }
  const windowStart = now - state.windowMs;
  state.spend = state.spend.filter((entry) => entry.at > windowStart);
  const retainedAfter = now - TENANT_BUDGET_KEY_RETENTION_MS;
  const closed = Object.entries(state.closed).filter(([, entry]) => entry.at > retainedAfter);
  if (closed.length > MAX_TENANT_BUDGET_REMEMBERED_KEYS) closed.sort(([, a], [, b]) => a.at - b.at).splice(0, closed.length - MAX_TENANT_BUDGET_REMEMBERED_KEYS);
  if (closed.length !== Object.keys(state.closed).length) state.closed = Object.fromEntries(closed);
}

/**
 * Reserves a call's worst case when it fits what is left of the window's limit (spent and held
 * included). Idempotent by key: a key already reserved, settled or expired is granted again
 * without holding anything more.
 */
export function reserveTenantBudget(state: TenantBudgetState, request: TenantReservationRequest, now: number): TenantReservationResult {
  refreshTenantBudget(state, now);
  if (state.reservations[request.key] || state.closed[request.key]) return { granted: true, remainingNanoUsd: remainingNanoUsd(state) };
  const spent = spentNanoUsd(state);
  const reserved = reservedNanoUsd(state);
  if (spent + reserved + request.nanoUsd > state.limitNanoUsd) {
    return {
      granted: false,
      remainingNanoUsd: Math.max(0, state.limitNanoUsd - spent - reserved),
      limitNanoUsd: state.limitNanoUsd,
      spentNanoUsd: spent,
      reservedNanoUsd: reserved,
      windowMs: state.windowMs,
    };
  }
  state.reservations[request.key] = { nanoUsd: request.nanoUsd, reservedAt: now, expiresAt: now + request.ttlMs };
  return { granted: true, remainingNanoUsd: remainingNanoUsd(state) };
}

/**
 * Settles a reservation with what the call actually cost; the rest is released. Idempotent by
 * key. A reservation that already expired (charged at its reserved amount) is corrected to the
 * actual cost while its spend is still in the window.
 */
export function settleTenantBudget(state: TenantBudgetState, request: TenantSettlementRequest, now: number): TenantSettlementResult {
  refreshTenantBudget(state, now);
  const reservation = state.reservations[request.key];
  if (reservation) {
    delete state.reservations[request.key];
    const entryAt = addSpend(state, now, request.nanoUsd, 0);
    state.closed[request.key] = { at: now, nanoUsd: request.nanoUsd, entryAt, expired: false };
    return { settled: true };
  }
  const closed = state.closed[request.key];
  if (!closed) return { settled: false };
  if (!closed.expired) return { settled: true, duplicate: true };
  const entry = state.spend.find((candidate) => candidate.at === closed.entryAt);
  if (entry) {
    const correction = Math.min(closed.nanoUsd, entry.nanoUsd) - request.nanoUsd;
    entry.nanoUsd = Math.max(0, entry.nanoUsd - correction);
    entry.estimatedNanoUsd = Math.max(0, (entry.estimatedNanoUsd ?? 0) - closed.nanoUsd);
  }
  state.closed[request.key] = { ...closed, nanoUsd: request.nanoUsd, expired: false };
  return { settled: true };
}

/** A new limit or window; what is spent and held stays (a lower limit refuses new calls until spend leaves the window). */
export function configureTenantBudget(state: TenantBudgetState, configuration: TenantBudgetConfiguration, now: number): void {
  state.limitNanoUsd = configuration.limitNanoUsd;
  state.windowMs = configuration.windowMs;
  refreshTenantBudget(state, now);
}

/** The budget as a reader sees it at `now` (the state is not changed). */
export function summarizeTenantBudget(stored: StoredTenantBudgetState, now: number): TenantBudget {
  const state = upgradeTenantBudgetState(stored);
  refreshTenantBudget(state, now);
  return {
    tenantId: state.tenantId,
    maxUsd: toUsd(state.limitNanoUsd),
    windowMs: state.windowMs,
    spentUsd: toUsd(spentNanoUsd(state)),
    reservedUsd: toUsd(reservedNanoUsd(state)),
    remainingUsd: toUsd(remainingNanoUsd(state)),
    estimatedUsd: toUsd(state.spend.reduce((total, entry) => total + (entry.estimatedNanoUsd ?? 0), 0)),
    openReservations: Object.keys(state.reservations).length,
    asOf: new Date(now).toISOString(),
  };
}

/** Problems with a reservation request (the update's validator refuses it), or undefined. */
export function reservationRequestProblem(request: TenantReservationRequest): string | undefined {
  if (!request || typeof request !== 'object') return 'A reservation needs { key, nanoUsd, ttlMs }.';
  return keyProblem(request.key) ?? amountProblem(request.nanoUsd) ?? (Number.isSafeInteger(request.ttlMs) && request.ttlMs > 0 ? undefined : 'ttlMs must be a positive integer of milliseconds.');
}

/** Problems with a settlement request, or undefined. */
export function settlementRequestProblem(request: TenantSettlementRequest): string | undefined {
  if (!request || typeof request !== 'object') return 'A settlement needs { key, nanoUsd }.';
  return keyProblem(request.key) ?? amountProblem(request.nanoUsd);
}

/** Applies a batch of operations in order. */
export function applyTenantBudgetOperations(state: TenantBudgetState, operations: readonly TenantBudgetOperation[], now: number): TenantBudgetOperationResult[] {
  return operations.map((operation) =>
    'reserve' in operation ? { reserved: reserveTenantBudget(state, operation.reserve, now) } : { settled: settleTenantBudget(state, operation.settle, now) },
  );
}

/** Problems with a batch (any of its operations), or undefined. */
export function operationsProblem(operations: readonly TenantBudgetOperation[]): string | undefined {
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > MAX_TENANT_BUDGET_BATCH) {
    return `A batch needs 1 to ${MAX_TENANT_BUDGET_BATCH} operations.`;
  }
  for (const operation of operations) {
    if (operation && typeof operation === 'object' && 'reserve' in operation) {
      const problem = reservationRequestProblem(operation.reserve);
      if (problem) return problem;
    } else if (operation && typeof operation === 'object' && 'settle' in operation) {
      const problem = settlementRequestProblem(operation.settle);
      if (problem) return problem;
    } else {
      return 'Each operation is { reserve } or { settle }.';
    }
  }
  return undefined;
}

/** Problems with a configuration, or undefined. */
export function configurationProblem(configuration: TenantBudgetConfiguration): string | undefined {
  if (!configuration || typeof configuration !== 'object') return 'A configuration needs { limitNanoUsd, windowMs }.';
  if (!Number.isSafeInteger(configuration.limitNanoUsd) || configuration.limitNanoUsd < 0) return 'limitNanoUsd must be a non-negative integer.';
  if (!Number.isSafeInteger(configuration.windowMs) || configuration.windowMs < 1 || configuration.windowMs > MAX_TENANT_BUDGET_WINDOW_MS) {
    return 'windowMs must be an integer from 1 to a year of milliseconds.';
  }
  return undefined;
}

function spentNanoUsd(state: TenantBudgetState): number {
  return state.spend.reduce((total, entry) => total + entry.nanoUsd, 0);
}

function reservedNanoUsd(state: TenantBudgetState): number {
  return Object.values(state.reservations).reduce((total, reservation) => total + reservation.nanoUsd, 0);
}

function remainingNanoUsd(state: TenantBudgetState): number {
  return Math.max(0, state.limitNanoUsd - spentNanoUsd(state) - reservedNanoUsd(state));
}

/** Adds spend made at `time` to its bucket; returns the bucket's `at` (its end). */
function addSpend(state: TenantBudgetState, time: number, nanoUsd: number, estimatedNanoUsd: number): number {
  const bucketMs = Math.max(1, Math.ceil(state.windowMs / TENANT_BUDGET_BUCKETS_PER_WINDOW));
  const at = (Math.floor(time / bucketMs) + 1) * bucketMs;
  const entry = state.spend.find((candidate) => candidate.at === at);
  if (entry) {
    entry.nanoUsd += nanoUsd;
    if (estimatedNanoUsd > 0) entry.estimatedNanoUsd = (entry.estimatedNanoUsd ?? 0) + estimatedNanoUsd;
  } else {
    state.spend.push({ at, nanoUsd, ...(estimatedNanoUsd > 0 ? { estimatedNanoUsd } : {}) });
    state.spend.sort((a, b) => a.at - b.at);
  }
  return at;
}

function keyProblem(key: unknown): string | undefined {
  return typeof key === 'string' && key.length > 0 && key.length <= 1000 ? undefined : 'key must be a string of 1 to 1000 characters.';
}

function amountProblem(nanoUsd: unknown): string | undefined {
  return Number.isSafeInteger(nanoUsd) && (nanoUsd as number) >= 0 ? undefined : 'nanoUsd must be a non-negative integer.';
}
