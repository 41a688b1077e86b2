import { LockLostError, type LockLostReason } from './errors.js';
import type { LockContext } from './lock-ops.js';
import { MinHeap, type HeapEntry } from './min-heap.js';
import type { RedisNode } from './node.js';
import { renewBatch, type RenewalResult } from './renew-batch.js';
import { MAX_TIMER_MS } from './validate.js';
import { monotonicNow } from './validity.js';

/** What the keeper reads from, and reports back to, the lock it watches. */
export interface LeaseOwner {
  /** The lock's value (read, not copied, to keep a lease small). */
  readonly value: string;
  /** The lock's current validity end, on the keeper's clock. */
  readonly validUntil: number;
  /** A renewal confirmed the lock until `validUntil`. */
  renewed(validUntil: number): void;
  /** The lock is lost; the keeper has already forgotten it. Must not throw. */
  lost(error: LockLostError): void;
}

/**
 * One held lock as the keeper sees it: small, because 10,000 of them may be alive at once. It
 * copies nothing the lock already has (value, validity), and keeps one due time: the earliest of
 * the next renewal, the validity deadline and the maxHold limit.
 */
export class Lease implements HeapEntry {
  due = 0;
  heapIndex = -1;
  /** Consecutive failed renewals, for the backoff. */
  failures = 0;
  /** The renewal in flight, so release can wait for it. */
  inFlight: Promise<void> | undefined;
  active = true;

  constructor(
    readonly owner: LeaseOwner,
    readonly ctx: LockContext,
    readonly autoExtend: boolean,
    /** acquisition + maxHold (Infinity without a limit). */
    readonly holdUntil: number,
  ) {}

  get value(): string {
    return this.owner.value;
  }

  /**
   * When the lock must be given up: its validity end, or, when it renews, the last moment at which
   * a renewal round (bounded by the per-node timeout) could still finish within the validity.
   */
  get lostAt(): number {
    return this.autoExtend ? this.owner.validUntil - this.ctx.timeout : this.owner.validUntil;
  }

  /** The renewal period: ttl * autoExtendFactor. */
  get period(): number {
    return this.ctx.options.ttl * this.ctx.options.autoExtendFactor;
  }
}

/** Deadlines (validity, maxHold) may be acted on this many ms early, to share a timer wake-up. */
const BATCH_WINDOW_MS = 5;
/**
 * A renewal may go out this share of its period early, so that renewals due close together share
 * one batch (one command per node per chunk) instead of trickling out one timer wake-up each.
 */
const EARLY_RENEWAL_SHARE = 0.1;
/** The first retry after a failed renewal; doubles each time, never more than the renewal period. */
const FIRST_BACKOFF_MS = 25;

/** Timer functions, injectable so tests can drive the keeper with a fake clock. */
export interface KeeperClock {
  now(): number;
  setTimer(fire: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const realClock: KeeperClock = {
  now: monotonicNow,
  setTimer: (fire, ms) => setTimeout(fire, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The one scheduler for every held lock in the process: a heap ordered by the next thing due
 * (a renewal, a validity deadline or the maxHold limit) and a single timer for its top. Renewals
 * due together are grouped by node set and sent as one batch per node.
 */
export class LeaseKeeper {
  readonly #heap = new MinHeap<Lease>();
  readonly #clock: KeeperClock;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(clock: KeeperClock = realClock) {
    this.#clock = clock;
  }

  /** Number of leases waiting in the heap (renewals in flight are not counted). */
  get size(): number {
    return this.#heap.size;
  }

  now(): number {
    return this.#clock.now();
  }

  /** Starts watching (and, with autoExtend, renewing) a lease. */
  keep(lease: Lease): void {
    this.#schedule(lease, this.now() + lease.period);
  }

  /** The owner's validity changed from outside (an explicit extend): recompute when it is due. */
  update(lease: Lease): void {
    if (lease.heapIndex < 0) return;
    this.#heap.remove(lease);
    this.#schedule(lease, this.now() + lease.period);
  }

  /** Stops watching; resolves once a renewal in flight (if any) has finished. */
  async forget(lease: Lease): Promise<void> {
    lease.active = false;
    this.#heap.remove(lease);
    if (this.#heap.size === 0) this.#disarm();
    await lease.inFlight;
  }

  /** Puts the lease back in the heap, due at the earliest of `renewAt` (with autoExtend) and its deadlines. */
  #schedule(lease: Lease, renewAt: number): void {
    lease.due = Math.min(lease.lostAt, lease.holdUntil, lease.autoExtend ? renewAt : Number.POSITIVE_INFINITY);
    this.#heap.push(lease);
    if (lease.due < this.#timerAt) this.#arm(lease.due);
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimer(() => {
      this.#tick();
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - this.now())));
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    const horizon = now + BATCH_WINDOW_MS;
    const batches = new Map<readonly RedisNode[], Lease[]>();
    for (let top = this.#heap.peek(); top !== undefined && top.due <= now + this.#window(top); top = this.#heap.peek()) {
      this.#heap.pop();
      if (top.holdUntil <= horizon) this.#lose(top, 'max-hold', 'the lock was held for maxHold ms; renewal stopped');
      else if (top.lostAt <= horizon) this.#lose(top, top.failures > 0 ? 'renewal-failed' : 'expired', 'the lock validity ran out without a confirmed renewal');
      else if (top.autoExtend) {
        // Due, and neither deadline has come: it is the renewal that is due.
        const batch = batches.get(top.ctx.nodes);
        if (batch === undefined) batches.set(top.ctx.nodes, [top]);
        else batch.push(top);
      } else this.#schedule(top, Number.POSITIVE_INFINITY);
    }
    for (const batch of batches.values()) this.#renew(batch);
    const next = this.#heap.peek();
    if (next !== undefined && this.#timer === undefined) this.#arm(next.due);
  }

  /** How early this lease's next due item may be handled: renewals more than deadlines. */
  #window(lease: Lease): number {
    if (!lease.autoExtend || lease.due >= Math.min(lease.lostAt, lease.holdUntil)) return BATCH_WINDOW_MS;
    return Math.max(BATCH_WINDOW_MS, lease.period * EARLY_RENEWAL_SHARE);
  }

  #renew(batch: Lease[]): void {
    const done = renewBatch(batch, () => this.now()).then(
      (results) => {
        batch.forEach((lease, i) => {
          this.#settleRenewal(lease, results[i] as RenewalResult);
        });
      },
      () => undefined, // renewBatch never rejects; a defect must still not escape a timer
    );
    for (const lease of batch) lease.inFlight = done;
  }

  #settleRenewal(lease: Lease, result: RenewalResult): void {
    lease.inFlight = undefined;
    if (!lease.active) return;
    const now = this.now();
    if (result.validUntil !== undefined) {
      lease.failures = 0;
      lease.owner.renewed(result.validUntil);
      this.#schedule(lease, now + lease.period);
    } else if (result.lost) {
      this.#lose(lease, 'renewal-failed', 'a renewal found the lock gone or taken on a quorum');
    } else {
      lease.failures += 1;
      this.#schedule(lease, now + Math.min(lease.period, FIRST_BACKOFF_MS * 2 ** (lease.failures - 1)));
    }
  }

  #lose(lease: Lease, reason: LockLostReason, message: string): void {
    lease.active = false;
    this.#heap.remove(lease);
    try {
      lease.owner.lost(new LockLostError(message, reason));
    } catch {
      // An owner callback must not throw; if one does, it must not escape the keeper's timer.
    }
  }
}

/** The process-wide keeper every lock uses. */
export const leaseKeeper = new LeaseKeeper();
