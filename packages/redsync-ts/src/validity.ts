/**
 * The only module that knows about clocks. Validity is measured on a monotonic clock so a wall-clock
 * step on the client (NTP, a VM resume, a manual `date -s`) can neither extend nor shorten a lock.
 */

/** Milliseconds; monotonic within the process. */
export type Clock = () => number;

/** Read once: the getter is surprisingly slow, and the value never changes. */
const TIME_ORIGIN = performance.timeOrigin;
/** Node's global `performance` is a getter: held here, a clock read is one call, not two. */
const perf = performance;

/**
 * Epoch-like milliseconds that never go backwards: the process start time plus the monotonic time
 * since then. Comparable with `Date.now()` at start-up, immune to wall-clock steps afterwards.
 */
export const monotonicNow: Clock = () => TIME_ORIGIN + perf.now();

/** Redis expires keys with 1 ms precision, so one extra millisecond each way. */
const EXPIRY_PRECISION_MS = 2;

/**
 * Last instant at which a lock that was requested at `start` can still be trusted:
 * `start + ttl - ttl * driftFactor - 2`. Equal to `now + (ttl - elapsed - drift)`, the Redlock
 * validity, with `elapsed` counted from before the first request.
 */
export function validUntil(start: number, ttl: number, driftFactor: number): number {
  return start + ttl - ttl * driftFactor - EXPIRY_PRECISION_MS;
}
