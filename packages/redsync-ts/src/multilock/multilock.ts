import { randomBytes } from 'node:crypto';
import { delay } from '../delay.js';
import { LockTakenError } from '../errors.js';
import { settleAttempt } from '../semaphore/await-permit.js';
import { resolveWaitOptions, type PermitWaitOptions } from '../semaphore/options.js';
import { Permit } from '../semaphore/permit.js';
import type { PermitLine, Ticket } from '../semaphore/permit-line.js';
import { acquireRound, releaseRound, type MultiAttempt, type MultiContext } from './rounds.js';

/** The longest pause before the next attempt after a split vote (random below it). */
const SPLIT_BACKOFF_MS = 20;

/**
 * Several locks taken as one, all or nothing: on every node one script takes all the keys or
 * none (on a Redis Cluster node, one script per hash slot, in slot order), and a hold needs a
 * majority of nodes. Its keys are plain lock keys, so it excludes mutexes of the same names.
 * No caller ever holds some of the keys while waiting for others, so callers asking for `[a, b]`
 * and `[b, a]` cannot deadlock. Made by `rs.multiLock(names)`; see docs/primitives.md.
 */
export class MultiLock {
  readonly #multi: MultiContext;
  readonly #line: (key: string) => PermitLine;

  /** @internal Use `rs.multiLock()`. */
  constructor(multi: MultiContext, line: (key: string) => PermitLine) {
    this.#multi = multi;
    this.#line = line;
  }

  /** The lock names, sorted (the order every caller takes them in). */
  get names(): readonly string[] {
    return this.#multi.names;
  }

  /**
   * One attempt: a hold on every name, or null when some name is held by another.
   * @throws LockNotAcquiredError (or RedisConfigError) when too few nodes answered to tell.
   */
  async tryAcquire(): Promise<Permit | null> {
    const attempt = await this.#attempt();
    return attempt instanceof Permit ? attempt : null;
  }

  /**
   * Waits for a hold on every name: after a lost attempt it listens for the release of the key
   * that stopped it (`<key>:released`, which its holder's release announces), bounded by that
   * key's remaining ttl; never a retry delay. A split vote (some nodes admitted, too few) is
   * given back at once and retried after a short random pause, so that two callers of
   * overlapping names do not keep splitting the nodes between them.
   * @throws TypeError / RangeError for bad options, before any I/O; `LockTakenError` (with
   *   `timedOut`) after `options.timeout`; the signal's reason when it aborts;
   *   `LockNotAcquiredError` when too few nodes answer.
   */
  async acquire(options?: PermitWaitOptions): Promise<Permit> {
    const { signal, timeout } = resolveWaitOptions(options);
    signal?.throwIfAborted();
    const { clock } = this.#multi.lock;
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : clock() + timeout;
    let waiting: { key: string; ticket: Ticket } | undefined;
    try {
      for (let attempts = 1; ; attempts++) {
        const last = await this.#attempt();
        if (last instanceof Permit) return last;
        const left = deadline - clock();
        if (left <= 0) throw new LockTakenError(attempts, last.round.outcomes, `not every name was free within the timeout of ${String(timeout)} ms: `);
        if (last.blocker === undefined || last.round.ok > 0) {
          await delay(Math.min(left, Math.random() * SPLIT_BACKOFF_MS), signal);
          continue;
        }
        if (waiting?.key !== last.blocker) {
          waiting?.ticket.leave();
          waiting = { key: last.blocker, ticket: this.#line(last.blocker).join() };
        }
        await waiting.ticket.wait(Math.min(left, last.freeIn + 5), signal);
        signal?.throwIfAborted();
        waiting.ticket.attempting();
      }
    } finally {
      waiting?.ticket.leave();
    }
  }

  async #attempt(): Promise<Permit | MultiAttempt> {
    const multi = this.#multi;
    const id = randomBytes(16).toString('base64url');
    const attempt = await acquireRound(multi, id);
    const { quorum, nodes } = multi.lock;
    return settleAttempt(attempt, quorum, nodes.length, () => new Permit(multi.lease, id, attempt.validUntil, 0), () => releaseRound(multi, id, true), 'a majority of the nodes');
  }
}
