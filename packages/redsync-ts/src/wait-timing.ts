/**
 * The types of a wait line's turns, and when its head attempts next. Kept apart from the line's
 * bookkeeping (wait-line.ts) so that the timing rules read on their own.
 */
import type { HandedLock, HandoffOffer } from './handoff-chain.js';
import type { TimedRound } from './lock-ops.js';

/** The most a head's look after the holder's expiry is spread out by. */
const JITTER_MS = 50;

/** The least a head waits before it looks again after losing to an echoed release. */
const RECHECK_MIN_MS = 50;

/**
 * The most it waits: the default retry delay's upper end. The release it lost to may have reached
 * the last nodes after its attempt did, leaving the key free with nobody to announce it; a long
 * retry delay (a minute, in a test) then left the waiter idle that long.
 */
export const RECHECK_MAX_MS = 250;

/** What ended a wait: make an attempt now, only look at the caller's deadlines, or a handed lock. */
export type Wake = 'attempt' | 'look' | HandedLock;

/** One wait of a {@link Turn}. Times are readings of `clock`. */
export interface WaitRequest {
  readonly clock: () => number;
  /** The retry delay: how long the head waits when no subscription is confirmed. */
  readonly poll: number;
  /** The wait ends with `'look'` at this time at the latest (the caller's deadline or patience). */
  readonly until: number;
  readonly signal?: AbortSignal | undefined;
  /** With an offer, a holder of this process may hand the lock over instead. */
  readonly offer?: HandoffOffer | undefined;
}

/** A caller's place in a {@link WaitLine}, kept across its attempts. */
export interface Turn {
  /** Arrival order: lower goes first. */
  readonly seq: number;
  /** The last attempt lost by any turn of this line, for the error of a waiter that gives up. */
  readonly lastLost: TimedRound | undefined;
  /** @throws `signal.reason` when the request's signal aborts while waiting. */
  wait(request: WaitRequest): Promise<Wake>;
  /** The caller's attempt lost; `holderTtl` is the holder's key's PTTL, when it was read. */
  lost(result: TimedRound, now: number): void;
  /** The caller holds the lock until `validUntil`: pending wake-ups are obsolete. */
  won(validUntil: number): void;
  /** The caller stops waiting (won, gave up or aborted). Idempotent. */
  leave(): void;
}

/** What the line knows when it arms its head's timer. */
export interface HeadState {
  /** Some feed's subscription is confirmed. */
  readonly confirmed: boolean;
  /** Until when the holder's key lives, by the last reading; NaN when unknown. */
  readonly holderUntil: number;
  /**
   * The last attempt lost after an echo of the release it answered: it may have reached a node
   * before that release did. Then that node's release, finding the waiting flag our attempt just
   * raised, announces itself again, usually after our attempt: that wakes us. In case it came
   * before, the head looks again after a retry delay (from RECHECK_MIN_MS to RECHECK_MAX_MS)
   * instead of the holder's ttl; usually the winner's release wakes it first. Going again at once cost every
   * loser a second attempt per release on N nodes (14 commands per acquisition per node instead
   * of 6.4, 3 nodes, 3 processes x 6 contenders, bench run of 2026-12-01).
   */
  readonly recheck: boolean;
}

/** When the head attempts next, at `now`, with retry delay `poll`. */
export function headAttemptAt(now: number, poll: number, state: HeadState): number {
  const holder = state.holderUntil;
  if (state.recheck) {
    const after = Math.min(Math.max(poll, RECHECK_MIN_MS), RECHECK_MAX_MS);
    return now + (holder > now ? Math.min(after, holder - now + 1) : after);
  }
  // Known to live until `holder`: look 1 ms after it expired, plus a little jitter (up to a
  // retry delay, at most JITTER_MS), so that the heads of several processes do not all arrive
  // at the same moment.
  if (state.confirmed && !Number.isNaN(holder)) return Math.max(holder, now) + 1 + Math.random() * Math.min(poll, JITTER_MS);
  return now + (holder > now ? Math.min(poll, holder - now + 1) : poll);
}
