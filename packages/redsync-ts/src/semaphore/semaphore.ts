import { randomBytes } from 'node:crypto';
import { LockNotAcquiredError, LockTakenError, RedisConfigError, hasConfigurationProblem } from '../errors.js';
import { resolveWaitOptions, type PermitWaitOptions } from './options.js';
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
  async acquire(options?: PermitWaitOptions): Promise<Permit> {
    const { signal, timeout } = resolveWaitOptions(options);
    signal?.throwIfAborted();
    const clock = this.#sem.lock.clock;
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : clock() + timeout;
    const line = this.#line(this.#sem.lock.key);
    // Uncontended, one attempt and no subscription. Behind waiters of this process, no attempt
    // at all: a caller that just released and asks again would take the permit its release
    // announced before the waiter woken for it could (3.9 attempts per permit, 20 contenders).
    let attempt: Permit | AttemptRound | undefined = line.busy ? undefined : await this.#attempt();
    if (attempt instanceof Permit) return attempt;
    const ticket = await line.join();
    try {
      for (let attempts = 1; ; attempts++) {
        if (attempt instanceof Permit) return attempt;
        const left = deadline - clock();
        if (left <= 0) throw new LockTakenError(attempts, attempt?.round.outcomes ?? [], `no permit within the timeout of ${String(timeout)} ms: `);
        // A lease that ends frees a permit without any message: look again then (plus a little,
        // so that the servers' clocks have passed it too).
        const expiry = attempt !== undefined && Number.isFinite(attempt.freeIn) ? attempt.freeIn + 5 : this.#sem.ttl;
        await ticket.wait(Math.min(left, expiry), signal);
        signal?.throwIfAborted();
        ticket.attempting();
        attempt = await this.#attempt();
      }
    } finally {
      ticket.leave();
    }
  }

  async #attempt(): Promise<Permit | AttemptRound> {
    const sem = this.#sem;
    const id = randomBytes(16).toString('base64url');
    const attempt = await acquireRound(sem, id);
    const { round } = attempt;
    if (round.ok >= sem.plan.votes && attempt.validUntil > round.settledAt) return new Permit(sem, id, attempt.validUntil, attempt.grant);
    // Give back what some nodes admitted, before anyone waits on it.
    if (round.ok > 0 || round.errors > 0) await releaseRound(sem, id, true);
    const n = sem.lock.nodes.length;
    if (round.errors > n - sem.plan.votes) {
      if (hasConfigurationProblem(round.outcomes)) throw new RedisConfigError(round.outcomes);
      throw new LockNotAcquiredError(`could not reach the ${sem.plan.votes} node(s) a permit needs: ${round.errors} of ${n} failed`, 1, round.outcomes);
    }
    return attempt;
  }
}
