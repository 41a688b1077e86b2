import { Patience, failureOf, newValue, patienceRanOut, readCall, timedOut, type AcquireOptions, type Call, type Waiting } from './acquire-call.js';
import { delay } from './delay.js';
import { RedisConfigError, hasConfigurationProblem } from './errors.js';
import { Lock } from './lock.js';
import { acquireRound, type AttemptKind } from './acquire-round.js';
import { cleanUpRound, isWon, mayHaveLeftKeys, releaseRound, type LockContext, type TimedRound } from './lock-ops.js';
import { fencedAcquireRound } from './fenced-acquire.js';
import { ValueOwner } from './late-writes.js';
import { checkDelay, checkName } from './validate.js';
import { lockChannels, lockSummary, traceContext, traced } from './tracing.js';
import { defaultGenValue } from './options.js';


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
    return lockChannels.acquire.hasSubscribers ? traced(lockChannels.acquire, () => traceContext(this.#ctx, 'acquire'), () => this.#acquire(options), lockSummary) : this.#acquire(options);
  }

  #acquire(options?: AcquireOptions): Promise<Lock> {
    let call: Call;
    let own: ValueOwner;
    try {
      call = readCall(options, 'acquire', this.#ctx);
      call.signal?.throwIfAborted();
      own = new ValueOwner(newValue(this.#ctx));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // The eviction check: nothing to wait for once it passed, or with onEvictingNode 'warn'.
    const admitted = this.#ctx.eviction?.admit();
    return admitted === undefined ? this.#begin(own, call) : admitted.then(() => this.#begin(own, call));
  }

  #begin(own: ValueOwner, call: Call): Promise<Lock> {
    // No barging: while callers of this process wait for this key, a newcomer queues behind them
    // (it would otherwise often beat the waiter that a release just woke).
    if (this.#ctx.options.tries > 1 && this.#ctx.notifier?.queued(this.#ctx.key) === true) return this.#retry(own, call, undefined);
    // The uncontended case is one round: keep it free of extra async frames and promise hops.
    const finish = (first: TimedRound): Lock | Promise<Lock> => this.#lockOrRetry(own, call, first);
    return this.#round(own, finish);
  }

  /** One acquisition attempt, fenced or not; `finish` runs inside the round's resolution. */
  #round(own: ValueOwner, finish?: undefined, kind?: AttemptKind): Promise<TimedRound>;
  #round<T>(own: ValueOwner, finish: (round: TimedRound) => T | PromiseLike<T>): Promise<T>;
  #round<T>(own: ValueOwner, finish?: (round: TimedRound) => T | PromiseLike<T>, kind: AttemptKind = 'first'): Promise<T | TimedRound> {
    if (this.#ctx.options.fencing) {
      const round = fencedAcquireRound(this.#ctx, own.value, own);
      return finish === undefined ? round : round.then(finish);
    }
    return acquireRound<T | TimedRound>(this.#ctx, own.value, finish, kind, own);
  }

  /** A lock won by an attempt, or handed over by a holder of this process (under `own.value`). */
  #grant(own: ValueOwner, call: Call, won: Pick<TimedRound, 'validUntil' | 'fence' | 'start'>): Lock {
    return new Lock(this.#ctx, own.value, won.validUntil, won.fence, call.autoExtend, won.start, own);
  }

  #lockOrRetry(own: ValueOwner, call: Call, first: TimedRound): Lock | Promise<Lock> {
    if (isWon(this.#ctx, first) && call.signal?.aborted !== true) return this.#grant(own, call, first);
    return this.#retry(own, call, first);
  }

  /**
   * Cleans up after a lost attempt, then keeps trying. Between attempts it waits in this
   * process's wait line for the key (see wait-line.ts): only the line's head attempts, when a
   * release is heard or the holder's key should have expired; the others wait for it to win and
   * hand on. It gives up once the waits `tries` allows have passed (see `Patience`), however many
   * attempts the releases it heard led to. Without release notifications (or with `tries: 1`) it
   * polls at the retry delay and gives up after `tries` attempts.
   */
  async #retry(own: ValueOwner, call: Call, first: TimedRound | undefined): Promise<Lock> {
    const { tries } = this.#ctx.options;
    const { signal } = call;
    // Joining before the clean-up round lets the subscription be confirmed while it runs.
    const turn = tries > 1 ? this.#ctx.notifier?.join(this.#ctx.key) : undefined;
    const patience = new Patience(tries, this.#ctx.options.retryDelay, this.#ctx.clock());
    const waiting: Waiting = { call, own, turn, patience, holderUntil: Number.NEGATIVE_INFINITY, attempts: first === undefined ? 0 : 1, lastTry: false };
    try {
      let result = first;
      if (result !== undefined) await this.#afterLoss(waiting, result);
      for (;;) {
        const woke = await this.#wait(waiting, result);
        if (woke instanceof Lock) return woke;
        if (woke === 'look') continue;
        if (this.#ctx.clock() >= call.deadline) throw timedOut(this.#ctx, call, result, waiting.attempts);
        waiting.attempts += 1;
        result = await this.#round(waiting.own, undefined, 'retry');
        if (isWon(this.#ctx, result) && !signal?.aborted) {
          turn?.won(result.validUntil);
          return this.#grant(waiting.own, call, result);
        }
        await this.#afterLoss(waiting, result);
      }
    } catch (error) {
      waiting.own.retire(); // given up: what lands late for this value is deleted
      throw error;
    } finally {
      turn?.leave();
    }
  }

  /**
   * After a lost attempt: cleans up what it may have left, and tells the wait line what it saw.
   * @throws the give-up error when the tries ran out, `signal.reason`, or RedisConfigError.
   */
  async #afterLoss(waiting: Waiting, result: TimedRound): Promise<void> {
    if (mayHaveLeftKeys(this.#ctx, result)) {
      waiting.own.sweep();
      await cleanUpRound(this.#ctx, waiting.own.value);
    }
    // A node that did not answer may still run this attempt's commands, or its clean-up, later
    // (a client replays what it queued across a failover, on another connection than the next
    // attempt's): under the same value, a late clean-up would delete the lock the next attempt
    // wins. The next attempt takes a fresh value; what lands late for this one is reaped.
    if (result.round.errors > 0) {
      waiting.own.retire();
      waiting.own = new ValueOwner(newValue(this.#ctx));
    }
    waiting.call.signal?.throwIfAborted();
    if (hasConfigurationProblem(result.round.outcomes)) throw new RedisConfigError(result.round.outcomes);
    // In a wait line, attempts follow events (a release heard, the holder's expiry), so their
    // number says little: there the patience bounds the wait (see `#wait`). Polling, they count.
    if (waiting.turn === undefined && waiting.attempts >= this.#ctx.options.tries) throw failureOf(this.#ctx, result, waiting.attempts);
    waiting.turn?.lost(result, this.#ctx.clock());
  }

  /**
   * Waits for this waiter's next attempt: resolves with `'attempt'`, with `'look'` (no attempt:
   * check the deadlines and wait again), or with a lock a holder of this process handed over.
   * @throws the give-up error when the call's timeout or patience ran out.
   */
  async #wait(waiting: Waiting, result: TimedRound | undefined): Promise<'attempt' | 'look' | Lock> {
    const { call, turn, patience } = waiting;
    const { clock, options } = this.#ctx;
    const now = clock();
    if (now >= call.deadline) throw timedOut(this.#ctx, call, result, waiting.attempts);
    const poll = checkDelay('retryDelay(attempt)', options.retryDelay(Math.max(1, waiting.attempts)));
    if (turn === undefined) {
      if (result?.holderTtl !== undefined && Number.isFinite(result.holderTtl)) waiting.holderUntil = now + result.holderTtl;
      const holderLeft = waiting.holderUntil > now ? waiting.holderUntil - now + 1 : Number.POSITIVE_INFINITY;
      await delay(Math.min(poll, holderLeft, call.deadline - now), call.signal);
      return 'attempt';
    }
    if (patience.over(now)) {
      // A poller's last try comes at the end of its last delay: so does ours, then it gives up.
      if (waiting.lastTry) throw patienceRanOut(this.#ctx, result ?? turn.lastLost, waiting.attempts);
      waiting.lastTry = true;
      return 'attempt';
    }
    // Fenced locks are never handed over: each grant must draw its token in an attempt.
    const offer = options.fencing ? undefined : { ctx: this.#ctx, value: waiting.own.value };
    const until = Math.min(call.deadline, patience.until(now));
    const woke = await turn.wait({ clock, poll, until, signal: call.signal, offer });
    if (typeof woke === 'string') return woke;
    // A holder of this process handed the lock over (see handoff.ts): it is ours already, under
    // our value or, when it was passed on as it was, under the holder's.
    turn.won(woke.validUntil);
    // Passed on as it was, the lock keeps the holder's value (and its owner): ours is done with.
    const held = woke.owner ?? waiting.own;
    if (held !== waiting.own) waiting.own.retire();
    if (!call.signal?.aborted) return this.#grant(held, call, woke);
    held.sweep();
    await releaseRound(this.#ctx, woke.value);
    held.retire();
    call.signal.throwIfAborted();
    return 'look';
  }

  /**
   * Makes one attempt.
   * @returns the lock, or `null` when someone else holds it.
   * @throws LockNotAcquiredError when the attempt failed for another reason: too many nodes failed
   *   to answer, or the quorum came too late to leave any validity.
   * @throws `signal.reason` when `signal` aborts.
   * @throws EvictingNodeError when a node can evict keys and `onEvictingNode` is `'throw'`.
   */
  tryAcquire(options?: AcquireOptions): Promise<Lock | null> {
    return lockChannels.tryAcquire.hasSubscribers ? traced(lockChannels.tryAcquire, () => traceContext(this.#ctx, 'tryAcquire'), () => this.#tryAcquire(options), lockSummary) : this.#tryAcquire(options);
  }

  async #tryAcquire(options?: AcquireOptions): Promise<Lock | null> {
    const call = readCall(options, 'tryAcquire', this.#ctx);
    call.signal?.throwIfAborted();
    const own = new ValueOwner(newValue(this.#ctx));
    const admitted = this.#ctx.eviction?.admit();
    if (admitted !== undefined) await admitted;
    const result = await this.#attempt(own, call);
    if (result instanceof Lock) return result;
    own.retire(); // no lock: what lands late for this value is deleted
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
  async #attempt(own: ValueOwner, call: Call): Promise<Lock | TimedRound> {
    // A value of our own making is fresh: nothing to reclaim, and nobody will wait for a release.
    const result = await this.#round(own, undefined, this.#ctx.options.genValue === defaultGenValue ? 'probe' : 'first');
    if (isWon(this.#ctx, result) && call.signal?.aborted !== true) return this.#grant(own, call, result);
    if (mayHaveLeftKeys(this.#ctx, result)) {
      own.sweep();
      await cleanUpRound(this.#ctx, own.value);
    }
    if (call.signal?.aborted === true) own.retire();
    call.signal?.throwIfAborted();
    return result;
  }
}
