import { randomBytes } from 'node:crypto';
import { POLL_MS } from '../channel-feed.js';
import { LockNotAcquiredError, LockTakenError, RedisConfigError, hasConfigurationProblem } from '../errors.js';
import { releaseTagOf } from '../keys.js';
import type { QuorumRound } from '../quorum.js';
import { resolveWaitOptions, type PermitWaitOptions } from '../semaphore/options.js';
import { Permit } from '../semaphore/permit.js';
import type { GrantLine } from './grant-line.js';
import { attemptRound, extendRound, releaseRound, type FairContext } from './rounds.js';
import { FairWaiter } from './waiter.js';

/**
 * A lock served in the order it was asked for, across processes: waiters queue on the servers (a
 * sorted set by request time, and a registration per waiter refreshed while it waits, on the
 * server's clock), and a release hands the lock to the first live waiter inside its own script. The waiter
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
    const attempt = await attemptRound(fair, id, waiter.nextSeq(), 0, waiter.score);
    waiter.merge(attempt);
    const until = waiter.heldUntil(fair.lock.clock());
    if (until !== undefined) {
      const confirmation = await this.#confirm(id, until);
      if (typeof confirmation === 'number') return new Permit(fair.lease, id, confirmation, 0);
      await releaseRound(fair, id, true);
      throw new LockNotAcquiredError('granted, but too few nodes confirmed the grant on their replicas (waitReplicas)', 1, confirmation.outcomes);
    }
    // Unless every node answered that it was not our turn, some node may hold the key for us.
    if (attempt.round.taken < fair.lock.nodes.length) await releaseRound(fair, id, true);
    throwIfUnreachable(fair, attempt.round);
    return null;
  }

  /**
   * Waits for the lock in line: queued behind everyone who asked before, on every node; granted
   * by the holder's release (or, when its hold expired, by the next attempt to see that), never
   * by polling. A waiter refreshes its place every third of `waiterLease`, and gives up when it
   * could not for a whole `waiterLease`.
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
    let line: GrantLine | undefined;
    let leave: (() => void) | undefined;
    let held = false;
    try {
      await this.#refresh(id, waiter);
      for (let attempts = 1; ; ) {
        const until = waiter.heldUntil(clock());
        const confirmation = until === undefined ? undefined : await this.#confirm(id, until);
        if (typeof confirmation === 'number') {
          held = true;
          return new Permit(fair.lease, id, confirmation, 0);
        }
        line ??= this.#line();
        leave ??= line.join(releaseTagOf(id), waiter);
        const left = deadline - clock();
        if (left <= 0) throw new LockTakenError(attempts, [], `not granted within the timeout of ${String(timeout)} ms: `);
        // A grant may go unheard while the line is not live, and one the replicas did not confirm
        // yet is ours to confirm again (we are first in line): then look every POLL_MS.
        const woke = await waiter.wait(Math.min(left, fair.waiterLease / 3, line.live && confirmation === undefined ? Number.POSITIVE_INFINITY : POLL_MS), signal);
        signal?.throwIfAborted();
        if (woke === 'grant') continue;
        attempts += 1;
        await this.#refresh(id, waiter);
      }
    } finally {
      leave?.();
      // Leaves the queues, and passes on any grant that came too late or too thin.
      if (!held) await releaseRound(fair, id, true).catch(() => undefined);
    }
  }

  /**
   * With `waitReplicas`, a grant (from a message or an attempt) counts once a renewal of it was
   * confirmed by the replicas of a majority: the grant was written by another process's script,
   * on a connection whose WAIT we cannot send. Returns the validity, or the round that fell short.
   */
  async #confirm(id: string, until: number): Promise<number | QuorumRound> {
    const fair = this.#fair;
    if (fair.lock.options.waitReplicas === 0) return until;
    const { round, validUntil } = await extendRound(fair, id);
    return round.ok >= fair.lock.quorum && validUntil > fair.lock.clock() ? validUntil : round;
  }

  /** An attempt, or a refresh of the waiter's place, and what its answers call for. */
  async #refresh(id: string, waiter: FairWaiter): Promise<void> {
    const fair = this.#fair;
    const { clock } = fair.lock;
    if (waiter.stuck(clock())) await this.#giveBack(id, waiter, true);
    const attempt = await attemptRound(fair, id, waiter.nextSeq(), fair.waiterLease, waiter.score);
    waiter.merge(attempt);
    // A round too few nodes answered is tried again at the next refresh; once the waiter could
    // not renew its place for a whole lease (the nodes have dropped it by then), it gives up.
    if (reachable(fair, attempt.round)) waiter.reachedAt = clock();
    else if (clock() - waiter.reachedAt >= fair.waiterLease) throwIfUnreachable(fair, attempt.round);
    // Granted here before an earlier waiter's registration arrived: without a majority, let it
    // have what we hold (it is first on every node), keeping our own place.
    if (attempt.yieldTo && waiter.heldUntil(clock()) === undefined) await this.#giveBack(id, waiter, false);
  }

  /**
   * Gives back the grants of a waiter without a majority, to each node's next waiter. Yielding to
   * a waiter who asked first keeps this one's place (`toTail` false). Grants stuck on a minority
   * for a while (see `FairWaiter.stuck`: the first waiter cannot reach a majority, say) go back
   * with the place too (`toTail`): progress for the others over this waiter's turn; never two
   * holders.
   */
  async #giveBack(id: string, waiter: FairWaiter, toTail: boolean): Promise<void> {
    waiter.forget(toTail);
    await releaseRound(this.#fair, id, true, !toTail);
  }
}

/** True unless too many nodes failed for a majority to answer. */
function reachable(fair: FairContext, round: QuorumRound): boolean {
  return round.errors <= fair.lock.nodes.length - fair.lock.quorum;
}

/** @throws LockNotAcquiredError / RedisConfigError when too few nodes answered for a majority. */
function throwIfUnreachable(fair: FairContext, round: QuorumRound): void {
  const n = fair.lock.nodes.length;
  if (reachable(fair, round)) return;
  if (hasConfigurationProblem(round.outcomes)) throw new RedisConfigError(round.outcomes);
  throw new LockNotAcquiredError(`could not reach a majority of the nodes: ${String(round.errors)} of ${String(n)} failed`, 1, round.outcomes);
}

function newId(): string {
  return randomBytes(16).toString('base64url');
}
