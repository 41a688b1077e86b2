/**
 * One process's waiters for one lock key, woken by release notifications.
 *
 * Herd control: a notification wakes exactly one waiter of the process (the earliest arrival), so
 * one release costs one attempt per waiting process, not one per waiter. While that waiter is
 * attempting, later notifications (the same release heard from the other nodes, or a release
 * that raced its attempt) are kept as one pending wake-up: if its attempt fails, it goes again at
 * once instead of sleeping through a release it already heard (it may have reached a node before
 * the release did). A win clears the pending wake-up, since the lock is held again, and marks that
 * release as spent: its echoes from slower nodes wake nobody.
 *
 * Every wait is also bounded by a timer, because notifications can be lost (reconnects, expiry
 * instead of release, a release before the subscription was confirmed): nothing here can make a
 * waiter wait longer than the bound its caller chose.
 *
 * Handoff: a holder of this process that releases the key can instead hand the lock to the
 * earliest waiter that offered to take it ({@link WaitLine.reserve}): passed on as it is, or
 * transferred in one round trip (see handoff.ts). At most {@link MAX_HANDOFFS} handoffs follow each other before a real release,
 * so that waiters of other processes, woken only by real releases, get their turn.
 */

import type { LockContext } from './lock-ops.js';

/** Consecutive handoffs within a process before a release must go through Redis again. */
export const MAX_HANDOFFS = 4;

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

interface Waiter {
  readonly turn: Turn;
  readonly offer: HandoffOffer | undefined;
  readonly wake: (grant?: HandedLock) => void;
  /** Set aside by `reserve`; undefined while waiting normally. */
  reserved?: { cancelled: boolean };
}

/** A caller's place in a {@link WaitLine}, kept across its attempts. */
export interface Turn {
  /** Arrival order: lower goes first. */
  readonly seq: number;
  /**
   * Waits for a wake-up, at most `ms`. With an `offer`, a holder of this process may hand the lock
   * over instead: then the promise resolves with that lock, and the caller holds it.
   * @throws `signal.reason` when `signal` aborts while waiting.
   */
  wait(ms: number, signal: AbortSignal | undefined, offer?: HandoffOffer): Promise<HandedLock | undefined>;
  /** The caller's attempt won: pending wake-ups are obsolete. */
  won(): void;
  /** The caller stops waiting (won, gave up or aborted). Idempotent. */
  leave(): void;
}

export class WaitLine {
  /** Sorted by `seq`. Small in practice: one entry per concurrent waiter of this process. */
  readonly #waiting: Waiter[] = [];
  /** The turn woken by a notification whose attempt has not come back yet. */
  #inFlight: Turn | undefined;
  /** A wake-up that found nobody to wake, kept for the next waiter. */
  #pending = false;
  /** Tag of the last release heard, and of the last one a win made obsolete. */
  #heard: string | undefined;
  #spent: string | undefined;
  #members = 0;
  /** Handoffs since the last real release. */
  #handoffs = 0;
  readonly #onEmpty: () => void;

  /** @param onEmpty - called when the last member leaves. */
  constructor(onEmpty: () => void) {
    this.#onEmpty = onEmpty;
  }

  /** True while some turn is in the line. */
  get busy(): boolean {
    return this.#members > 0;
  }

  /** A new turn, at the back of the line. */
  join(seq: number): Turn {
    this.#members += 1;
    let left = false;
    const turn: Turn = {
      seq,
      wait: (ms, signal, offer) => this.#wait(turn, ms, signal, offer),
      won: () => {
        this.#pending = false;
        this.#spent = this.#heard;
        if (this.#inFlight === turn) this.#inFlight = undefined;
      },
      leave: () => {
        if (left) return;
        left = true;
        if (this.#inFlight === turn) {
          this.#inFlight = undefined;
          if (this.#pending) this.notify();
        }
        this.#members -= 1;
        if (this.#members === 0) this.#onEmpty();
      },
    };
    return turn;
  }

  /**
   * A release was heard (with its tag), or may have been missed (no tag): wake the earliest
   * waiter, or keep the wake-up pending.
   */
  notify(tag?: string): void {
    this.#handoffs = 0;
    if (tag !== undefined) {
      if (tag === this.#spent) return;
      this.#heard = tag;
    }
    if (this.#inFlight !== undefined) {
      this.#pending = true;
      return;
    }
    const head = this.#waiting.shift();
    if (head === undefined) {
      this.#pending = true;
      return;
    }
    this.#pending = false;
    this.#inFlight = head.turn;
    head.wake();
  }

  /** Wakes every waiter (the notifier is closing): they fall back to their timers afterwards. */
  wakeAll(): void {
    for (const waiter of this.#waiting.splice(0)) waiter.wake(undefined);
  }

  /**
   * Sets aside the earliest waiter that offered to take the lock, for a handoff; undefined when
   * there is none, or when {@link MAX_HANDOFFS} handoffs in a row already happened.
   */
  reserve(): Reservation | undefined {
    if (this.#handoffs >= MAX_HANDOFFS) return undefined;
    const at = this.#waiting.findIndex((w) => w.offer !== undefined);
    const waiter = this.#waiting[at];
    if (waiter?.offer === undefined) return undefined;
    this.#waiting.splice(at, 1);
    this.#handoffs += 1;
    const reserved = { cancelled: false };
    waiter.reserved = reserved;
    // Like a woken waiter: notifications meanwhile are kept for after the handoff.
    this.#inFlight = waiter.turn;
    return {
      offer: waiter.offer,
      deliver: (grant) => {
        if (reserved.cancelled) return false;
        waiter.wake(grant);
        return true;
      },
    };
  }

  #wait(turn: Turn, ms: number, signal: AbortSignal | undefined, offer: HandoffOffer | undefined): Promise<HandedLock | undefined> {
    if (this.#inFlight === turn) this.#inFlight = undefined;
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    if (this.#pending && this.#inFlight === undefined) {
      this.#pending = false;
      this.#inFlight = turn;
      return Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        turn,
        offer,
        wake: (grant) => {
          settle();
          resolve(grant);
        },
      };
      const onAbort = (): void => {
        // A reserved waiter is out of the line already; its handoff's owner releases what it took.
        if (waiter.reserved !== undefined) waiter.reserved.cancelled = true;
        else this.#remove(waiter);
        settle();
        reject(signal?.reason as Error);
      };
      // The timer does not end a reserved wait: the handoff in flight ends it, bounded by its
      // per-node timeout, and a second attempt of ours meanwhile could collide with it.
      const timer = setTimeout(() => {
        if (waiter.reserved !== undefined) return;
        this.#remove(waiter);
        signal?.removeEventListener('abort', onAbort);
        resolve(undefined);
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#insert(waiter);
    });
  }

  #insert(waiter: Waiter): void {
    let at = this.#waiting.length;
    while (at > 0 && (this.#waiting[at - 1] as Waiter).turn.seq > waiter.turn.seq) at -= 1;
    this.#waiting.splice(at, 0, waiter);
  }

  #remove(waiter: Waiter): void {
    const at = this.#waiting.indexOf(waiter);
    if (at !== -1) this.#waiting.splice(at, 1);
  }
}
