import type { Cohort } from './cohort.js';
import type { LockLostError } from './errors.js';
import type { LockContext } from './lock-ops.js';
import type { HeapEntry } from './min-heap.js';

/** What the keeper reads from, and reports back to, the lock it watches. */
export interface LeaseOwner {
  /** The lock's current validity end, on the keeper's clock. */
  readonly validUntil: number;
  /** A renewal confirmed the lock until `validUntil` (a cohort's full success is read from the cohort instead). */
  renewed(validUntil: number): void;
  /** The lock is lost; the keeper forgets it right after this returns. Must not throw. */
  lost(error: LockLostError): void;
}

/**
 * One held lock as the keeper sees it: small, because 10,000 of them may be alive at once. A
 * renewing lease belongs to a {@link Cohort} and sits in the heap only for its maxHold deadline;
 * a lease that only watches (someone read `lock.signal`) sits there for its validity deadline.
 */
export class Lease {
  /** In the heap: the maxHold deadline (renewing) or the validity deadline (watching). */
  due = 0;
  heapIndex = -1;
  slot = -1;
  /** The cohort renewing it; undefined for a watching lease, and once forgotten. */
  cohort: Cohort<Lease> | undefined;

  /**
   * @param value the lock's value, which the keeper's renewals send (given here rather than read
   *   from the owner, whose public `value` getter records that the value left the library)
   */
  constructor(
    readonly owner: LeaseOwner,
    readonly ctx: LockContext,
    readonly value: string,
  ) {}
}

/**
 * A deadline of something else the keeper schedules on its one timer (a permit's renewal, see
 * semaphore/permit-renewal.ts): `fire` runs when it falls due, and must not throw.
 */
export interface KeeperTask extends HeapEntry {
  fire(): void;
}
