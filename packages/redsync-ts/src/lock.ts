import { LockLostError, LockReleasedError } from './errors.js';
import { Lease, type LeaseOwner } from './lease.js';
import { LockEnding } from './lock-ending.js';
import { leaseKeeper, quiesce } from './lease-keeper.js';
import { handOff, passOn, reserveWaiter } from './handoff.js';
import type { ValueOwner } from './late-writes.js';
import { extendFailure, extendRound, isWon, releaseRound, throwIfUndecided, type LockContext } from './lock-ops.js';
import { defaultGenValue } from './options.js';
import { lockChannels, lostChannel, traceContext, traced } from './tracing.js';
import type { QuorumRound } from './quorum.js';

/**
 * A held lock: the handle `acquire()` returns. Release it with `release()`, or let
 * `await using` do it. Its value is the capability that proves ownership: keep it out of logs.
 */
export class Lock implements AsyncDisposable, LeaseOwner {
  readonly #ctx: LockContext;
  readonly #value: string;
  readonly #fence: number | undefined;
  #validUntil: number;
  /** The release round in flight, shared by concurrent callers. */
  #releasing: Promise<boolean> | undefined;
  #released = false;
  #lost: LockLostError | undefined;
  /** Its `signal` and loss callbacks. */
  readonly #ending = new LockEnding();
  #lease: Lease | undefined;
  /** An explicit `extend()` round in flight: a release waits for it (see `quiesce`). */
  #extending: Promise<unknown> | undefined;
  /**
   * The value may be known outside the library, so it is never passed on (see `release()`): it was
   * read, adopted from elsewhere, or made by a user's `genValue` (which may have kept a copy).
   */
  #exposed: boolean;
  /** Hears of this value's writes that land late (late-writes.ts); none for an adopted lock. */
  readonly #owner: ValueOwner | undefined;

  /**
   * @internal Built by `Mutex`; use `mutex.acquire()`, `tryAcquire()` or `adopt()`. Positional
   * arguments rather than an options object: one is built per acquisition.
   * @param fence the fencing token, when the mutex hands them out
   * @param autoExtend renew it until release, loss or `maxHold`
   * @param acquiredAt clock reading when the winning attempt started (for `maxHold`)
   * @param owner the value's owner, retired when the hold ends
   */
  constructor(ctx: LockContext, value: string, validUntil: number, fence?: number, autoExtend = false, acquiredAt?: number, owner?: ValueOwner) {
    this.#ctx = ctx;
    this.#owner = owner;
    this.#value = value;
    this.#validUntil = validUntil;
    this.#fence = fence;
    this.#exposed = ctx.options.genValue !== defaultGenValue;
    if (autoExtend) this.#watch(true, acquiredAt ?? ctx.clock());
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
   * The random value that identifies this acquisition. Secret: whoever knows it can release the
   * lock. A lock whose value was never read may be passed on, value and all, to a waiter of this
   * process when it is released (see `release()`); once read, it never is, so that a copy kept
   * elsewhere cannot act on the next holder's lock.
   */
  get value(): string {
    this.#exposed = true;
    return this.#value;
  }

  /**
   * The fencing token (mutex option `fencing`): strictly greater than that of every earlier grant
   * of this name. Send it with every write to the protected resource, and have the resource reject
   * writes with a lower token than one it has seen (see `fencedSet`). Undefined without fencing.
   */
  get fence(): number | undefined {
    return this.#fence;
  }

  /**
   * Until when the lock can be trusted, in epoch ms: `start + ttl - drift`, where `start` was read
   * before the first request of the winning round, on a monotonic clock. Compare it with
   * `performance.timeOrigin + performance.now()`, not `Date.now()`, if the wall clock may step.
   * `0` for an adopted lock until `extend()` confirms it, and once released.
   */
  get validUntil(): number {
    // A renewing lock's cohort holds the validity its last renewal confirmed for every member.
    const cohort = this.#lease?.cohort;
    return cohort === undefined ? this.#validUntil : Math.max(this.#validUntil, cohort.validUntil);
  }

  /** @internal True once the hold is over (released, being released, or lost): see `ScriptCall.holder`. */
  get over(): boolean {
    return this.#released || this.#releasing !== undefined || this.#lost !== undefined;
  }

  /** Milliseconds of validity left now (zero or less: do not trust the lock any more). */
  remaining(): number {
    return this.validUntil - this.#ctx.clock();
  }

  /**
   * Aborts the moment the lock stops being yours, with a {@link LockLostError} as its reason
   * (`expired`: the validity deadline passed without a confirmed renewal, found by a timer;
   * `renewal-failed`; `max-hold`; `extend-failed`), or with a {@link LockReleasedError} once
   * `release()` is called. Pass it to fetch, database drivers and child processes. Reading it
   * also checks the clock, so after the process was paused past the validity (a GC pause, SIGSTOP,
   * a blocked event loop) it is already aborted before any timer had the chance to run.
   */
  get signal(): AbortSignal {
    if (!this.#ending.made) this.#ending.signal(this.#lost ?? (this.#released || this.#releasing !== undefined ? new LockReleasedError() : undefined));
    const signal = this.#ending.signal();
    if (!signal.aborted && this.#releasing === undefined) this.#watchEnd();
    return signal;
  }

  /**
   * @internal Calls `onLoss` (which must not throw) when the lock is lost, as `signal` would
   * abort, until the returned function is called. For a layer that has a signal of its own to
   * abort: reading `signal` costs a controller, and at the release an error with its stack and an
   * abort event. A cache fill with an instant loader went 312/313 -> 282/292 µs of CPU (one
   * process, A/B interleaved).
   */
  watchLoss(onLoss: (error: LockLostError) => void): () => void {
    if (this.over) {
      if (this.#lost !== undefined) onLoss(this.#lost);
      return () => undefined;
    }
    const stop = this.#ending.watch(onLoss);
    this.#watchEnd();
    return stop;
  }

  /**
   * A watched lock that does not renew needs a timer on its validity; and no timer fires while the
   * process is stopped or its loop blocked, so the clock is read: after a pause the truth is known.
   */
  #watchEnd(): void {
    if (this.#lease === undefined) this.#watch(false, 0);
    if (this.remaining() <= 0) this.#loseNow(new LockLostError('the lock validity ran out', 'expired'));
  }

  /** Lost, found here rather than by the lease keeper: its watch stops too. */
  #loseNow(error: LockLostError): void {
    const lease = this.#lease;
    if (lease !== undefined) void leaseKeeper.forget(lease);
    this.lost(error);
  }

  /**
   * Resets the lock's ttl to the full `ttl` on every node that still holds it.
   * @returns the new `validUntil`.
   * @throws LockLostError when a quorum could not confirm the lock in time (it expired, belongs to
   *   someone else, the nodes are unreachable, or it was released). A lock once lost stays lost:
   *   extend never revives it.
   */
  extend(): Promise<number> {
    return lockChannels.extend.hasSubscribers ? traced(lockChannels.extend, () => traceContext(this.#ctx, 'extend'), () => this.#extend(), (validUntil) => ({ validUntil })) : this.#extend();
  }

  async #extend(): Promise<number> {
    if (this.#lost !== undefined) throw this.#lost;
    if (this.#released || this.#releasing !== undefined) throw new LockLostError('lock was released', 'extend-failed');
    const extending = extendRound(this.#ctx, this.#value, this);
    this.#extending = extending;
    const result = await extending.finally(() => {
      if (this.#extending === extending) this.#extending = undefined;
    });
    if (!isWon(this.#ctx, result)) {
      // When a quorum denies the lock, it is lost for good.
      const { error, lost } = extendFailure(this.#ctx, result.round);
      if (lost) this.#loseNow(error);
      throw error;
    }
    this.#validUntil = result.validUntil;
    if (this.#lease !== undefined) leaseKeeper.update(this.#lease);
    return result.validUntil;
  }

  /**
   * Deletes the key on every node where it still holds this lock's value, after stopping its
   * renewal and waiting for a renewal in flight; or, when a caller of this process waits for the
   * same key, hands the lock over to it. A young lock (at least `1 - autoExtendFactor` of the
   * waiter's ttl left, and a value nobody read) is passed on as it is, with no round trip: the
   * waiter holds the same key and value for the validity that is left. An older one is transferred
   * in one round trip, under the waiter's value and ttl. `signal` aborts with a `LockReleasedError`.
   * @returns `true` when the lock left a quorum (deleted or handed over); `false` when on a quorum
   *   it had already expired or belongs to someone else, or when it was already released.
   *   Concurrent calls share one round.
   * @throws LockReleaseError when too few nodes answered to tell (the key still expires by its ttl).
   */
  release(): Promise<boolean> {
    return lockChannels.release.hasSubscribers ? traced(lockChannels.release, () => traceContext(this.#ctx, 'release'), () => this.#release(), (released) => ({ released })) : this.#release();
  }

  #release(): Promise<boolean> {
    if (this.#released) return Promise.resolve(false);
    if (this.#releasing === undefined) {
      if (this.#lost === undefined) this.#ending.released();
      const lease = this.#lease;
      this.#validUntil = this.validUntil; // keep what the cohort confirmed before leaving it
      this.#lease = undefined;
      const ctx = this.#ctx;
      const reservation = this.#lost === undefined ? reserveWaiter(ctx) : undefined;
      const handover = reservation === undefined ? 'none' : passOn(reservation, this.#value, this.#validUntil, this.#exposed, ctx.clock(), this.#owner);
      if (handover === 'passed') {
        // A renewal in flight only extends the value the next holder now has: not waited for.
        if (lease !== undefined) void leaseKeeper.forget(lease);
        return Promise.resolve(this.#markReleased(true));
      }
      this.#owner?.sweep();
      const quiet = quiesce(lease, this.#extending);
      if (handover === 'transfer' && reservation !== undefined) {
        const handing = quiet === undefined ? handOff(ctx, this.#value, reservation) : quiet.then(() => handOff(ctx, this.#value, reservation));
        // Only once the transfer settled: a reap of late writes racing it would take its votes away.
        this.#releasing = handing.finally(() => this.#owner?.retire()).then(
          (released) => this.#markReleased(released),
          (error: unknown) => {
            this.#releasing = undefined;
            throw error;
          },
        );
      } else {
        // No waiter, or it went away while being handed the lock.
        const after = (round: QuorumRound): boolean => this.#afterRelease(round);
        this.#releasing = quiet === undefined ? releaseRound(ctx, this.#value, after) : quiet.then(() => releaseRound(ctx, this.#value, after));
      }
    }
    return this.#releasing;
  }

  /**
   * Releases the lock at the end of an `await using` block: stops renewal, waits for a renewal in
   * flight, then releases. A release that cannot reach the nodes does not replace the block's own
   * outcome: it is reported as a process warning (`REDSYNC_RELEASE_FAILED`) and the key expires
   * by its ttl.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.release();
    } catch (error) {
      process.emitWarning(`lock "${this.name}" could not be released: ${String(error)}`, { code: 'REDSYNC_RELEASE_FAILED' });
    }
  }

  /**
   * @internal The value came from outside (`Mutex.adopt`): whoever gave it may still act on it
   * (a go-redsync holder releasing with it), so the lock is only ever transferred to a new value.
   */
  markExposed(): this {
    this.#exposed = true;
    return this;
  }

  /** @internal The lease keeper confirmed a renewal. */
  renewed(validUntil: number): void {
    this.#validUntil = Math.max(this.#validUntil, validUntil);
  }

  /** @internal The lease keeper (or a failed extend) found the lock lost. Never throws. */
  lost(error: LockLostError): void {
    if (this.#lost !== undefined || this.#released) return;
    this.#lost = error;
    this.#owner?.retire();
    if (lostChannel.hasSubscribers) lostChannel.publish({ name: this.#ctx.name, reason: error.reason });
    this.#validUntil = this.validUntil; // keep what the cohort last confirmed: validUntil never goes back
    this.#lease = undefined;
    this.#ending.lost(error);
  }

  #afterRelease(round: QuorumRound): boolean {
    this.#releasing = undefined;
    this.#owner?.retire(); // only now: a reap racing the release round would take its votes away
    throwIfUndecided(this.#ctx, round);
    const released = this.#markReleased(round.ok >= this.#ctx.quorum);
    this.#ctx.notifier?.released(this.#ctx.key, this.#value);
    return released;
  }

  /** The lock left the nodes (deleted or handed over): nothing left to trust. */
  #markReleased(released: boolean): boolean {
    this.#releasing = undefined;
    this.#released = true;
    this.#validUntil = 0;
    return released;
  }

  /** Hands the lock to the lease keeper: renewal with `autoExtend`, else just the validity deadline. */
  #watch(autoExtend: boolean, acquiredAt: number): void {
    const holdUntil = autoExtend ? acquiredAt + this.#ctx.options.maxHold : Number.POSITIVE_INFINITY;
    this.#lease = new Lease(this, this.#ctx, this.#value);
    leaseKeeper.keep(this.#lease, autoExtend, holdUntil);
  }
}
