import { randomBytes } from 'node:crypto';
import { awaitPermit, settleAttempt } from './await-permit.js';
import type { PermitWaitOptions } from './options.js';
import { Permit } from './permit.js';
import type { PermitLine } from './permit-line.js';
import type { SemaphorePlan } from './plan.js';
import { acquireRound, releaseRound, type AttemptRound, type SemaphoreContext } from './rounds.js';

/**
 * A counting semaphore on the Redsync's nodes: at most `effectiveLimit` permits held at once,
 * each a lease on the servers' clocks (a crashed holder's permit comes back when its ttl ends).
 * Waiters are woken by releases, not by polling. Made by `rs.semaphore(name, { limit })`;
 * see docs/primitives.md for the arithmetic on several nodes.
 */
export class Semaphore {
  readonly #sem: SemaphoreContext;
  readonly #line: (key: string) => PermitLine;

  /** @internal Use `rs.semaphore()`. */
  constructor(sem: SemaphoreContext, line: (key: string) => PermitLine) {
    this.#sem = sem;
    this.#line = line;
  }

  /** The semaphore's name. */
  get name(): string {
    return this.#sem.lock.name;
  }

  /** How permits are counted here: per-node limit, votes needed, effective limit. */
  get plan(): SemaphorePlan {
    return this.#sem.plan;
  }

  /** The most permits that can be held at once: `limit`, or less in mode `'quorum'` (see `plan`). */
  get effectiveLimit(): number {
    return this.#sem.plan.effectiveLimit;
  }

  /**
   * One attempt: a permit, or null when the semaphore is full.
   * @throws LockNotAcquiredError (or RedisConfigError) when too few nodes answered to tell.
   */
  async tryAcquire(): Promise<Permit | null> {
    const attempt = await this.#attempt();
    return attempt instanceof Permit ? attempt : null;
  }

  /**
   * Waits for a permit: woken when a holder releases one (a message from the nodes saying how
   * many are free wakes that many waiters of this process, in arrival order), or when the
   * earliest permit's lease ends, whichever comes first; never a retry delay.
   * @throws TypeError / RangeError for bad options, before any I/O; `LockTakenError` (with
   *   `timedOut`) after `options.timeout`; the signal's reason when it aborts;
   *   `LockNotAcquiredError` when too few nodes answer.
   */
  acquire(options?: PermitWaitOptions): Promise<Permit> {
    const { lock } = this.#sem;
    return awaitPermit(() => this.#attempt(), this.#line(lock.key), options, lock.clock, this.#sem.ttl);
  }

  async #attempt(): Promise<Permit | AttemptRound> {
    const sem = this.#sem;
    const id = randomBytes(16).toString('base64url');
    const attempt = await acquireRound(sem, id);
    const { votes } = sem.plan;
    return settleAttempt(attempt, votes, sem.lock.nodes.length, () => new Permit(sem.lease, id, attempt.validUntil, attempt.grant), () => releaseRound(sem, id, true), `the ${String(votes)} node(s) a permit needs`);
  }

}
