/** What a cache needs from its Redsync, and the loader type (shared by the cache and its filler). */
import type { Mutex } from '../mutex.js';
import type { RedisNode } from '../node.js';
import type { FillAttempt } from './fill-attempt.js';

/** Computes a missing value; gets a signal that aborts when the fill lock is lost or `fillTimeout` passes. */
export type Loader<T> = (signal: AbortSignal) => Promise<T | undefined> | T | undefined;

/** @internal What the cache needs from its Redsync. */
export interface CacheBackend {
  readonly store: RedisNode;
  /**
   * The renewing fill lock of an entry key; `attempt`, when given, stands in for its `SET NX` on
   * the store node (`storeIndex`).
   */
  fillLock(entryKey: string, attempt?: FillAttempt): Mutex;
  /** The store's index among the lock nodes, or -1 when it is not one of them. */
  readonly storeIndex: number;
  /** The fill lock's Redis key when the store is one of the lock nodes, else undefined. */
  fillLockKeyOnStore(entryKey: string): string | undefined;
  /**
   * Where waiters of an entry register to be told of its fill (cache-attempt.ts), when the store
   * is one of the lock nodes and a standalone server; else undefined.
   */
  fillWaitersKeyOnStore(entryKey: string): string | undefined;
  readonly lockTtl: number;
}
