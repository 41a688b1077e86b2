/**
 * A fill lock's attempt on the store node that also reads the entry, in one script: see
 * cache-attempt.ts for what it saves.
 */
import type { SetNXStandIn } from '../lock-ops.js';
import type { RedisNode } from '../node.js';
import { runScript, type Operation } from '../script.js';
import { cacheAttempt } from '../scripts/index.js';
import type { CacheAttemptReply } from '../scripts/cache-attempt.js';
import type { CacheReadReply } from '../scripts/cache-read.js';
import type { CacheStore } from './store.js';

/**
 * @internal One fill's stand-in for its lock's `SET NX PX` on the store node: it keeps the reply
 * of its last attempt, so that the filler need not read the entry again.
 */
export class FillAttempt implements SetNXStandIn {
  readonly node: number;
  readonly #store: CacheStore;
  readonly #entryKey: string;
  #last: { readonly value: string; readonly reply: Promise<CacheAttemptReply> } | undefined;

  /** `node`: the store's index among the lock's nodes. */
  constructor(node: number, store: CacheStore, entryKey: string) {
    this.node = node;
    this.#store = store;
    this.#entryKey = entryKey;
  }

  send(node: RedisNode, key: string, value: string, ttlArg: string, attempt: Operation): Promise<'OK' | null> {
    const reply = runScript(node, cacheAttempt, [key, this.#entryKey], [value, ttlArg], attempt);
    this.#last = { value, reply };
    return reply.then((read) => (read === null ? null : 'OK'));
  }

  /**
   * The entry and the store's clock as they were when the attempt of `value` took the key on the
   * store; undefined when it did not take it there, failed, or did not run this script. On several
   * nodes the lock may be won before the store answers: then this waits for it (within the store
   * timeout), which beats a read of its own sent after it.
   */
  async readFor(value: string): Promise<CacheReadReply | undefined> {
    const last = this.#last;
    if (last === undefined || last.value !== value) return undefined;
    return (await this.#store.bounded('cache-attempt', last.reply).catch(() => null)) ?? undefined;
  }
}
