import { Cohort, type CohortRenewal } from './cohort.js';
import { LockLostError, type LockLostReason } from './errors.js';
import { MinHeap } from './min-heap.js';
import { Lease, type KeeperTask } from './lease.js';
import type { RedisNode } from './node.js';
import { MAX_TIMER_MS } from './validate.js';
import { monotonicNow, validUntil } from './validity.js';
import { renewalChannel } from './tracing.js';

type Entry = Lease | Cohort<Lease> | KeeperTask;

/** Deadlines may be acted on this many ms early, to share a timer wake-up. */
const BATCH_WINDOW_MS = 5;
/** A lock joins a cohort whose renewal is due at most this share of a period before its own. */
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
  // Unref'd: a held lock alone should not keep a process alive.
  setTimer: (fire, ms) => setTimeout(fire, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The one scheduler for every held lock in the process: a heap of what falls due next (a cohort's
 * renewal or validity end, a lease's maxHold or validity deadline) and a single timer for its top.
 */
export class LeaseKeeper {
  readonly #heap = new MinHeap<Entry>();
  readonly #clock: KeeperClock;
  /** The cohort new locks may join, per node set and options. */
  readonly #open = new Map<readonly RedisNode[], Map<string, Cohort<Lease>>>();
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(clock: KeeperClock = realClock) {
    this.#clock = clock;
  }

  /** Entries waiting in the heap (cohorts and deadline-watching leases). */
  get size(): number {
    return this.#heap.size;
  }

  now(): number {
    return this.#clock.now();
  }

  /**
   * Starts watching a lease: renewing it until `holdUntil` (acquisition + maxHold, Infinity for
   * no limit) when `autoExtend`, else only aborting it at its validity deadline.
   */
  keep(lease: Lease, autoExtend: boolean, holdUntil: number): void {
    if (autoExtend) {
      this.#join(lease);
      if (Number.isFinite(holdUntil)) this.#push(lease, holdUntil);
    } else this.#push(lease, lease.owner.validUntil);
  }

  /** The owner's validity changed from outside (an explicit extend): move its watch deadline. */
  update(lease: Lease): void {
    if (lease.cohort !== undefined || lease.heapIndex < 0) return;
    this.#heap.remove(lease);
    this.#push(lease, lease.owner.validUntil);
  }

  /** Runs `task.fire()` at `at` (on the keeper's clock), or moves it there when already scheduled. */
  schedule(task: KeeperTask, at: number): void {
    this.#heap.remove(task);
    this.#push(task, at);
  }

  /** Takes `task` off the schedule (nothing when it is not on it). */
  cancel(task: KeeperTask): void {
    this.#heap.remove(task);
  }

  /** Stops watching; resolves once a renewal in flight (if any) has finished. */
  async forget(lease: Lease): Promise<void> {
    const cohort = lease.cohort;
    this.#detach(lease);
    await cohort?.inFlight;
  }

  #join(lease: Lease): void {
    const { ctx } = lease;
    const { ttl, autoExtendFactor, driftFactor } = ctx.options;
    const period = ttl * autoExtendFactor;
    // Due a period after the key was last set, judged by the validity left: a lock passed on by
    // a holder of this process (see handoff.ts) is renewed as soon as it is a period old, so that
    // it keeps the rest of its ttl for retries, as a fresh one does.
    const renewAt = Math.min(this.now() + period, lease.owner.validUntil - validUntil(0, ttl, driftFactor) + period);
    const group = ctx.renewalGroup;
    let cohorts = this.#open.get(ctx.nodes);
    if (cohorts === undefined) {
      cohorts = new Map<string, Cohort<Lease>>();
      this.#open.set(ctx.nodes, cohorts);
    }
    let cohort = cohorts.get(group);
    // Join only a waiting cohort whose renewal falls a little before this lock's own.
    if (cohort === undefined || cohort.heapIndex < 0 || cohort.due > renewAt || cohort.due < renewAt - period * EARLY_RENEWAL_SHARE) {
      cohort = new Cohort<Lease>(ctx, lease.owner.validUntil);
      cohorts.set(group, cohort);
      this.#push(cohort, Math.min(renewAt, cohort.lostAt));
    }
    cohort.add(lease, lease.owner.validUntil);
    lease.cohort = cohort;
  }

  #push(entry: Entry, due: number): void {
    entry.due = due;
    this.#heap.push(entry);
    if (due < this.#timerAt) this.#arm(due);
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimer(() => {
      this.#tick();
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - this.now())));
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const horizon = this.now() + BATCH_WINDOW_MS;
    for (let top = this.#heap.peek(); top !== undefined && top.due <= horizon; top = this.#heap.peek()) {
      this.#heap.pop();
      if (top instanceof Cohort) {
        if (top.lostAt <= horizon) this.#loseCohort(top);
        else this.#renew(top);
      } else if (!(top instanceof Lease)) fireTask(top);
      else if (top.cohort !== undefined) this.#lose(top, 'max-hold', 'the lock was held for maxHold ms; renewal stopped');
      else this.#lose(top, 'expired', 'the lock validity ran out');
    }
    const next = this.#heap.peek();
    if (next !== undefined && this.#timer === undefined) this.#arm(next.due);
  }

  #renew(cohort: Cohort<Lease>): void {
    cohort.inFlight = cohort.renew(() => this.now()).then(
      (renewal) => {
        this.#settle(cohort, renewal);
      },
      () => undefined, // renew never rejects; a defect must still not escape a timer
    );
  }

  #settle(cohort: Cohort<Lease>, renewal: CohortRenewal): void {
    const toLose: Lease[] = [];
    // Confirmed on a quorum is confirmed, even where a minority lacks the key (a node restarted
    // empty, a split vote): that is the fault renewals exist to ride out. Members read the
    // cohort's validity; only a partial outcome needs per-member work.
    let allConfirmed = true;
    for (let slot = 0; !renewal.all && slot < renewal.confirmed.length; slot++) {
      const member = cohort.members[slot];
      if (member === undefined || member.cohort !== cohort) continue;
      if (renewal.lost[slot] === true) toLose.push(member);
      else if (renewal.confirmed[slot] === true) member.owner.renewed(renewal.validUntil);
      else allConfirmed = false;
    }
    for (const member of toLose) this.#lose(member, 'renewal-failed', 'a renewal found the lock gone or taken on a quorum');
    if (renewalChannel.hasSubscribers) renewalChannel.publish({ locks: cohort.members.length, confirmed: renewal.all ? cohort.members.length : renewal.confirmed.filter(Boolean).length, lost: toLose.length, nodes: cohort.ctx.nodes.length });
    cohort.inFlight = undefined;
    cohort.settleRemovals();
    if (cohort.members.length === 0) return;
    const now = this.now();
    let next: number;
    if (allConfirmed) {
      cohort.failures = 0;
      cohort.validUntil = renewal.validUntil;
      next = now + cohort.period;
    } else {
      cohort.failures += 1;
      next = now + Math.min(cohort.period, FIRST_BACKOFF_MS * 2 ** (cohort.failures - 1));
    }
    this.#push(cohort, Math.min(next, cohort.lostAt));
  }

  /**
   * The cohort's shared validity ran out. Members that a partial renewal confirmed on their own
   * (see `#settle`) still have validity of their own: they stay, and are renewed at once.
   */
  #loseCohort(cohort: Cohort<Lease>): void {
    const reason: LockLostReason = cohort.failures > 0 ? 'renewal-failed' : 'expired';
    const horizon = this.now() + BATCH_WINDOW_MS + cohort.ctx.timeout;
    let survivorsUntil = Number.POSITIVE_INFINITY;
    for (const member of [...cohort.members]) {
      const until = member.owner.validUntil;
      if (until <= horizon) this.#lose(member, reason, 'the lock validity ran out without a confirmed renewal');
      else survivorsUntil = Math.min(survivorsUntil, until);
    }
    if (cohort.members.length === 0) return;
    cohort.validUntil = survivorsUntil;
    this.#renew(cohort);
  }

  /** Forgets `lease` everywhere: its heap entry, its cohort (and the cohort, once empty). */
  #detach(lease: Lease): void {
    this.#heap.remove(lease);
    const cohort = lease.cohort;
    lease.cohort = undefined;
    if (cohort !== undefined) {
      cohort.remove(lease);
      if (cohort.members.length === 0 && cohort.inFlight === undefined) this.#heap.remove(cohort);
    }
    if (this.#heap.size === 0 && this.#timer !== undefined) {
      this.#clock.clearTimer(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
    }
  }

  #lose(lease: Lease, reason: LockLostReason, message: string): void {
    try {
      // Told while still in its cohort, so the owner can keep what the cohort last confirmed.
      lease.owner.lost(new LockLostError(message, reason));
    } catch {
      // An owner callback must not throw; if one does, it must not escape the keeper's timer.
    } finally {
      this.#detach(lease);
    }
  }
}

function fireTask(task: KeeperTask): void {
  try {
    task.fire();
  } catch {
    // A task must not throw; if one does, it must not escape the keeper's timer.
  }
}

/** The process-wide keeper every lock uses. */
export const leaseKeeper = new LeaseKeeper();

/**
 * Stops renewing `lease` and waits for the rounds in flight for its value (a renewal, an explicit
 * `extend` passed as `extending`) to settle, so that every command they still send goes out before
 * the release and lands before it on each node's connection: a lock never comes back after its
 * release. Undefined when nothing is in flight (the usual case: no promise hop).
 */
export function quiesce(lease: Lease | undefined, extending: Promise<unknown> | undefined): Promise<unknown> | undefined {
  const renewal = lease === undefined ? undefined : leaseKeeper.forget(lease);
  const settled = extending?.catch(() => undefined);
  if (settled === undefined) return renewal;
  return renewal === undefined ? settled : Promise.all([renewal, settled]);
}
