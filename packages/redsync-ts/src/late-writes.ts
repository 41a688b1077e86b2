/**
 * Writes that land after their round settled. A client may queue a command while a node is away
 * (a failover, a reconnect) and send it long after the library stopped waiting for it: a SET of an
 * attempt that already failed for good, or of a lock already released, then lands with a fresh
 * ttl, and the key refuses every contender for that long with nobody holding it.
 *
 * Only a node that timed out is heard from late (quorum.ts): a straggler of a round that settled
 * without it answers on the connection our later commands follow it on, so they cover it (on 5
 * nodes, reaping those too cost an extra round per lock: 0.58x the floor's pairs/s with 200
 * workers). Each acquisition's value has a {@link ValueOwner}, which counts the rounds that delete
 * the value (clean-ups, the release) as they start. A timed-out node's 'OK' that comes back before
 * any such round started needs nothing: every deletion still to come covers it. One that comes
 * back after a deletion round started may have landed behind it: then the key is deleted at once
 * if the value is done with (its call gave up, its lock was released), or when it is. Only our own
 * value is ever deleted (compare-and-delete), so a reap can never take anyone else's lock. A layer
 * over the acquire rounds: a reader of the Redlock core can skip it.
 */
import { cleanUpRound, type LockContext } from './lock-ops.js';

/** Reaps are best effort: the key still expires by its ttl when a node cannot be reached. */
const ignore = (): void => undefined;

/** The value of one acquisition, and what landed late for it while it was in use. */
export class ValueOwner {
  /** The acquisition's value: the lock's capability, never logged. */
  readonly value: string;
  /** Rounds that delete the value, started so far; an attempt notes it when it sends. */
  sweeps = 0;
  #retired = false;
  /** The key a late write was reported for while the value was in use (rare). */
  #late: LockContext | undefined;

  constructor(value: string) {
    this.value = value;
  }

  /** A round that deletes the value starts (call it before sending). */
  sweep(): void {
    this.sweeps += 1;
  }

  /**
   * A write of the value for `ctx`'s key, sent when {@link sweeps} was `sentAt`, was answered after
   * its round settled.
   */
  landed(ctx: LockContext, sentAt: number): void {
    if (this.sweeps === sentAt) return; // every deletion round starts after it ran: they delete it
    if (this.#retired) reap(ctx, this.value);
    else this.#late ??= ctx;
  }

  /** The value is no longer used: what landed late for it is deleted now. Idempotent. */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    const late = this.#late;
    this.#late = undefined;
    if (late !== undefined) reap(late, this.value);
  }
}

/** Deletes `value`'s key on every node where it still holds `value` (never throws). */
function reap(ctx: LockContext, value: string): void {
  cleanUpRound(ctx, value).then(ignore, ignore);
}
