/**
 * This process's fills for one cache: each traced when someone listens, falling back to the
 * loader alone when the store or the lock nodes fail before it ran, background refreshes (one
 * per key here, one across the fleet), and the fill locks' releases still on their way.
 */
import { LockError } from '../errors.js';
import { ChannelFeed } from '../channel-feed.js';
import { cacheChannels, traced, type CacheTraceContext } from '../tracing.js';
import type { CacheBackend, Loader } from './backend.js';
import type { Entry } from './envelope.js';
import { CacheStoreError } from './errors.js';
import { FillAttempt } from './fill-attempt.js';
import { fill, type FillRequest, type FillResult, type FillSetup } from './fill.js';
import type { Flights } from './flights.js';
import type { EntryPolicy, ResolvedCacheOptions } from './options.js';
import type { CacheCounters } from './stats.js';
import type { CacheStore } from './store.js';

/** @internal The fill side of a `Cache`: see the module comment. */
export class Filler<T> {
  readonly #backend: CacheBackend;
  readonly #options: ResolvedCacheOptions<T>;
  readonly #store: CacheStore;
  readonly #feed: ChannelFeed;
  readonly #counters: CacheCounters;
  readonly #flights: Flights<T>;
  readonly #refreshing = new Set<string>();
  /** Fill locks' releases on their way (a fill's callers do not wait for them). */
  readonly #releases = new Set<Promise<void>>();
  #warnedDown = false;

  constructor(backend: CacheBackend, options: ResolvedCacheOptions<T>, store: CacheStore, counters: CacheCounters, flights: Flights<T>) {
    this.#backend = backend;
    this.#options = options;
    this.#store = store;
    this.#feed = new ChannelFeed(backend.store, ':filled');
    this.#counters = counters;
    this.#flights = flights;
  }

  /** Waits for the releases on their way, then closes the subscriber connection. */
  async close(): Promise<void> {
    await Promise.all(this.#releases);
    await this.#feed.close();
  }

  /** A fill, falling back to the loader alone when the store or the lock nodes fail before it ran. */
  async fill(request: FillRequest<T>): Promise<FillResult<T>> {
    try {
      return await this.#traceFill(request);
    } catch (error) {
      if (request.loaderCalled === true || request.onlyIfFree === true || !isInfrastructureError(error)) throw error;
      return this.storeDown(error, request.loader);
    }
  }

  /** The loader alone, when the store or the lock nodes failed (the flights keep it one per key here). */
  async storeDown(error: unknown, loader: Loader<T>): Promise<FillResult<T>> {
    this.#counters.storeErrors += 1;
    if (this.#options.onStoreError === 'throw') throw error instanceof CacheStoreError ? error : new CacheStoreError(`the cache could not coordinate the fill: ${String(error)}`, error);
    if (!this.#warnedDown) {
      this.#warnedDown = true;
      process.emitWarning(`the cache store or its lock nodes failed (${error instanceof Error ? error.message : String(error)}); calling loaders directly, one per key in this process`, { code: 'REDSYNC_CACHE_STORE_DOWN' });
    }
    this.#counters.fills += 1;
    return { value: await loader(AbortSignal.timeout(this.#options.fillTimeout)), source: 'loaded' };
  }

  /** One background refresh per key in this process, one across the fleet (the fill lock). */
  refresh(key: string, entryKey: string, loader: Loader<T>, policy: EntryPolicy, entry: Entry): void {
    if (this.#refreshing.has(entryKey) || this.#flights.get(key) !== undefined) return;
    this.#refreshing.add(entryKey);
    const request: FillRequest<T> = { key: entryKey, loader, policy, stale: entry, refreshOf: entry, onlyIfFree: true };
    this.#traceFill(request).then(
      (result) => {
        if (result.source === 'loaded') this.#counters.refreshes += 1;
      },
      () => undefined, // counted where it failed; the entry stays as it was
    ).finally(() => this.#refreshing.delete(entryKey));
  }

  /** One fill, on `redsync-ts:cache-fill` when someone listens. */
  #traceFill(request: FillRequest<T>): Promise<FillResult<T>> {
    const run = (): Promise<FillResult<T>> => fill(this.#setup(request.key), request);
    if (!cacheChannels.fill.hasSubscribers) return run();
    return traced(cacheChannels.fill, (): CacheTraceContext => ({ operation: 'fill', key: request.key }), run, (result) => ({ outcome: result.source }));
  }

  #setup(entryKey: string): FillSetup<T> {
    const backend = this.#backend;
    const { serializer, fillTimeout } = this.#options;
    const releasing = (release: Promise<void>): void => {
      this.#releases.add(release);
      void release.finally(() => this.#releases.delete(release));
    };
    const lockKeyOnStore = backend.fillLockKeyOnStore(entryKey);
    const waitersKey = backend.fillWaitersKeyOnStore(entryKey);
    const attempt = lockKeyOnStore === undefined ? undefined : new FillAttempt(backend.storeIndex, this.#store, entryKey, waitersKey);
    return { store: this.#store, feed: this.#feed, serializer, counters: this.#counters, lock: backend.fillLock(entryKey, attempt), lockKeyOnStore, attempt, waitersKey, lockTtl: backend.lockTtl, fillTimeout, releasing };
  }
}

/** Errors of the store or the lock nodes (not the loader's): a fill may fall back to the loader alone. */
function isInfrastructureError(error: unknown): boolean {
  return error instanceof CacheStoreError || (error instanceof LockError && error.code !== 'LOCK_TAKEN');
}
