/** What a cache needs from its Redsync, and the loader type (shared by the cache and its filler). */
import type { Mutex } from '../mutex.js';
import type { RedisNode } from '../node.js';

/** Computes a missing value; gets a signal that aborts when the fill lock is lost or `fillTimeout` passes. */
export type Loader<T> = (signal: AbortSignal) => Promise<T | undefined> | T | undefined;

/** @internal What the cache needs from its Redsync. */
export interface CacheBackend {
  readonly store: RedisNode;
  /** The renewing fill lock of an entry key. */
  fillLock(entryKey: string): Mutex;
  /** The fill lock's Redis key when the store is one of the lock nodes, else undefined. */
  fillLockKeyOnStore(entryKey: string): string | undefined;
  readonly lockTtl: number;
}
