import type { RedisNode } from '../node.js';
import { runScript, type Script } from '../script.js';
import { cacheFill, cacheNotify, cacheRead, cacheSet } from '../scripts/index.js';
import type { CacheFillReply } from '../scripts/cache-fill.js';
import type { CacheReadReply } from '../scripts/cache-read.js';
import { cancelDeadline, scheduleDeadline } from '../deadlines.js';
import { CacheStoreError } from './errors.js';

/**
 * The cache's commands to its store, each bounded by `timeout`: a store that hangs (a client
 * queueing offline, a paused server) fails the command instead of the caller.
 */
export class CacheStore {
  readonly node: RedisNode;
  readonly #timeout: number;

  constructor(node: RedisNode, timeout: number) {
    this.node = node;
    this.#timeout = timeout;
  }

  /**
   * The raw entry (null or undefined when there is none): a plain GET where the adapter has one
   * (the hit path), else the read script.
   */
  get(key: string): Promise<string | null | undefined> {
    const { node } = this;
    if (node.get === undefined) return this.read(key).then((reply) => reply.entry);
    let sent: Promise<string | null>;
    try {
      sent = node.get(key);
    } catch (error) {
      sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.bounded('GET', sent);
  }

  /** The entry with the store's clock and, given `lockKey`, the fill lock's pttl on this node. */
  read(key: string, lockKey?: string): Promise<CacheReadReply> {
    return this.#script(cacheRead, lockKey === undefined ? [key] : [key, lockKey], []);
  }

  /**
   * The fenced write of a fill (see cache-fill.ts): with `lock.check`, refused while `lock.key`
   * holds another value; the waiters registered in `lock.waiters` are told.
   */
  fill(key: string, lock: { readonly key: string | undefined; readonly check: boolean; readonly waiters: string | undefined }, stamp: number, lockValue: string, tail: string, px: number, publishWhole: boolean): Promise<CacheFillReply> {
    const keys = lock.key === undefined ? [key] : lock.waiters === undefined ? [key, lock.key] : [key, lock.key, lock.waiters];
    return this.#script(cacheFill, keys, [String(stamp), lockValue, tail, String(px), publishWhole ? '1' : '0', lock.check && lock.key !== undefined ? '1' : '0']);
  }

  /** A direct write, or a tombstone (`publish: '-'`); resolves to its stamp. */
  set(key: string, tail: string, px: number, publish: '1' | '0' | '-', waiters: string | undefined): Promise<string> {
    return this.#script(cacheSet, waiters === undefined ? [key] : [key, waiters], [tail, String(px), publish]);
  }

  /** Tells waiters (those registered in `waiters` too) how a fill ended when it wrote nothing. */
  notify(key: string, message: string, waiters: string | undefined): Promise<number> {
    return this.#script(cacheNotify, waiters === undefined ? [key] : [key, waiters], [message]);
  }

  #script<R>(script: Script<R>, keys: string[], args: string[]): Promise<R> {
    let sent: Promise<R>;
    try {
      sent = runScript(this.node, script, keys, args);
    } catch (error) {
      sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.bounded(script.name, sent);
  }

  /** `sent`, failing with a `CacheStoreError` when the store does not answer `what` within the timeout. */
  bounded<R>(what: string, sent: Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      // The process-wide deadline queue, not a timer per command: the hit path is one GET.
      const deadline = scheduleDeadline(this.#timeout, () => reject(new CacheStoreError(`the cache store did not answer ${what} within ${String(this.#timeout)} ms`)));
      sent.then(
        (value) => {
          cancelDeadline(deadline);
          resolve(value);
        },
        (error: unknown) => {
          cancelDeadline(deadline);
          reject(new CacheStoreError(`the cache store failed ${what}: ${error instanceof Error ? error.message : String(error)}`, error));
        },
      );
    });
  }
}
