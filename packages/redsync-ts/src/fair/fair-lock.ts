import { randomBytes } from 'node:crypto';
import { LockNotAcquiredError, LockTakenError, RedisConfigError, hasConfigurationProblem } from '../errors.js';
import { releaseTagOf } from '../keys.js';
import type { QuorumRound } from '../quorum.js';
import { resolveWaitOptions, type PermitWaitOptions } from '../semaphore/options.js';
import { Permit } from '../semaphore/permit.js';
import type { GrantLine } from './grant-line.js';
import { attemptRound, releaseRound, type FairContext } from './rounds.js';
import { FairWaiter } from './waiter.js';

/**
 * A lock served in the order it was asked for, across processes: waiters queue on the servers
 * (a list, and a registration per waiter refreshed while it waits, on the server's clock), and a
 * release hands the lock to the first live waiter inside the release script itself. The waiter
 * learns it holds the lock from the grant message alone: a handoff in one hop. Made by
 * `rs.fairLock(name)`; see docs/primitives.md for what FIFO means on several nodes.
 */
export class FairLock {
  readonly #fair: FairContext;
  readonly #line: () => GrantLine;

  /** @internal Use `rs.fairLock()`. */
  constructor(fair: FairContext, line: () => GrantLine) {
    this.#fair = fair;
    this.#line = line;
  }

  /** The lock name. */
  get name(): string {
    return this.#fair.lock.name;
  }

  /**
   * One attempt, without queueing: a hold when the lock is free and nobody waits for it, else null.
   * @throws LockNotAcquiredError (or RedisConfigError) when too few nodes answered to tell.
   */
  async tryAcquire(): Promise<Permit | null> {
    const fair = this.#fair;
    const id = newId();
    const waiter = new FairWaiter(fair);
    const attempt = await attemptRound(fair, id, waiter.nextSeq(), 0);
    waiter.merge(attempt);
    const until = waiter.heldUntil(fair.lock.clock());
    if (until !== undefined) return new Permit(fair.lease, id, until, 0);
    if (attempt.round.ok > 0 || attempt.round.errors > 0) await releaseRound(fair, id, true);
    throwIfUnreachable(fair, attempt.round);
    return null;
  }

  /**
   * Waits for the lock in line: queued behind everyone who asked before, on every node; granted
   * by the holder's release (or, when its hold expired, by the next attempt to see that), never
   * by polling. A waiter refreshes its place every third of `waiterLease`.
   * @throws TypeError / RangeError for bad options, before any I/O; `LockTakenError` (with
   *   `timedOut`) after `options.timeout`; the signal's reason when it aborts;
   *   `LockNotAcquiredError` when too few nodes answer.
   */
  async acquire(options?: PermitWaitOptions): Promise<Permit> {
    const { signal, timeout } = resolveWaitOptions(options);
    signal?.throwIfAborted();
    const fair = this.#fair;
    const { clock } = fair.lock;
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : clock() + timeout;
    const id = newId();
    const waiter = new FairWaiter(fair);
    let leave: (() => void) | undefined;
    let held = false;
    try {
      const first = await attemptRound(fair, id, waiter.nextSeq(), fair.waiterLease);
      waiter.merge(first);
      throwIfUnreachable(fair, first.round);
      for (let attempts = 1; ; ) {
        const until = waiter.heldUntil(clock());
        if (until !== undefined) {
          held = true;
          return new Permit(fair.lease, id, until, 0);
        }
        leave ??= this.#line().join(releaseTagOf(id), waiter);
        const left = deadline - clock();
        if (left <= 0) throw new LockTakenError(attempts, [], `not granted within the timeout of ${String(timeout)} ms: `);
        const woke = await waiter.wait(Math.min(left, fair.waiterLease / 3), signal);
        signal?.throwIfAborted();
        if (woke === 'grant') continue;
        if (waiter.stuck(clock(), fair.waiterLease)) await this.#giveBack(id, waiter);
        attempts += 1;
        const refresh = await attemptRound(fair, id, waiter.nextSeq(), fair.waiterLease);
        waiter.merge(refresh);
        throwIfUnreachable(fair, refresh.round);
      }
    } finally {
      leave?.();
      // Leaves the queues, and passes on any grant that came too late or too thin.
      if (!held) await releaseRound(fair, id, true).catch(() => undefined);
    }
  }

  /**
   * Grants on a minority of nodes for a whole lease: the queues diverged so that nobody may reach
   * a majority. Giving them back (to each node's next waiter) and queueing again at the tail
   * trades this waiter's place for progress; never two holders.
   */
  async #giveBack(id: string, waiter: FairWaiter): Promise<void> {
    waiter.forget();
    await releaseRound(this.#fair, id, true);
  }
}

/** @throws LockNotAcquiredError / RedisConfigError when too few nodes answered for a majority. */
function throwIfUnreachable(fair: FairContext, round: QuorumRound): void {
  const n = fair.lock.nodes.length;
  if (round.errors <= n - fair.lock.quorum) return;
  if (hasConfigurationProblem(round.outcomes)) throw new RedisConfigError(round.outcomes);
  throw new LockNotAcquiredError(`could not reach a majority of the nodes: ${String(round.errors)} of ${String(n)} failed`, 1, round.outcomes);
}

function newId(): string {
  return randomBytes(16).toString('base64url');
}
