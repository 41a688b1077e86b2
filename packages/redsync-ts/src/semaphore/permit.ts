import { LockLostError, LockReleasedError, LockReleaseError, RedisConfigError, hasConfigurationProblem } from '../errors.js';
import type { QuorumRound } from '../quorum.js';
import type { Clock } from '../validity.js';
import { PermitRenewal, type Renewable } from './permit-renewal.js';

/** @internal How a permit (or a read or write hold) is renewed and given back on its nodes. */
export interface LeaseOps {
  readonly name: string;
  readonly clock: Clock;
  readonly nodeCount: number;
  /** Nodes that must confirm an extend or a release. */
  readonly votes: number;
  extend(id: string): Promise<{ round: QuorumRound; validUntil: number }>;
  release(id: string): Promise<QuorumRound>;
  /** Renew every `renewEvery` ms until released or lost (option `autoExtend`); 0: never. */
  readonly renewEvery: number;
}

/**
 * A held permit of a semaphore, or a read or write hold of a read-write lock: valid until
 * `validUntil` unless extended, given back with `release()` (or `await using`). Its `signal`
 * aborts the moment it stops being valid.
 */
export class Permit implements AsyncDisposable, Renewable {
  readonly #sem: LeaseOps;
  readonly #id: string;
  readonly #fence: number;
  #validUntil: number;
  #ended: Error | undefined;
  #released = false;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #renewal: PermitRenewal | undefined;

  /** @internal Made by the semaphore, read-write, multi and fair locks. */
  constructor(sem: LeaseOps, id: string, validUntil: number, fence: number) {
    this.#sem = sem;
    this.#id = id;
    this.#validUntil = validUntil;
    this.#fence = fence;
    if (sem.renewEvery > 0) this.#renewal = new PermitRenewal(this, sem.renewEvery);
  }

  /** The semaphore's (or read-write lock's) name. */
  get name(): string {
    return this.#sem.name;
  }

  /**
   * The highest grant counter among the nodes that admitted this permit. On one node, and in mode
   * `'all'` (every grant touches every node), it is above the token of every grant that ended
   * before this one began: a resource can refuse a holder older than one it already saw leave
   * (it orders grants; several permits are valid at once, so it excludes nobody). In mode
   * `'quorum'` two grants may touch different nodes, so it is only a hint that can repeat.
   */
  get fence(): number {
    return this.#fence;
  }

  /** Until when (on `performance.timeOrigin + performance.now()`) the permit is surely held. */
  get validUntil(): number {
    return this.#validUntil;
  }

  /** Milliseconds of validity left now (zero or less: it is no longer yours). */
  remaining(): number {
    return this.#validUntil - this.#sem.clock();
  }

  /**
   * Aborts when the permit stops being yours: a `LockLostError` once its validity ran out or an
   * extend failed, a `LockReleasedError` once `release()` is called. Reading it checks the clock.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#ended !== undefined) this.#controller.abort(this.#ended);
      else this.#arm();
    }
    if (this.#ended === undefined && this.remaining() <= 0) this.#end(new LockLostError('the permit validity ran out', 'expired'));
    return this.#controller.signal;
  }

  /**
   * Renews the permit for a full ttl on every node that still holds it valid.
   * @returns the new `validUntil`.
   * @throws LockLostError when too few nodes confirmed it (expired, released, unreachable); a
   *   lost permit stays lost.
   */
  async extend(): Promise<number> {
    if (this.#ended !== undefined) throw this.#ended instanceof LockLostError ? this.#ended : new LockLostError('the permit was released', 'extend-failed');
    const { round, validUntil } = await this.#sem.extend(this.#id);
    if (round.ok >= this.#sem.votes && validUntil > round.settledAt) {
      this.#validUntil = validUntil;
      if (this.#controller !== undefined) this.#arm();
      return validUntil;
    }
    const error = new LockLostError(`could not extend the permit: ${round.ok} of ${this.#sem.nodeCount} nodes confirmed it`, 'extend-failed', round.outcomes);
    this.#end(error);
    throw error;
  }

  /**
   * @internal One renewal of `autoExtend`: a round that confirmed it renews it; one that every
   * node answered without a majority confirming it, or that leaves no validity, loses it; one
   * that some nodes failed to answer is tried again (see permit-renewal.ts).
   */
  async renewOnce(): Promise<'renewed' | 'lost' | 'retry'> {
    if (this.#ended !== undefined) return 'lost';
    const { round, validUntil } = await this.#sem.extend(this.#id);
    // Released or lost while the round ran (narrowing does not see that across the await).
    if ((this.#ended as Error | undefined) !== undefined) return 'lost';
    if (round.ok >= this.#sem.votes && validUntil > round.settledAt) {
      this.#validUntil = validUntil;
      if (this.#controller !== undefined) this.#arm();
      return 'renewed';
    }
    if (round.errors > 0 && this.remaining() > 0) return 'retry';
    this.#end(new LockLostError(`a renewal found the permit confirmed on ${String(round.ok)} of ${String(this.#sem.nodeCount)} nodes`, 'renewal-failed', round.outcomes));
    return 'lost';
  }

  /**
   * Gives the permit back on every node, waking waiters. Idempotent.
   * @returns true when enough nodes still held it (false: it had expired).
   * @throws LockReleaseError (or RedisConfigError) when too few nodes answered to tell.
   */
  async release(): Promise<boolean> {
    if (this.#released) return false;
    this.#released = true;
    const wasLost = this.#ended !== undefined;
    this.#end(new LockReleasedError());
    const round = await this.#sem.release(this.#id);
    const n = this.#sem.nodeCount;
    if (round.errors > n - this.#sem.votes) throw hasConfigurationProblem(round.outcomes) ? new RedisConfigError(round.outcomes) : new LockReleaseError(round.outcomes);
    return !wasLost && round.ok >= this.#sem.votes;
  }

  /** `release()`, for `await using`; a failure to release is left to the ttl. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release().catch(() => undefined);
  }

  /** A timer that aborts the signal when the validity runs out (unref'd: it keeps nothing alive). */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (this.#ended === undefined && this.remaining() <= 0) this.#end(new LockLostError('the permit validity ran out', 'expired'));
      else if (this.#ended === undefined) this.#arm();
    }, Math.max(0, Math.ceil(this.remaining())));
    this.#timer.unref();
  }

  /** The first reason wins: a permit lost, then released, stays lost. */
  #end(reason: Error): void {
    this.#ended ??= reason;
    this.#renewal?.stop();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#controller !== undefined && !this.#controller.signal.aborted) this.#controller.abort(this.#ended);
  }
}
