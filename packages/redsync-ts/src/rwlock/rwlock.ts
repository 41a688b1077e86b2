import { randomBytes } from 'node:crypto';
import { awaitPermit, settleAttempt, type FailedAttempt } from '../semaphore/await-permit.js';
import type { PermitWaitOptions } from '../semaphore/options.js';
import { Permit } from '../semaphore/permit.js';
import type { PermitLine } from '../semaphore/permit-line.js';
import { attemptRound, releaseRound, type RwContext, type RwSide } from './rounds.js';

/**
 * A read-write lock: many readers or one writer, on the Redsync's nodes (a majority must admit a
 * hold). Writer-preferring: a waiting writer blocks new readers, so readers cannot starve it.
 * Every hold is a lease on the servers' clocks (a dead reader's or writer's hold ends with its
 * ttl). Made by `rs.rwlock(name)`; see docs/primitives.md.
 */
export class ReadWriteLock {
  readonly #reader: LockSide;
  readonly #writer: LockSide;

  /** @internal Use `rs.rwlock()`. */
  constructor(rw: RwContext, line: () => PermitLine) {
    this.#reader = new LockSide(rw, 'r', line);
    this.#writer = new LockSide(rw, 'w', line);
  }

  /** The shared side: any number of read holds at once, none while a writer holds or waits. */
  read(): LockSide {
    return this.#reader;
  }

  /** The exclusive side: one write hold, with no read hold beside it. */
  write(): LockSide {
    return this.#writer;
  }
}

/** One side of a {@link ReadWriteLock}: mutex-like, its holds are `Permit`s. */
export class LockSide {
  readonly #rw: RwContext;
  readonly #side: RwSide;
  readonly #line: () => PermitLine;

  /** @internal */
  constructor(rw: RwContext, side: RwSide, line: () => PermitLine) {
    this.#rw = rw;
    this.#side = side;
    this.#line = line;
  }

  /**
   * One attempt: a hold, or null when the other side (or a waiting writer, for readers) has it.
   * @throws LockNotAcquiredError (or RedisConfigError) when too few nodes answered to tell.
   */
  async tryAcquire(): Promise<Permit | null> {
    const id = newId();
    const attempt = await this.#attempt(id);
    if (attempt instanceof Permit) return attempt;
    if (this.#side === 'w') await releaseRound(this.#rw, 'w', id); // one attempt: no marker left behind
    return null;
  }

  /**
   * Waits for a hold: woken when a hold is given back (a message from the nodes), or when the
   * blocking lease ends; never a retry delay. A writer keeps one id across its attempts, so its
   * marker (which keeps new readers out) stays its own.
   * @throws TypeError / RangeError for bad options, before any I/O; `LockTakenError` (with
   *   `timedOut`) after `options.timeout`; the signal's reason; `LockNotAcquiredError`.
   */
  acquire(options?: PermitWaitOptions): Promise<Permit> {
    const { lock, ttl } = this.#rw;
    const writerId = newId();
    const id = (): string => (this.#side === 'w' ? writerId : newId());
    const giveUp = this.#side === 'w' ? () => releaseRound(this.#rw, 'w', writerId) : undefined;
    return awaitPermit(() => this.#attempt(id()), this.#line(), options, lock.clock, ttl, giveUp);
  }

  async #attempt(id: string): Promise<Permit | FailedAttempt> {
    const rw = this.#rw;
    const attempt = await attemptRound(rw, this.#side, id);
    return settleAttempt(attempt, rw.lock.quorum, rw.lock.nodes.length, () => new Permit(rw.leases[this.#side], id, attempt.validUntil, 0), () => releaseRound(rw, this.#side, id, true), 'a majority of the nodes');
  }

}

function newId(): string {
  return randomBytes(16).toString('base64url');
}
