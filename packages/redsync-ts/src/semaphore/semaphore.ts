import { randomBytes } from 'node:crypto';
import type { Arrivals, ChannelFeed } from '../channel-feed.js';
import { LockNotAcquiredError, LockTakenError, RedisConfigError, hasConfigurationProblem } from '../errors.js';
import { resolveWaitOptions, type PermitWaitOptions } from './options.js';
import { Permit } from './permit.js';
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
  readonly #feeds: () => readonly ChannelFeed[];

  /** @internal Use `rs.semaphore()`. */
  constructor(sem: SemaphoreContext, feeds: () => readonly ChannelFeed[]) {
    this.#sem = sem;
    this.#feeds = feeds;
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
   * Waits for a permit: woken when a holder releases one (a message from the nodes), or when the
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
    // Listening before the first attempt: a release between a full answer and the wait is heard.
    const listeners = await Promise.all(this.#feeds().map((feed) => feed.listen(this.#sem.lock.key)));
    const waker = new Waker(listeners);
    try {
      signal?.throwIfAborted();
      for (let attempts = 1; ; attempts++) {
        const attempt = await this.#attempt();
        if (attempt instanceof Permit) return attempt;
        const left = deadline - clock();
        if (left <= 0) throw new LockTakenError(attempts, attempt.round.outcomes, `no permit within the timeout of ${String(timeout)} ms: `);
        // A lease that ends frees a permit without any message: look again then (plus a little,
        // so that the servers' clocks have passed it too).
        const expiry = Number.isFinite(attempt.freeIn) ? attempt.freeIn + 5 : this.#sem.ttl;
        await waker.next(Math.min(left, expiry), signal);
        signal?.throwIfAborted();
      }
    } finally {
      waker.close();
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

/** Waits for a message on any node's channel, a timeout, or an abort. */
class Waker {
  readonly #listeners: readonly Arrivals[];
  /** Each listener's pending `next()`: a new one only once the last has settled. */
  readonly #pending: (Promise<unknown> | undefined)[];

  constructor(listeners: readonly Arrivals[]) {
    this.#listeners = listeners;
    this.#pending = listeners.map(() => undefined);
  }

  next(ms: number, signal: AbortSignal | undefined): Promise<void> {
    // An abort before the wait began fired its event already: nobody would hear it.
    if (signal?.aborted === true) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.ceil(ms)));
      signal?.addEventListener('abort', done, { once: true });
      this.#listeners.forEach((listener, i) => {
        const pending = (this.#pending[i] ??= listener.next(ms).then(() => {
          this.#pending[i] = undefined;
        }));
        void pending.then(done);
      });
    });
  }

  /** Stops listening (a pending `next()` settles at once). */
  close(): void {
    for (const listener of this.#listeners) listener.close();
  }
}
