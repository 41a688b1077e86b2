/**
 * The types a handoff passes between a releasing holder and a waiter of the same process, and the
 * bound on handoff chains. Waiters of other processes are woken only by real releases (a handoff
 * publishes nothing), so a chain of handoffs keeps them waiting: it is bounded by count and by
 * time, and a release heard from Redis starts a new one.
 */
import type { ValueOwner } from './late-writes.js';
import type { LockContext } from './lock-ops.js';

/** Consecutive handoffs within a process before a release must go through Redis again. */
export const MAX_HANDOFFS = 16;

/**
 * How long a chain of handoffs may go on before a release must go through Redis again, in ms:
 * with long holds the count alone would let one process keep the lock for several holds while
 * the other processes' waiters, which only a real release wakes, wait.
 */
export const MAX_HANDOFF_CHAIN_MS = 50;

/**
 * How long after a yielding release (a chain at its bound) the releasing process wakes its own
 * head. Other processes' heads hear the release from Redis within a round trip and attempt; ours
 * starts after them. Alone on the key, a chain of 16 handoffs or 50 ms pays this once.
 */
export const YIELD_GRACE_MS = 2;

/** What a waiter accepts instead of a wake-up: the lock, under its own value and options. */
export interface HandoffOffer {
  readonly ctx: LockContext;
  readonly value: string;
}

/**
 * A lock handed to a waiter: held under `value` (the waiter's own after a transfer, the holder's
 * when it was passed on in memory) until `validUntil`, on the context's clock.
 */
export interface HandedLock {
  readonly value: string;
  readonly validUntil: number;
  /** Clock reading when the waiter's hold began (the start of the transfer round, or the pass). */
  readonly start: number;
  /** A lock passed on as it was: its value's owner, which the next holder's lock carries on. */
  readonly owner?: ValueOwner | undefined;
}

/** A waiter set aside for a handoff: it sleeps until `deliver` says how the handoff went. */
export interface Reservation {
  readonly offer: HandoffOffer;
  /**
   * Ends the reservation: with a lock, the waiter holds it; with undefined, it makes
   * an attempt of its own at once. False when the waiter is gone (it aborted meanwhile): then the
   * caller must release what it handed over.
   */
  deliver(grant: HandedLock | undefined): boolean;
}

/** Handoffs since the last real release: how many, and when the first was. */
export class HandoffChain {
  #count = 0;
  #since = 0;

  /** A real release was heard: the next handoff starts a new chain. */
  reset(): void {
    this.#count = 0;
  }

  /** True (and counted) when one more handoff fits in the chain at `now`. */
  admit(now: number): boolean {
    if (this.#count === 0) this.#since = now;
    else if (this.#count >= MAX_HANDOFFS || now - this.#since >= MAX_HANDOFF_CHAIN_MS) return false;
    this.#count += 1;
    return true;
  }
}
