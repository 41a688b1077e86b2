/**
 * What a fill is given and what it returns, shared by the filler (fill.ts) and the waiters
 * (arrival.ts), with the two judgements both make of an entry.
 */
import type { ChannelFeed } from '../channel-feed.js';
import type { Mutex } from '../mutex.js';
import { isTombstone, type Entry } from './envelope.js';
import type { FillAttempt } from './fill-attempt.js';
import type { EntryPolicy, Serializer } from './options.js';
import type { CacheStore } from './store.js';
import type { CacheCounters } from './stats.js';

/** What the cache layer hands a fill. */
export interface FillSetup<T> {
  readonly store: CacheStore;
  readonly feed: ChannelFeed;
  readonly serializer: Serializer<T>;
  readonly counters: CacheCounters;
  /** The fill lock of this key (renewing), and its key when the store is one of its nodes. */
  readonly lock: Mutex;
  readonly lockKeyOnStore: string | undefined;
  /** The fill lock's attempt on the store node, when the store is one of its nodes. */
  readonly attempt: FillAttempt | undefined;
  /**
   * The set where waiters of this key register to be told (cache-attempt.ts), when the store is
   * one of the lock nodes and a standalone server.
   */
  readonly waitersKey: string | undefined;
  /** The fill lock's ttl: how long a waiter waits when it cannot read the holder's. */
  readonly lockTtl: number;
  readonly fillTimeout: number;
  /** Takes the fill lock's release, sent without waiting for it (the cache's close awaits it). */
  readonly releasing: (release: Promise<void>) => void;
}

/** One fill request. */
export interface FillRequest<T> {
  readonly key: string;
  readonly loader: (signal: AbortSignal) => Promise<T | undefined> | T | undefined;
  readonly policy: EntryPolicy;
  /** The expired entry the caller saw, served when the loader fails within `staleIfError`. */
  readonly stale: Entry | undefined;
  /** A background refresh of this entry: give up when another process refreshes, or already did. */
  readonly refreshOf?: Entry;
  /** Only when the fill lock is free (a refresh, a warm-up): someone else's fill is as good. */
  readonly onlyIfFree?: boolean;
  /** Set once the loader was called: after that, no fallback may call it again. */
  loaderCalled?: boolean;
}

/** How a fill ended for its callers. */
export interface FillResult<T> {
  readonly value: T | undefined;
  /** `stale`: the loader failed and an expired value stood in. */
  readonly source: 'loaded' | 'arrived' | 'stale' | 'skipped';
}

/** True when there is nothing to fill: someone filled meanwhile (or refreshed what we meant to). */
export function settled(request: FillRequest<unknown>, current: Entry | undefined, now: number): boolean {
  if (current === undefined || isTombstone(current)) return false;
  if (request.refreshOf !== undefined) return current.stamp !== request.refreshOf.stamp;
  return current.expiresAt > now && (request.stale === undefined || current.stamp !== request.stale.stamp);
}

/** The stale entry that may stand in for a failed load, if its window still covers `now`. */
export function staleStandIn(request: FillRequest<unknown>, now: number): Entry | undefined {
  const { stale, policy } = request;
  if (stale === undefined || isTombstone(stale) || policy.staleIfError <= 0) return undefined;
  return now < stale.expiresAt + policy.staleIfError ? stale : undefined;
}
