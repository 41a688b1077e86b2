import { failureOf, readCall, timedOut, type AcquireOptions, type Call } from './acquire-call.js';
import { delay } from './delay.js';
import { RedisConfigError, hasConfigurationProblem } from './errors.js';
import { Lock } from './lock.js';
import { acquireRound } from './acquire-round.js';
import { cleanUpRound, isWon, releaseRound, type LockContext, type TimedRound } from './lock-ops.js';
import { fencedAcquireRound } from './fenced-acquire.js';
import type { HandedLock } from './wait-line.js';
import { checkDelay, checkName, describeValue } from './validate.js';


/**
 * A named lock over the nodes of a `Redsync`. Cheap to create; holds no state between calls, so
 * one mutex can hand out many successive locks (and concurrent calls compete like separate
 * processes would).
 */
export class Mutex {
  readonly #ctx: LockContext;

  /** @internal Built by `Redsync.mutex()`. */
  constructor(ctx: LockContext) {
    this.#ctx = ctx;
  }

  /** The lock name (without the prefix). */
  get name(): string {
    return this.#ctx.name;
  }

  /** The Redis key: prefix + name. */
  get key(): string {
    return this.#ctx.key;
  }

  /**
   * Takes the lock, retrying up to `tries` times with `retryDelay` between attempts. After every
   * failed attempt the key is deleted on all nodes, so nothing of ours is left behind.
   * @throws LockTakenError when the last attempt found the lock held by someone else on a quorum.
   * @throws LockNotAcquiredError when the tries ran out otherwise (nodes down, split votes, no validity left).
   * @throws `signal.reason` when `signal` aborts.
   * @throws EvictingNodeError when a node can evict keys and `onEvictingNode` is `'throw'`.
   * @throws TypeError for invalid options, or when `genValue` returns something other than a non-empty string.
   */
  acquire(options?: AcquireOptions): Promise<Lock> {
    let call: Call;
    let value: string;
    try {
      call = readCall(options, 'acquire', this.#ctx);
      call.signal?.throwIfAborted();
      value = this.#newValue();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // The eviction check: nothing to wait for once it passed, or with onEvictingNode 'warn'.
    const admitted = this.#ctx.eviction?.admit();
    return admitted === undefined ? this.#begin(value, call) : admitted.then(() => this.#begin(value, call));
  }

  #begin(value: string, call: Call): Promise<Lock> {
    // No barging: while callers of this process wait for this key, a newcomer queues behind them
    // (it would otherwise often beat the waiter that a release just woke).
    if (this.#ctx.options.tries > 1 && this.#ctx.notifier?.queued(this.#ctx.key) === true) return this.#retry(value, call, undefined);
    // The uncontended case is one round: keep it free of extra async frames and promise hops.
    const finish = (first: TimedRound): Lock | Promise<Lock> => this.#lockOrRetry(value, call, first);
    return this.#round(value, finish);
  }

  /** One acquisition attempt, fenced or not; `finish` runs inside the round's resolution. */
  #round(value: string, finish?: undefined, retry?: boolean): Promise<TimedRound>;
  #round<T>(value: string, finish: (round: TimedRound) => T | PromiseLike<T>): Promise<T>;
  #round<T>(value: string, finish?: (round: TimedRound) => T | PromiseLike<T>, retry = false): Promise<T | TimedRound> {
    if (this.#ctx.options.fencing) {
      const round = fencedAcquireRound(this.#ctx, value);
      return finish === undefined ? round : round.then(finish);
    }
    return acquireRound<T | TimedRound>(this.#ctx, value, finish, retry);
  }

  /** A lock won by an attempt, or handed over by a holder of this process (under `value`). */
  #grant(value: string, call: Call, won: Pick<TimedRound, 'validUntil' | 'fence' | 'start'>): Lock {
    return new Lock(this.#ctx, value, won.validUntil, won.fence, call.autoExtend, won.start);
  }

  #lockOrRetry(value: string, call: Call, first: TimedRound): Lock | Promise<Lock> {
    if (isWon(this.#ctx, first) && call.signal?.aborted !== true) return this.#grant(value, call, first);
    return this.#retry(value, call, first);
  }

  /**
   * Cleans up after a lost attempt, then keeps trying until `tries` attempts were made. Between
   * attempts it waits for a release notification, at most the retry delay and at most the time
   * the holder's key has left (plus 1 ms, so that it has expired when we look).
   */
  async #retry(value: string, call: Call, first: TimedRound | undefined): Promise<Lock> {
    const { tries, retryDelay } = this.#ctx.options;
    const { signal } = call;
    // Joining before the clean-up round lets the subscription be confirmed while it runs.
    const turn = this.#ctx.notifier?.join(this.#ctx.key);
    // Fenced locks are never handed over: each grant must draw its token in an attempt.
    const offer = this.#ctx.options.fencing ? undefined : { ctx: this.#ctx, value };
    const { clock } = this.#ctx;
    // Until when the holder's key lives, by the last reading.
    let holderUntil = Number.NEGATIVE_INFINITY;
    try {
      // Without a first result the caller queued behind this process's waiters: it waits first.
      let result = first;
      for (let attempt = first === undefined ? 0 : 1; ; attempt++) {
        if (result !== undefined) {
          if (mayHaveLeftKeys(this.#ctx, result)) await cleanUpRound(this.#ctx, value);
          signal?.throwIfAborted();
          if (hasConfigurationProblem(result.round.outcomes)) throw new RedisConfigError(result.round.outcomes);
          if (attempt >= tries) throw failureOf(this.#ctx, result, attempt);
        }
        const now = clock();
        if (now >= call.deadline) throw timedOut(this.#ctx, call, result, attempt);
        if (result?.holderTtl !== undefined && Number.isFinite(result.holderTtl)) holderUntil = now + result.holderTtl;
        const holderLeft = holderUntil > now ? holderUntil - now + 1 : Number.POSITIVE_INFINITY;
        const pause = Math.min(checkDelay('retryDelay(attempt)', retryDelay(Math.max(1, attempt))), holderLeft, call.deadline - now);
        let handed: HandedLock | undefined;
        if (turn === undefined) await delay(pause, signal);
        else handed = await turn.wait(pause, signal, offer);
        if (handed !== undefined) {
          // A holder of this process handed the lock over (see handoff.ts): it is ours already,
          // under our value or, when it was passed on as it was, under the holder's.
          turn?.won();
          if (!signal?.aborted) return this.#grant(handed.value, call, handed);
          await releaseRound(this.#ctx, handed.value);
          signal.throwIfAborted();
        }
        if (clock() >= call.deadline) throw timedOut(this.#ctx, call, result, attempt);
        result = await this.#round(value, undefined, true);
        if (isWon(this.#ctx, result) && !signal?.aborted) {
          turn?.won();
          return this.#grant(value, call, result);
        }
      }
    } finally {
      turn?.leave();
    }
  }

  /**
   * Makes one attempt.
   * @returns the lock, or `null` when someone else holds it.
   * @throws LockNotAcquiredError when the attempt failed for another reason: too many nodes failed
   *   to answer, or the quorum came too late to leave any validity.
   * @throws `signal.reason` when `signal` aborts.
   * @throws EvictingNodeError when a node can evict keys and `onEvictingNode` is `'throw'`.
   */
  async tryAcquire(options?: AcquireOptions): Promise<Lock | null> {
    const call = readCall(options, 'tryAcquire', this.#ctx);
    call.signal?.throwIfAborted();
    const value = this.#newValue();
    const admitted = this.#ctx.eviction?.admit();
    if (admitted !== undefined) await admitted;
    const result = await this.#attempt(value, call);
    if (result instanceof Lock) return result;
    const { round } = result;
    if (hasConfigurationProblem(round.outcomes)) throw new RedisConfigError(round.outcomes);
    const contended = round.taken > 0 && round.errors <= this.#ctx.nodes.length - this.#ctx.quorum;
    if (contended && round.ok < this.#ctx.quorum) return null;
    throw failureOf(this.#ctx, result, 1);
  }

  /**
   * A handle on a lock that was acquired elsewhere (another process, a previous run), given its
   * value: it can `extend()` and `release()` like the original (go-redsync's `WithValue`). Its
   * `validUntil` is 0 until `extend()` confirms it. No I/O. Its value is known elsewhere, so
   * `release()` never passes it on as it is to a waiter of this process: it transfers it to the
   * waiter's own value, or releases it.
   * @throws TypeError or RangeError when `value` is not a non-empty string.
   */
  adopt(value: string): Lock {
    return new Lock(this.#ctx, checkName('value', value, false), 0).markExposed();
  }

  /** One attempt; on failure the key is cleaned up on every node before this returns. */
  async #attempt(value: string, call: Call): Promise<Lock | TimedRound> {
    const result = await this.#round(value);
    if (isWon(this.#ctx, result) && call.signal?.aborted !== true) return this.#grant(value, call, result);
    if (mayHaveLeftKeys(this.#ctx, result)) await cleanUpRound(this.#ctx, value);
    call.signal?.throwIfAborted();
    return result;
  }

  #newValue(): string {
    const value: unknown = this.#ctx.options.genValue();
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError(`genValue must return a non-empty string, got ${describeValue(value)}`);
    }
    return value;
  }
}

/**
 * False when every node answered that another value holds the key: then the attempt set nothing
 * anywhere, and the clean-up round (one round trip per node, on every loser of a hot key) can be
 * skipped. Any vote for us, error, timeout or missing answer (a command that may still land)
 * needs it.
 */
function mayHaveLeftKeys(ctx: LockContext, result: TimedRound): boolean {
  // Counting answers, not outcomes: a round that settled early has nodes that never answered.
  return result.round.taken < ctx.nodes.length;
}
