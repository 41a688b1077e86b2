/** What each contender records, and what the checker reads. Times are CLOCK_MONOTONIC ms, shared by every process on the machine. */
export interface Hold {
  readonly proc: number;
  /** When the acquire returned. */
  readonly start: number;
  /** When the holder stopped believing it held the lock: release invoked, signal aborted, or validity end. */
  readonly end: number;
  readonly fence: number;
  /** The read-modify-write of the protected counter finished. */
  readonly wrote: boolean;
  /** The fenced write was accepted by the resource. */
  readonly fencedAccepted: boolean;
  /** The read-write rows: a write hold (a read hold when false). */
  readonly writer?: boolean;
  /** The multi-lock rows: the names the hold covered. */
  readonly resources?: readonly string[];
}

export interface ContenderReport {
  readonly holds: readonly Hold[];
  readonly failedAcquires: number;
  readonly acquireLatencies: readonly number[];
  /** Holds whose work outlived the lock's validity (a pause or partition hit the holder). */
  readonly stale: number;
  /** Of those, holds whose `lock.signal` was not aborted when the work resumed: must be 0. */
  readonly staleUnaborted: number;
  /** Read-modify-writes skipped because the signal had aborted (the careful user's check). */
  readonly skippedWrites: number;
  /** The latest a signal aborted after its validity ended, in ms (timer lateness). */
  readonly maxAbortLateness: number;
  /** Holds whose signal aborted with a LockLostError (the fault reached a holder). */
  readonly lost: number;
  /**
   * The cache rows' own record: gets made, times a stored entry was seen replaced by one whose
   * fill began earlier (its stamp went back), and loader calls.
   */
  readonly cache?: { readonly gets: number; readonly regressions: number; readonly fills: number };
}

/** What the parent tells a contender over IPC. */
export type ContenderCommand =
  /** Cut this process off from 3 of the 5 lock nodes for `ms`. */
  | { readonly partition: number }
  /** Start taking the lock, until this CLOCK_MONOTONIC reading (ms). */
  | { readonly start: number };

/**
 * What a contender tells the parent over IPC: that it has connected and waits for the start, or
 * whether it holds the lock right now.
 */
export type ContenderStatus = { readonly ready: true } | { readonly holding: boolean };

/** Milliseconds on CLOCK_MONOTONIC (process.hrtime is system-wide on Linux). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
