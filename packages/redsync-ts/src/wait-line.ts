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
 */

interface Waiter {
  readonly turn: Turn;
  readonly wake: () => void;
}

/** A caller's place in a {@link WaitLine}, kept across its attempts. */
export interface Turn {
  /** Arrival order: lower goes first. */
  readonly seq: number;
  /**
   * Waits for a wake-up, at most `ms`.
   * @throws `signal.reason` when `signal` aborts while waiting.
   */
  wait(ms: number, signal: AbortSignal | undefined): Promise<void>;
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
      wait: (ms, signal) => this.#wait(turn, ms, signal),
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
    for (const waiter of this.#waiting.splice(0)) waiter.wake();
  }

  #wait(turn: Turn, ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#inFlight === turn) this.#inFlight = undefined;
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    if (this.#pending && this.#inFlight === undefined) {
      this.#pending = false;
      this.#inFlight = turn;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        turn,
        wake: () => {
          settle();
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#remove(waiter);
        settle();
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        this.#remove(waiter);
        signal?.removeEventListener('abort', onAbort);
        resolve();
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
