/**
 * A fill lock's attempt on the store node that also reads the entry, and registers a losing
 * caller as a waiter, in one script: see cache-attempt.ts for what it saves.
 */
import type { Ticket } from '../channel-feed.js';
import type { SetNXStandIn } from '../lock-ops.js';
import type { RedisNode } from '../node.js';
import { runScript, type Operation } from '../script.js';
import { cacheAttempt } from '../scripts/index.js';
import type { CacheAttemptReply } from '../scripts/cache-attempt.js';
import type { CacheReadReply } from '../scripts/cache-read.js';
import type { CacheStore } from './store.js';

/**
 * @internal One fill's stand-in for its lock's `SET NX PX` on the store node: it keeps the reply
 * of its last attempt, so that neither the filler nor a waiter need read the entry again.
 */
export class FillAttempt implements SetNXStandIn {
  readonly node: number;
  readonly #store: CacheStore;
  readonly #entryKey: string;
  /** The set waiters register in, when this store can tell them (a standalone server). */
  readonly #waitersKey: string | undefined;
  #ticket: Ticket | undefined;
  #last: { readonly value: string; readonly reply: Promise<CacheAttemptReply> } | undefined;

  /** `node`: the store's index among the lock's nodes. */
  constructor(node: number, store: CacheStore, entryKey: string, waitersKey: string | undefined) {
    this.node = node;
    this.#store = store;
    this.#entryKey = entryKey;
    this.#waitersKey = waitersKey;
  }

  /** Whom the next attempt registers as a waiter should it lose, if anyone. */
  registerAs(ticket: Ticket | undefined): void {
    this.#ticket = this.#waitersKey === undefined ? undefined : ticket;
    this.#last = undefined; // what an earlier attempt found is not what this one will
  }

  send(node: RedisNode, key: string, value: string, ttlArg: string, attempt: Operation): Promise<'OK' | null> {
    const ticket = this.#ticket;
    const waiters = this.#waitersKey;
    const reply =
      ticket === undefined || waiters === undefined
        ? runScript(node, cacheAttempt, [key, this.#entryKey], [value, ttlArg], attempt)
        : runScript(node, cacheAttempt, [key, this.#entryKey, waiters, ticket.channel], [value, ttlArg, String(ticket.id)], attempt);
    this.#last = { value, reply };
    return reply.then((answer) => (answer.won ? 'OK' : null));
  }

  /**
   * The entry and the store's clock as they were when the attempt of `value` took the key on the
   * store; undefined when it did not take it there, failed, or did not run this script. On several
   * nodes the lock may be won before the store answers: then this waits for it (within the store
   * timeout), which beats a read of its own sent after it.
   */
  readFor(value: string): Promise<CacheReadReply | undefined> {
    return this.#lastRead(value, true);
  }

  /**
   * What the last attempt found on the store when the key was held there (the entry and the
   * holder's pttl; the ticket it was given is then registered); undefined when it took the key,
   * failed, or did not run this script.
   */
  heldRead(): Promise<CacheReadReply | undefined> {
    return this.#lastRead(this.#last?.value, false);
  }

  async #lastRead(value: string | undefined, won: boolean): Promise<CacheReadReply | undefined> {
    const last = this.#last;
    if (last === undefined || last.value !== value) return undefined;
    const answer = await this.#store.bounded('cache-attempt', last.reply).catch(() => undefined);
    return answer !== undefined && answer.won === won ? answer.read : undefined;
  }
}
