import { LockLostError, LockReleaseError } from './errors.js';
import { extendRound, isWon, releaseRound, type LockContext } from './lock-ops.js';

/**
 * A held lock: the handle `acquire()` returns. Release it with `release()`, or let
 * `await using` do it. Its value is the capability that proves ownership: keep it out of logs.
 */
export class Lock implements AsyncDisposable {
  readonly #ctx: LockContext;
  readonly #value: string;
  #validUntil: number;
  /** The release round in flight, shared by concurrent callers. */
  #releasing: Promise<boolean> | undefined;
  #released = false;

  /** @internal Built by `Mutex`; use `mutex.acquire()`, `tryAcquire()` or `adopt()`. */
  constructor(ctx: LockContext, value: string, validUntil: number) {
    this.#ctx = ctx;
    this.#value = value;
    this.#validUntil = validUntil;
  }

  /** The lock name (without the prefix). */
  get name(): string {
    return this.#ctx.name;
  }

  /** The Redis key: prefix + name. */
  get key(): string {
    return this.#ctx.key;
  }

  /** The random value that identifies this acquisition. Secret: whoever knows it can release the lock. */
  get value(): string {
    return this.#value;
  }

  /**
   * Until when the lock can be trusted, in epoch ms: `start + ttl - drift`, where `start` was read
   * before the first request of the winning round, on a monotonic clock. Compare it with
   * `performance.timeOrigin + performance.now()`, not `Date.now()`, if the wall clock may step.
   * `0` for an adopted lock until `extend()` confirms it.
   */
  get validUntil(): number {
    return this.#validUntil;
  }

  /** Milliseconds of validity left now (zero or less: do not trust the lock any more). */
  remaining(): number {
    return this.#validUntil - this.#ctx.clock();
  }

  /**
   * Resets the lock's ttl to the full `ttl` on every node that still holds it.
   * @returns the new `validUntil`.
   * @throws LockLostError when a quorum could not confirm the lock in time (it expired, belongs to
   *   someone else, the nodes are unreachable, or it was released).
   */
  async extend(): Promise<number> {
    if (this.#released || this.#releasing !== undefined) throw new LockLostError('lock was released');
    const result = await extendRound(this.#ctx, this.#value);
    if (!isWon(this.#ctx, result)) {
      const { round } = result;
      const why = round.ok >= this.#ctx.quorum ? 'the quorum answered too late' : `${round.ok} of ${this.#ctx.nodes.length} nodes confirmed it`;
      throw new LockLostError(`could not extend lock: ${why}`, round.outcomes);
    }
    this.#validUntil = result.validUntil;
    return result.validUntil;
  }

  /**
   * Deletes the key on every node where it still holds this lock's value.
   * @returns `true` when a quorum deleted it; `false` when on a quorum it had already expired or
   *   belongs to someone else, or when it was already released. Concurrent calls share one round.
   * @throws LockReleaseError when too few nodes answered to tell (the key still expires by its ttl).
   */
  release(): Promise<boolean> {
    if (this.#released) return Promise.resolve(false);
    this.#releasing ??= releaseRound(this.#ctx, this.#value).then((round) => {
      // A failed release may be retried; a finished one short-circuits through #released.
      this.#releasing = undefined;
      if (round.errors > this.#ctx.nodes.length - this.#ctx.quorum) throw new LockReleaseError(round.outcomes);
      this.#released = true;
      this.#validUntil = Math.min(this.#validUntil, round.settledAt);
      return round.ok >= this.#ctx.quorum;
    });
    return this.#releasing;
  }

  /**
   * Releases the lock at the end of an `await using` block. A release that cannot reach the nodes
   * does not replace the block's own outcome: it is reported as a process warning
   * (`REDSYNC_RELEASE_FAILED`) and the key expires by its ttl.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.release();
    } catch (error) {
      process.emitWarning(`lock "${this.name}" could not be released: ${String(error)}`, {
        code: 'REDSYNC_RELEASE_FAILED',
      });
    }
  }
}
