import { LockLostError, type LockLostReason } from './errors.js';
import type { LockContext } from './lock-ops.js';
import { MinHeap, type HeapEntry } from './min-heap.js';
import type { RedisNode } from './node.js';
import { renewBatch, type RenewalResult } from './renew-batch.js';
import { MAX_TIMER_MS } from './validate.js';
import { monotonicNow } from './validity.js';

/** What the keeper reports back to the lock it watches. */
export interface LeaseOwner {
  /** A renewal confirmed the lock until `validUntil`. */
  renewed(validUntil: number): void;
  /** The lock is lost; the keeper has already forgotten it. Must not throw. */
  lost(error: LockLostError): void;
}

/** One held lock as the keeper sees it: small, because 10,000 of them may be alive at once. */
export class Lease implements HeapEntry {
  due = 0;
  heapIndex = -1;
  /** Next renewal, on the keeper's clock (unused without autoExtend). */
  renewAt: number;
  /** Consecutive failed renewals, for the backoff. */
  failures = 0;
  /** The renewal in flight, so release can wait for it. */
  inFlight: Promise<void> | undefined;
  active = true;

  constructor(
    readonly owner: LeaseOwner,
    readonly ctx: LockContext,
    readonly value: string,
    public validUntil: number,
    readonly autoExtend: boolean,
    /** acquisition + maxHold (Infinity without a limit). */
    readonly holdUntil: number,
    now: number,
  ) {
    this.renewAt = now + ctx.options.ttl * ctx.options.autoExtendFactor;
  }

  /**
   * When the lock must be given up: its validity end, or, when it renews, the last moment at which
   * a renewal round (bounded by the per-node timeout) could still finish within the validity.
   */
  get lostAt(): number {
    return this.autoExtend ? this.validUntil - this.ctx.timeout : this.validUntil;
  }
}

/** Renewals that fall due within this many ms of each other go out in one batch. */
const BATCH_WINDOW_MS = 5;
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
    this.#schedule(lease);
  }

  /** A lease's validity changed from outside (an explicit extend): recompute when it is due. */
  update(lease: Lease, validUntil: number): void {
    lease.validUntil = validUntil;
    lease.renewAt = this.now() + lease.ctx.options.ttl * lease.ctx.options.autoExtendFactor;
    if (lease.heapIndex < 0) return;
    this.#heap.remove(lease);
    this.#schedule(lease);
  }

  /** Stops watching; resolves once a renewal in flight (if any) has finished. */
  async forget(lease: Lease): Promise<void> {
    lease.active = false;
    this.#heap.remove(lease);
    if (this.#heap.size === 0) this.#disarm();
    await lease.inFlight;
  }

  #schedule(lease: Lease): void {
    lease.due = Math.min(lease.lostAt, lease.holdUntil, lease.autoExtend ? lease.renewAt : Number.POSITIVE_INFINITY);
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
    for (let top = this.#heap.peek(); top !== undefined && top.due <= horizon; top = this.#heap.peek()) {
      this.#heap.pop();
      if (top.holdUntil <= horizon) this.#lose(top, 'max-hold', 'the lock was held for maxHold ms; renewal stopped');
      else if (top.lostAt <= horizon) this.#lose(top, top.failures > 0 ? 'renewal-failed' : 'expired', 'the lock validity ran out without a confirmed renewal');
      else if (top.autoExtend && top.renewAt <= horizon) {
        const batch = batches.get(top.ctx.nodes);
        if (batch === undefined) batches.set(top.ctx.nodes, [top]);
        else batch.push(top);
      } else this.#schedule(top);
    }
    for (const batch of batches.values()) this.#renew(batch);
    const next = this.#heap.peek();
    if (next !== undefined && this.#timer === undefined) this.#arm(next.due);
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
      lease.validUntil = result.validUntil;
      lease.renewAt = now + lease.ctx.options.ttl * lease.ctx.options.autoExtendFactor;
      this.#schedule(lease);
      lease.owner.renewed(result.validUntil);
    } else if (result.lost) {
      this.#lose(lease, 'renewal-failed', 'a renewal found the lock gone or taken on a quorum');
    } else {
      lease.failures += 1;
      const period = lease.ctx.options.ttl * lease.ctx.options.autoExtendFactor;
      lease.renewAt = now + Math.min(period, FIRST_BACKOFF_MS * 2 ** (lease.failures - 1));
      this.#schedule(lease);
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
