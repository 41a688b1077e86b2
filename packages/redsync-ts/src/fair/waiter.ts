import { validUntil } from '../validity.js';
import type { GrantListener } from './grant-line.js';
import type { FairAttempt, FairContext } from './rounds.js';

/** Why a wait ended. */
export type Woke = 'grant' | 'look' | 'timeout';

/**
 * One waiting `acquire()` of a fair lock: when it sent each registration, and per node until when
 * a grant there is surely valid. A grant message names the registration the node had seen last;
 * the node set the key after receiving it, so the key lives at least until that registration's
 * send time plus the ttl: that is the grant's validity, known from the message alone.
 */
export class FairWaiter implements GrantListener {
  readonly #fair: FairContext;
  readonly #sentAt: number[] = [];
  readonly #until: number[];
  #wake: ((why: Woke) => void) | undefined;
  #pending: Woke | undefined;
  /** Since when it has held grants on some nodes, but fewer than a majority. */
  #partialSince: number | undefined;
  /** Grants naming a registration before this one were given back (see `forget`). */
  #firstLiveSeq = 0;
  /** How long this episode of minority grants may last before they are given back. */
  #patience: number | undefined;
  /**
   * Its place in every node's queue: when it asked, on this process's clock (epoch ms with a
   * fraction). Sent with every registration, so the nodes order their waiters alike.
   */
  score: number;
  /** When a round last reached a majority of the nodes (its start, before any did). */
  reachedAt: number;

  constructor(fair: FairContext) {
    this.#fair = fair;
    this.#until = fair.lock.nodes.map(() => Number.NaN);
    this.score = fair.lock.clock();
    this.reachedAt = this.score;
  }

  /** Records the send time of the next registration and returns its number. */
  nextSeq(): number {
    this.#sentAt.push(this.#fair.lock.clock());
    return this.#sentAt.length - 1;
  }

  /** Takes in what an attempt (or refresh) found node by node. */
  merge(attempt: FairAttempt): void {
    attempt.grantedUntil.forEach((until, node) => this.#grant(node, until));
  }

  granted(node: number, seq: number): void {
    const sentAt = this.#sentAt[seq];
    // Not a registration of ours (a stray message), or a grant given back since, still in flight.
    if (sentAt === undefined || seq < this.#firstLiveSeq) return;
    const { ttl, lock } = this.#fair;
    this.#grant(node, validUntil(sentAt, ttl, lock.options.driftFactor));
    this.#signal('grant');
  }

  look(): void {
    this.#signal('look');
  }

  /** Until when a majority of nodes surely hold the key for us, or undefined when they do not. */
  heldUntil(now: number): number | undefined {
    const valid = this.#until.filter((until) => until > now).sort((a, b) => b - a);
    const until = valid[this.#fair.lock.quorum - 1];
    this.#partialSince = valid.length === 0 || until !== undefined ? undefined : (this.#partialSince ?? now);
    return until;
  }

  /**
   * True when grants on a minority of nodes have gone on for a while (queues that diverged): half
   * a waiter lease to one and a half, drawn afresh each time, so that of two waiters that split
   * the nodes between them, one usually gives back first and the other gets what it gave.
   */
  stuck(now: number): boolean {
    if (this.#partialSince === undefined) return false;
    this.#patience ??= this.#fair.waiterLease * (0.5 + Math.random());
    return now - this.#partialSince >= this.#patience;
  }

  /**
   * Forgets its grants, about to give them back: a message for one of them that is still on its
   * way must not bring it back, so grants naming the registrations made so far are ignored.
   * `toTail`: it also gives its place up (it queues again as if it asked now).
   */
  forget(toTail: boolean): void {
    if (toTail) this.score = this.#fair.lock.clock();
    this.#firstLiveSeq = this.#sentAt.length;
    this.#until.fill(Number.NaN);
    this.#partialSince = undefined;
    this.#patience = undefined;
  }

  /** Waits for a grant, a reason to look again, `ms`, or `signal`; at once when one came meanwhile. */
  wait(ms: number, signal: AbortSignal | undefined): Promise<Woke> {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined || signal?.aborted === true) return Promise.resolve(pending ?? 'look');
    return new Promise((resolve) => {
      const done = (why: Woke): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#wake = undefined;
        resolve(why);
      };
      const onAbort = (): void => done('look');
      const timer = setTimeout(() => done('timeout'), Math.max(0, Math.ceil(ms)));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wake = done;
    });
  }

  #grant(node: number, until: number): void {
    if (Number.isNaN(until)) return;
    const current = this.#until[node] ?? Number.NaN;
    if (Number.isNaN(current) || until > current) this.#until[node] = until;
  }

  #signal(why: Woke): void {
    if (this.#wake !== undefined) this.#wake(why);
    else if (this.#pending !== 'grant') this.#pending = why;
  }
}
