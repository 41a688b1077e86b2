import { LockNotAcquiredError, LockTakenError, failureSummary } from './errors.js';
import type { LockContext, TimedRound } from './lock-ops.js';
import type { ValueOwner } from './late-writes.js';
import { MAX_TIMER_MS, checkBoolean, checkDelay, checkOptionsObject, checkSignal, describeValue } from './validate.js';
import type { Turn } from './wait-line.js';

/** Per-call options of `acquire()` and `tryAcquire()`. */
export interface AcquireOptions {
  /**
   * Cancels the wait: the call rejects with `signal.reason`, after cleaning up any key the
   * attempt in flight may have set (bounded by the per-node timeout).
   * @default undefined (no cancellation)
   */
  readonly signal?: AbortSignal;
  /**
   * Gives up after this many ms, whatever `tries` says: the call rejects with a
   * `LockNotAcquiredError` (a `LockTakenError` when the lock was last seen held) whose
   * `timedOut` is true and whose message says so. The attempt in flight is not cut short (it is
   * bounded by the per-node timeout); no attempt starts after the deadline. Combine it with
   * `tries: Infinity` for "wait at most this long". Ignored by `tryAcquire()`, which makes one
   * attempt.
   * @default undefined (bounded by `tries` only)
   */
  readonly timeout?: number;
  /**
   * Keep this lock alive until it is released, lost, or held for `maxHold` ms (see the mutex
   * option of the same name, which this overrides).
   * @default the mutex's `autoExtend` (false unless set)
   */
  readonly autoExtend?: boolean;
}

const ACQUIRE_OPTION_KEYS = ['signal', 'timeout', 'autoExtend'];

/** Per-call options, validated. */
export interface Call {
  readonly signal: AbortSignal | undefined;
  readonly autoExtend: boolean;
  /** The `timeout` option, when given. */
  readonly timeout: number | undefined;
  /** When to give up, on the context's clock (Infinity without a timeout). */
  readonly deadline: number;
}

/** The calls without options, built once: acquire runs on the hot path. */
const PLAIN_CALLS: readonly [Call, Call] = [
  Object.freeze({ signal: undefined, autoExtend: false, timeout: undefined, deadline: Number.POSITIVE_INFINITY }),
  Object.freeze({ signal: undefined, autoExtend: true, timeout: undefined, deadline: Number.POSITIVE_INFINITY }),
];

/**
 * Validates the per-call options of `method`.
 * @throws TypeError or RangeError naming the offending option.
 */
export function readCall(options: AcquireOptions | undefined, method: string, ctx: LockContext): Call {
  const autoExtendDefault = ctx.options.autoExtend;
  if (options === undefined) return PLAIN_CALLS[autoExtendDefault ? 1 : 0];
  const raw = checkOptionsObject(`${method}(options)`, options, ACQUIRE_OPTION_KEYS);
  const autoExtend = raw['autoExtend'] === undefined ? autoExtendDefault : checkBoolean(`${method}(options).autoExtend`, raw['autoExtend']);
  const timeout = raw['timeout'] === undefined ? undefined : checkDelay(`${method}(options).timeout`, raw['timeout']);
  const deadline = timeout === undefined || timeout >= MAX_TIMER_MS ? Number.POSITIVE_INFINITY : ctx.clock() + timeout;
  return { signal: checkSignal(`${method}(options).signal`, raw['signal']), autoExtend, timeout, deadline };
}

/** Why the last attempt was lost, in words. */
function whyLost(ctx: LockContext, result: TimedRound): string {
  const { round } = result;
  const n = ctx.nodes.length;
  if (round.ok >= ctx.quorum) return 'the quorum answered too late to leave any validity';
  if (round.errors > n - ctx.quorum) return `${round.errors} of ${n} nodes failed (${failureSummary(round.outcomes) ?? 'no answer'}), so no quorum was reachable`;
  return `only ${round.ok} of ${n} nodes voted for it (${ctx.quorum} needed)`;
}

/** The error for a lost attempt: taken on a quorum beats every other explanation. */
export function failureOf(ctx: LockContext, result: TimedRound, attempts: number): LockNotAcquiredError {
  const { round } = result;
  if (round.taken >= ctx.quorum) return new LockTakenError(attempts, round.outcomes);
  return new LockNotAcquiredError(`lock not acquired after ${attempts} attempt(s): ${whyLost(ctx, result)}`, attempts, round.outcomes);
}

/** The error for a call whose `timeout` ran out; `result` is its last attempt, if it made one. */
export function timedOut(ctx: LockContext, call: Call, result: TimedRound | undefined, attempts: number): LockNotAcquiredError {
  const waited = `timed out after ${String(call.timeout)} ms (${attempts} attempt(s))`;
  if (result === undefined) return new LockNotAcquiredError(`lock not acquired: ${waited}, queued behind this process's other waiters`, attempts, [], undefined, true);
  const { round } = result;
  if (round.taken >= ctx.quorum) return new LockTakenError(attempts, round.outcomes, `${waited}: `);
  return new LockNotAcquiredError(`lock not acquired: ${waited}: ${whyLost(ctx, result)}`, attempts, round.outcomes, undefined, true);
}

/** How far ahead {@link Patience} sums the retry delays at a time. */
const PATIENCE_HORIZON_MS = 1000;

/**
 * How long a waiting `acquire()` goes on: as long as the waits its `tries` allow would take a
 * poller, i.e. the sum of `retryDelay(1..tries-1)` from the first wait (about 5 s by default).
 * A waiter woken by notifications attempts only when a release is heard, so without this bound
 * 32 tries could last 32 holds. Summed lazily, a horizon at a time: `tries` may be huge.
 */
export class Patience {
  readonly #allowed: number;
  readonly #retryDelay: (attempt: number) => number;
  #until: number;
  #waits = 0;

  constructor(tries: number, retryDelay: (attempt: number) => number, start: number) {
    this.#allowed = tries - 1;
    this.#retryDelay = retryDelay;
    this.#until = Number.isFinite(tries) ? start : Number.POSITIVE_INFINITY;
  }

  /** When to look again: the end of the patience, or a checkpoint before it. */
  until(now: number): number {
    for (let added = 0; this.#waits < this.#allowed && this.#until <= now + PATIENCE_HORIZON_MS && added < 64; added++) {
      this.#waits += 1;
      this.#until += checkDelay('retryDelay(attempt)', this.#retryDelay(this.#waits));
    }
    return this.#until;
  }

  /** True once every wait the tries allow has passed. */
  over(now: number): boolean {
    return now >= this.until(now) && this.#waits >= this.#allowed;
  }
}

/** The error for a waiter whose patience ran out; `result` is the last attempt seen in its line. */
export function patienceRanOut(ctx: LockContext, result: TimedRound | undefined, attempts: number): LockNotAcquiredError {
  if (result !== undefined) return failureOf(ctx, result, attempts);
  const { tries } = ctx.options;
  return new LockNotAcquiredError(`lock not acquired: the waits ${String(tries)} tries allow ran out, queued behind this process's other waiters`, attempts, []);
}

/** The state of one waiting `acquire()` across its attempts. */
export interface Waiting {
  readonly call: Call;
  /** The call's value (a fresh one after an attempt a node did not answer), and what lands late for it. */
  own: ValueOwner;
  readonly turn: Turn | undefined;
  readonly patience: Patience;
  /** Until when the holder's key lives, by the last reading (for polling without a wait line). */
  holderUntil: number;
  attempts: number;
  /** The attempt at the end of the patience was made. */
  lastTry: boolean;
}

/** A fresh value from the context's `genValue`. @throws TypeError when it is not a non-empty string */
export function newValue(ctx: LockContext): string {
  const value: unknown = ctx.options.genValue();
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`genValue must return a non-empty string, got ${describeValue(value)}`);
  }
  return value;
}
