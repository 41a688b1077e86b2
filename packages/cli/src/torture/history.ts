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
}

export interface ContenderReport {
  readonly holds: readonly Hold[];
  readonly failedAcquires: number;
  readonly acquireLatencies: readonly number[];
}

/** Milliseconds on CLOCK_MONOTONIC (process.hrtime is system-wide on Linux). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
