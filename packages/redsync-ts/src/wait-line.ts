/**
 * One process's waiters for one lock key, woken by release notifications.
 *
 * One attempter per process: only the head of the line (the earliest arrival) ever attempts. The
 * others wait in memory until it wins (its holder then hands the lock on in this process, see
 * handoff.ts) or leaves. So one release costs one attempt per waiting process, not one per waiter.
 *
 * When the head attempts next is wait-timing.ts's business; every wait is also bounded by the
 * caller's own deadline (`WaitRequest.until`). A different release heard while the head attempts
 * is kept as one pending wake-up: if the attempt fails, it goes again at once. An echo of the
 * release it answered is not (see `HeadState.recheck`). A win clears the pending wake-up and
 * marks that release as spent: its echoes wake nobody.
 */
import { HandoffChain, YIELD_GRACE_MS, type Reservation } from './handoff-chain.js';
import type { TimedRound } from './lock-ops.js';
import { MAX_TIMER_MS } from './validate.js';
import { headAttemptAt, type Turn, type WaitRequest, type Wake } from './wait-timing.js';

export { MAX_HANDOFFS, MAX_HANDOFF_CHAIN_MS, type HandedLock, type HandoffOffer, type Reservation } from './handoff-chain.js';
export type { Turn, WaitRequest, Wake } from './wait-timing.js';

interface Waiter {
  readonly turn: Turn;
  readonly request: WaitRequest;
  readonly wake: (wake: Wake) => void;
  timer?: NodeJS.Timeout;
  /** Set aside by `reserve`; undefined while waiting normally. */
  reserved?: { cancelled: boolean };
}

export class WaitLine {
  /** Sorted by `seq`. Small in practice: one entry per concurrent waiter of this process. */
  readonly #waiting: Waiter[] = [];
  /** The turn that attempts (woken, or handed a lock) and has not come back yet. */
  #inFlight: Turn | undefined;
  /** The waiter whose timer is armed as the head's. */
  #armed: Waiter | undefined;
  /** A wake-up that found nobody to wake, kept for the next waiter. */
  #pending = false;
  /** The tag of the release the attempt in flight answers, and of the pending wake-up. */
  #wokenBy: string | undefined;
  #pendingTag: string | undefined;
  /** An echo of `#wokenBy` came while the attempt was in flight. */
  #echoed = false;
  /** The last attempt lost after an echo of the release it answered: see `HeadState.recheck`. */
  #recheck = false;
  /** A handoff was refused by the chain's bound: the release that follows yields (see `releasedHere`). */
  #yielding = false;
  /** Tag of the last release heard, and of the last one a win made obsolete. */
  #heard: string | undefined;
  #spent: string | undefined;
  /** Until when the holder's key lives, by the last reading (an attempt's PTTL, or our own win). */
  #holderUntil = Number.NaN;
  #lastLost: TimedRound | undefined;
  /** Feeds (by index) whose subscription for this key is confirmed and still connected. */
  readonly #confirmedOn = new Set<number>();
  readonly #chain = new HandoffChain();
  #members = 0;
  readonly #onEmpty: () => void;

  /** @param onEmpty - called when the last member leaves. */
  constructor(onEmpty: () => void) {
    this.#onEmpty = onEmpty;
  }

  /** True while some turn is in the line. */
  get busy(): boolean {
    return this.#members > 0;
  }

  /** True while some feed's subscription for this key is confirmed. */
  get confirmed(): boolean {
    return this.#confirmedOn.size > 0;
  }

  /** Feed `feed` confirmed the subscription (true), or lost its connection (false). */
  setConfirmed(feed: number, confirmed: boolean): void {
    const before = this.confirmed;
    if (confirmed) this.#confirmedOn.add(feed);
    else this.#confirmedOn.delete(feed);
    if (before !== this.confirmed) this.#refresh(true);
  }

  /** A new turn, at the back of the line. */
  join(seq: number): Turn {
    this.#members += 1;
    let left = false;
    const lastLost = (): TimedRound | undefined => this.#lastLost;
    const turn: Turn = {
      seq,
      get lastLost() {
        return lastLost();
      },
      wait: (request) => this.#wait(turn, request),
      lost: (result, now) => {
        this.#lastLost = result;
        this.#recheck = this.#echoed;
        this.#echoed = false;
        const ttl = result.holderTtl;
        this.#holderUntil = ttl !== undefined && Number.isFinite(ttl) && ttl >= 0 ? now + ttl : Number.NaN;
      },
      won: (validUntil) => {
        this.#pending = false;
        this.#spent = this.#heard;
        this.#holderUntil = validUntil;
        if (this.#inFlight === turn) this.#inFlight = undefined;
        this.#refresh(true);
      },
      leave: () => {
        if (left) return;
        left = true;
        if (this.#inFlight === turn) {
          this.#inFlight = undefined;
          if (this.#pending) this.notify();
          this.#refresh(false);
        }
        this.#members -= 1;
        if (this.#members === 0) this.#onEmpty();
      },
    };
    return turn;
  }

  /**
   * A holder of this process released (with this tag). A release heard before it belongs to an
   * earlier hold, so a later message with that tag is news, not an echo: a waiter keeps its value
   * across attempts, and the value a failed attempt's clean-up announced can win later and be
   * released for real.
   */
  releasedHere(tag: string): void {
    this.#spent = undefined;
    if (!this.#yielding) {
      this.notify(tag);
      return;
    }
    // The chain of handoffs reached its bound: this release is the other processes' turn. Their
    // heads hear it from Redis (it is announced when anyone waits) and ours does too; ours is
    // woken by us only after YIELD_GRACE_MS, so that it does not start a network hop ahead of
    // theirs. With nobody else waiting, nothing is announced: the grace is all it costs.
    this.#yielding = false;
    this.#chain.reset();
    setTimeout(() => {
      if (this.#heard !== tag) this.notify(tag);
    }, YIELD_GRACE_MS);
  }

  /**
   * A release was heard (with its tag), or may have been missed (no tag): wake the head, or keep
   * the wake-up pending. Kept even while nobody is in the line: a first attempt joins the line
   * only once its replies are in, and the release it lost to may be heard before that.
   */
  notify(tag?: string): void {
    this.#chain.reset();
    if (tag !== undefined) {
      if (tag === this.#spent) return;
      this.#heard = tag;
      // The release that woke the attempt in flight, heard from a slower node: see `#recheck`.
      if (this.#inFlight !== undefined && tag === this.#wokenBy) {
        this.#echoed = true;
        return;
      }
    }
    const head = this.#inFlight === undefined ? this.#waiting[0] : undefined;
    if (head === undefined) {
      this.#pending = true;
      this.#pendingTag = tag;
      return;
    }
    this.#pending = false;
    this.#wokenBy = tag;
    this.#start(head, 'attempt');
  }

  /** Wakes every waiter to attempt (the notifier is closing); no subscription is confirmed after. */
  wakeAll(): void {
    this.#confirmedOn.clear();
    for (const waiter of [...this.#waiting]) this.#end(waiter, 'attempt');
  }

  /**
   * Sets aside the earliest waiter that offered to take the lock, for a handoff; undefined when
   * there is none, or when the chain of handoffs since the last real release is at its bound.
   */
  reserve(): Reservation | undefined {
    const at = this.#waiting.findIndex((w) => w.request.offer !== undefined);
    const waiter = this.#waiting[at];
    const offer = waiter?.request.offer;
    if (waiter === undefined || offer === undefined) return undefined;
    if (!this.#chain.admit(waiter.request.clock())) {
      this.#yielding = true;
      return undefined;
    }
    const reserved = { cancelled: false };
    waiter.reserved = reserved;
    // Like a woken waiter: notifications meanwhile are kept for after the handoff. Its timer does
    // not end a reserved wait: the handoff in flight does, bounded by its per-node timeout.
    this.#start(waiter, undefined);
    return {
      offer,
      deliver: (grant) => {
        if (reserved.cancelled) return false;
        waiter.wake(grant ?? 'attempt');
        return true;
      },
    };
  }

  #wait(turn: Turn, request: WaitRequest): Promise<Wake> {
    if (this.#inFlight === turn) this.#inFlight = undefined;
    const { signal } = request;
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    if (this.#pending && this.#inFlight === undefined) {
      this.#pending = false;
      this.#wokenBy = this.#pendingTag;
      this.#echoed = false;
      this.#inFlight = turn;
      return Promise.resolve('attempt');
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        // A reserved waiter is out of the line already; its handoff's owner releases what it took.
        if (waiter.reserved !== undefined) waiter.reserved.cancelled = true;
        else this.#end(waiter, undefined);
        reject(signal?.reason as Error);
      };
      const waiter: Waiter = {
        turn,
        request,
        wake: (wake) => {
          clearTimeout(waiter.timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(wake);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let at = this.#waiting.length;
      while (at > 0 && (this.#waiting[at - 1] as Waiter).turn.seq > turn.seq) at -= 1;
      this.#waiting.splice(at, 0, waiter);
      this.#arm(waiter, false);
      this.#refresh(false);
    });
  }

  /** Takes `waiter` out of the line as the one that attempts now; wakes it unless it is reserved. */
  #start(waiter: Waiter, wake: Wake | undefined): void {
    this.#recheck = false;
    this.#echoed = false;
    this.#remove(waiter);
    this.#inFlight = waiter.turn;
    if (wake !== undefined) waiter.wake(wake);
    this.#refresh(false);
  }

  /** Takes `waiter` out of the line, waking it with `wake` (none: it was aborted). */
  #end(waiter: Waiter, wake: Wake | undefined): void {
    this.#remove(waiter);
    if (wake === undefined) clearTimeout(waiter.timer);
    else waiter.wake(wake);
    this.#refresh(false);
  }

  #remove(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    const at = this.#waiting.indexOf(waiter);
    if (at !== -1) this.#waiting.splice(at, 1);
  }

  /** Re-arms the timers when the head changed (or, with `force`, when its bound did). */
  #refresh(force: boolean): void {
    const head = this.#inFlight === undefined ? this.#waiting[0] : undefined;
    if (head === this.#armed && !force) return;
    const before = this.#armed;
    this.#armed = head;
    if (before !== undefined && before !== head && this.#waiting.includes(before)) this.#arm(before, false);
    if (head !== undefined) this.#arm(head, true);
  }

  /**
   * A waiter's timer: the head attempts when the holder's key should have expired (with a
   * confirmed subscription) or after the retry delay (without); everyone looks at `until`.
   */
  #arm(waiter: Waiter, head: boolean): void {
    clearTimeout(waiter.timer);
    const { clock, poll, until } = waiter.request;
    const now = clock();
    const attemptAt = head ? headAttemptAt(now, poll, { confirmed: this.confirmed, holderUntil: this.#holderUntil, recheck: this.#recheck }) : Number.POSITIVE_INFINITY;
    const wake: Wake = attemptAt < until ? 'attempt' : 'look';
    const at = Math.min(attemptAt, until);
    // Beyond what a timer can hold (an endless wait, a holder without expiry): no timer at all.
    if (at - now > MAX_TIMER_MS) return;
    waiter.timer = setTimeout(() => {
      if (wake === 'attempt') {
        this.#wokenBy = undefined; // answering no release: every message is news
        this.#start(waiter, 'attempt');
      } else this.#end(waiter, 'look');
    }, Math.max(0, at - now));
  }


}
