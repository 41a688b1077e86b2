import type { KeeperTask } from '../lease.js';
import { leaseKeeper } from '../lease-keeper.js';
import type { LockContext } from '../lock-ops.js';
import type { LeaseOps } from './permit.js';

/** The first retry after a failed renewal; doubles each time, never more than the period. */
const FIRST_BACKOFF_MS = 25;

/**
 * The lease operations of a primitive's holds: its nodes and clock, the votes an extend or a
 * release needs (a majority unless `votes` says otherwise), its rounds, and its renewal period.
 */
export function leaseOps(lock: LockContext, ttl: number, autoExtend: boolean, rounds: Pick<LeaseOps, 'extend' | 'release'> & { name?: string; votes?: number }): LeaseOps {
  return {
    name: rounds.name ?? lock.name,
    clock: lock.clock,
    nodeCount: lock.nodes.length,
    votes: rounds.votes ?? lock.quorum,
    extend: rounds.extend,
    release: rounds.release,
    renewEvery: renewEvery(lock, ttl, autoExtend),
  };
}

/** The renewal period of a hold of `ttl` ms with `autoExtend` (0 without: never renewed). */
export function renewEvery(lock: LockContext, ttl: number, autoExtend: boolean): number {
  return autoExtend ? Math.max(1, Math.floor(ttl * lock.options.autoExtendFactor)) : 0;
}

/** What a renewal asks of the hold it renews. */
export interface Renewable {
  /** One extend round: renewed, lost for good (the hold ends), or worth another try. */
  renewOnce(): Promise<'renewed' | 'lost' | 'retry'>;
}

/**
 * The renewal of one permit (or read, write, multi or fair hold) with `autoExtend`: every
 * `period` ms on the process's lease keeper (one timer for every lock and permit), and after a
 * failed round again after a short backoff, until the hold is released or lost.
 */
export class PermitRenewal implements KeeperTask {
  due = 0;
  heapIndex = -1;
  readonly #hold: Renewable;
  readonly #period: number;
  #failures = 0;
  #stopped = false;

  constructor(hold: Renewable, period: number) {
    this.#hold = hold;
    this.#period = period;
    leaseKeeper.schedule(this, leaseKeeper.now() + period);
  }

  stop(): void {
    this.#stopped = true;
    leaseKeeper.cancel(this);
  }

  fire(): void {
    if (this.#stopped) return;
    this.#hold.renewOnce().then(
      (outcome) => {
        if (this.#stopped || outcome === 'lost') return;
        this.#failures = outcome === 'renewed' ? 0 : this.#failures + 1;
        const next = this.#failures === 0 ? this.#period : Math.min(this.#period, FIRST_BACKOFF_MS * 2 ** (this.#failures - 1));
        leaseKeeper.schedule(this, leaseKeeper.now() + next);
      },
      () => undefined, // renewOnce settles every failure itself; a defect must not escape a timer
    );
  }
}
