import { LockNotAcquiredError, LockTakenError, RedisConfigError, hasConfigurationProblem } from '../errors.js';
import type { QuorumRound } from '../quorum.js';
import type { Clock } from '../validity.js';
import { resolveWaitOptions, type PermitWaitOptions } from './options.js';
import { Permit } from './permit.js';
import type { PermitLine, Ticket } from './permit-line.js';

/** An attempt that did not get a permit: its round, and when the earliest holder's lease ends (ms). */
export interface FailedAttempt {
  readonly round: QuorumRound;
  readonly freeIn: number;
}

/**
 * The waiting loop of a semaphore and of both sides of a read-write lock: attempts, woken between
 * them by the line (release messages) or by the earliest lease's end, never by a retry delay.
 * `giveUp` undoes what failed attempts leave behind (a waiting writer's marker) when it ends
 * without a permit.
 * @throws TypeError / RangeError for bad options, before any I/O; `LockTakenError` (with
 *   `timedOut`) after `options.timeout`; the signal's reason when it aborts.
 */
export async function awaitPermit(attempt: () => Promise<Permit | FailedAttempt>, line: PermitLine, options: PermitWaitOptions | undefined, clock: Clock, ttl: number, giveUp?: () => Promise<unknown>): Promise<Permit> {
  const { signal, timeout } = resolveWaitOptions(options);
  signal?.throwIfAborted();
  const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : clock() + timeout;
  let granted = false;
  let ticket: Ticket | undefined;
  try {
    // Uncontended, one attempt and no subscription. Behind waiters of this process, no attempt
    // at all: a caller that just released and asks again would take the permit its release
    // announced before the waiter woken for it could (3.9 attempts per permit with 20
    // contenders, against 1.0).
    let last: Permit | FailedAttempt | undefined = line.busy ? undefined : await attempt();
    ticket = last instanceof Permit ? undefined : line.join();
    for (let attempts = 1; ; attempts++) {
      if (last instanceof Permit) {
        granted = true;
        return last;
      }
      const left = deadline - clock();
      if (left <= 0) throw new LockTakenError(attempts, last?.round.outcomes ?? [], `nothing granted within the timeout of ${String(timeout)} ms: `);
      // A lease that ends frees room without any message: look again then (plus a little, so
      // that the servers' clocks have passed it too).
      const expiry = last !== undefined && Number.isFinite(last.freeIn) ? last.freeIn + 5 : ttl;
      await ticket?.wait(Math.min(left, expiry), signal);
      signal?.throwIfAborted();
      ticket?.attempting();
      last = await attempt();
    }
  } finally {
    ticket?.leave();
    if (!granted) await giveUp?.().catch(() => undefined);
  }
}

/** An attempt's round with the validity a win would grant. */
export interface AttemptResult extends FailedAttempt {
  readonly validUntil: number;
}

/**
 * What an attempt comes to: a permit (`grant`) when `votes` nodes admitted it with validity left;
 * else what some nodes admitted is given back (`cleanUp`, before anyone waits on it), and the
 * attempt is returned, or thrown as `LockNotAcquiredError` / `RedisConfigError` when too few nodes
 * answered to tell (`needs` says what the hold needed).
 */
export async function settleAttempt<A extends AttemptResult>(attempt: A, votes: number, nodeCount: number, grant: () => Permit, cleanUp: () => Promise<unknown>, needs: string): Promise<Permit | A> {
  const { round } = attempt;
  if (round.ok >= votes && attempt.validUntil > round.settledAt) return grant();
  if (round.ok > 0 || round.errors > 0) await cleanUp();
  if (round.errors > nodeCount - votes) {
    if (hasConfigurationProblem(round.outcomes)) throw new RedisConfigError(round.outcomes);
    throw new LockNotAcquiredError(`could not reach ${needs}: ${round.errors} of ${nodeCount} failed`, 1, round.outcomes);
  }
  return attempt;
}
