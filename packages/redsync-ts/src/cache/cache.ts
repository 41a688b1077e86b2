import { LockError } from '../errors.js';
import { cacheChannels, traced, type CacheTraceContext } from '../tracing.js';
import type { Mutex } from '../mutex.js';
import type { RedisNode } from '../node.js';
import { checkFunction, checkName } from '../validate.js';
import { decodeEntry, envelopeTail, isTombstone, jittered, shouldRefreshEarly, TOMBSTONE_TAIL, type Entry } from './envelope.js';
import { withCallerLimits } from './caller-limits.js';
import { CacheStoreError } from './errors.js';
import { encodeValue, fill, type FillRequest, type FillResult, type FillSetup } from './fill.js';
import { ChannelFeed } from '../channel-feed.js';
import { resolveEntryPolicy, resolveGetOptions, type CacheEntryOptions, type CacheGetOptions, type EntryPolicy, type ResolvedCacheOptions } from './options.js';
import { newCounters, snapshot, type CacheStats } from './stats.js';
import { Flights, SharedReads, type SharedRead } from './flights.js';
import { CacheStore } from './store.js';
import { warmKeys, type WarmLoader, type WarmOptions, type WarmResult } from './warm.js';

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

/**
 * A cache that cannot stampede: a miss runs its loader once across every process (the others are
 * woken with the value), entries expire over a jittered band, hot entries refresh early (XFetch),
 * and expired ones can stand in while one process refreshes or when the loader fails.
 * Made by `rs.cache()`; see docs/cache.md.
 */
export class Cache<T = unknown> implements AsyncDisposable {
  readonly #options: ResolvedCacheOptions<T>;
  readonly #backend: CacheBackend;
  readonly #store: CacheStore;
  readonly #feed: ChannelFeed;
  readonly #counters = newCounters();
  readonly #flights = new Flights<T>(this.#counters);
  readonly #refreshing = new Set<string>();
  /** Fill locks' releases on their way (a fill's callers do not wait for them). */
  readonly #releases = new Set<Promise<void>>();
  readonly #reads = new SharedReads<T>();
  #warnedDown = false;

  /** @internal Use `rs.cache()`. */
  constructor(backend: CacheBackend, options: ResolvedCacheOptions<T>) {
    this.#backend = backend;
    this.#options = options;
    this.#store = new CacheStore(backend.store, options.storeTimeout);
    this.#feed = new ChannelFeed(backend.store, ':filled');
  }

  /**
   * The value of `key`: from the store when fresh (one GET), else from `loader`, run once for all
   * concurrent callers of every process. A loader that returns undefined is not cached.
   * @throws TypeError / RangeError for a bad key, loader or option, before any I/O.
   * @throws the loader's error (or a `CacheFillError` when it failed in another process), unless
   *   `staleIfError` keeps a value; `CacheTimeoutError` after `options.timeout`; the signal's reason.
   */
  get(key: string, loader: Loader<T>, options?: CacheGetOptions): Promise<T | undefined> {
    let entryKey: string;
    let call: ReturnType<typeof resolveGetOptions>;
    try {
      entryKey = this.#key(key);
      checkFunction('loader', loader);
      call = resolveGetOptions(options, this.#options.policy);
      call.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (!cacheChannels.get.hasSubscribers) return this.#get(entryKey, loader, call.policy, call.signal, call.timeout);
    const context: CacheTraceContext = { operation: 'get', key: entryKey };
    return traced(cacheChannels.get, () => context, () => this.#get(entryKey, loader, call.policy, call.signal, call.timeout, context), () => ({ outcome: context.outcome }));
  }

  /**
   * Writes `value` under `key` now (after the database changed, say). A fill that began before it
   * can no longer overwrite it, and callers waiting for a fill of `key` take this value.
   * @throws TypeError when the serializer cannot encode `value`, before any I/O; `CacheStoreError`.
   */
  async set(key: string, value: T, options?: CacheEntryOptions): Promise<void> {
    const entryKey = this.#key(key);
    const policy = options === undefined ? this.#options.policy : resolveEntryPolicy(options as Record<string, unknown>, this.#options.policy, 'options');
    if (value === undefined) throw new TypeError('value must not be undefined (a loader returning undefined is not cached either)');
    const payload = encodeValue(this.#options.serializer, value);
    const ttl = jittered(policy.ttl, policy.jitter);
    const tail = envelopeTail(Date.now() + ttl, 0, payload);
    await this.#store.set(entryKey, tail, ttl + Math.max(policy.staleWhileRevalidate, policy.staleIfError), tail.length <= 64 * 1024 ? '1' : '0');
    this.#flights.forget(entryKey); // later gets read what was set, not a fill that began before
  }

  /**
   * Removes `key`: it leaves a short-lived tombstone (fill timeout + fill lock ttl) so that a
   * fill already running cannot bring the old value back. @throws CacheStoreError
   */
  async delete(key: string): Promise<void> {
    const entryKey = this.#key(key);
    await this.#store.set(entryKey, TOMBSTONE_TAIL, this.#options.fillTimeout + this.#backend.lockTtl, '-');
    this.#flights.forget(entryKey);
  }

  /**
   * Preloads `keys`: each is loaded by exactly one warmer of the fleet (the others skip it) unless
   * a fresh entry is there, with ttls staggered over `spread` so the batch does not expire at once.
   * A loader's failure is counted, not thrown.
   * @throws TypeError / RangeError for bad arguments, before any I/O.
   */
  warm(keys: readonly string[], loader: WarmLoader<T>, options?: WarmOptions): Promise<WarmResult> {
    return warmKeys(keys, loader, options, this.#options.policy, {
      key: (key) => this.#key(key),
      fill: (request) => this.#fill(request),
    });
  }

  /** This process's counters (hits, misses, fills, stale served, waits, errors) and hit rate. */
  stats(): CacheStats {
    return snapshot(this.#counters);
  }

  /**
   * Waits for the fill locks' releases still on their way, then closes the subscriber connection
   * of arrival notifications; waiters look at the store.
   */
  async close(): Promise<void> {
    await Promise.all(this.#releases);
    await this.#feed.close();
  }

  /** {@link Cache.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #key(key: string): string {
    return this.#options.prefix + checkName('key', key, false);
  }

  /**
   * A `.then` chain rather than async functions: the hit path runs once per get, and the async
   * machinery was a third of its CPU (profile of 200,000 gets on a node answering at once).
   */
  #get(entryKey: string, loader: Loader<T>, policy: EntryPolicy, signal?: AbortSignal, timeout?: number, trace?: CacheTraceContext): Promise<T | undefined> {
    // A fill in flight here: join it without reading (the read would only find the miss again).
    const flying = this.#flights.get(entryKey);
    if (flying !== undefined) {
      this.#counters.misses += 1;
      this.#counters.waits += 1;
      if (trace !== undefined) trace.outcome = 'miss';
      return withCallerLimits(flying, signal, timeout);
    }
    const shared = trace === undefined ? this.#reads.find(entryKey, policy) : undefined;
    if (shared !== undefined) {
      shared.joiners += 1;
      return withCallerLimits(shared.answer, signal, timeout);
    }
    // The callbacks run after `read` below exists: a read settles on a later tick.
    const answer = this.#store.get(entryKey).then(
      (raw) => {
        this.#reads.done(entryKey, read);
        return this.#answer(entryKey, raw, loader, policy, 1 + read.joiners, trace);
      },
      (error: unknown) => {
        this.#reads.done(entryKey, read);
        if (trace !== undefined) trace.outcome = 'fallback';
        return this.#flights.join(entryKey, () => this.#storeDown(error, loader), 1 + read.joiners);
      },
    );
    const read: SharedRead<T> = { policy, joiners: 0, answer };
    this.#reads.add(entryKey, read);
    return withCallerLimits(answer, signal, timeout);
  }

  /** What the `callers` sharing a read get once it is in: the value, a stale value, or a fill. */
  #answer(entryKey: string, raw: string | null | undefined, loader: Loader<T>, policy: EntryPolicy, callers: number, trace?: CacheTraceContext): T | undefined | Promise<T | undefined> {
    const entry = usable(decodeEntry(raw));
    const now = Date.now();
    if (entry !== undefined && now < entry.expiresAt + policy.staleWhileRevalidate) {
      const value = this.#decode(entry);
      if (value !== undefined) {
        this.#counters.hits += callers;
        const fresh = now < entry.expiresAt;
        if (!fresh) this.#counters.staleServed += callers;
        if (trace !== undefined) trace.outcome = fresh ? 'hit' : 'stale';
        if (!fresh || shouldRefreshEarly(entry, now, policy.earlyRefresh)) this.#refresh(entryKey, loader, policy, entry);
        return value.value;
      }
    }
    this.#counters.misses += callers;
    if (trace !== undefined) trace.outcome = 'miss';
    const request: FillRequest<T> = { key: entryKey, loader, policy, stale: entry };
    return this.#flights.join(entryKey, () => this.#fill(request), callers);
  }

  /** A fill, falling back to the loader alone when the store or the lock nodes fail before it ran. */
  async #fill(request: FillRequest<T>): Promise<FillResult<T>> {
    try {
      return await this.#traceFill(request);
    } catch (error) {
      if (request.loaderCalled === true || request.onlyIfFree === true || !isInfrastructureError(error)) throw error;
      return this.#storeDown(error, request.loader);
    }
  }

  async #storeDown(error: unknown, loader: Loader<T>): Promise<FillResult<T>> {
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
  #refresh(entryKey: string, loader: Loader<T>, policy: EntryPolicy, entry: Entry): void {
    if (this.#refreshing.has(entryKey) || this.#flights.get(entryKey) !== undefined) return;
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
    return { store: this.#store, feed: this.#feed, serializer, counters: this.#counters, lock: backend.fillLock(entryKey), lockKeyOnStore: backend.fillLockKeyOnStore(entryKey), lockTtl: backend.lockTtl, fillTimeout, releasing };
  }

  /** The entry's value; undefined (a miss) when the serializer cannot read it. */
  #decode(entry: Entry): { value: T } | undefined {
    try {
      return { value: this.#options.serializer.decode(entry.payload) };
    } catch {
      return undefined;
    }
  }
}

/** A stored entry that can serve a value (not a tombstone). */
function usable(entry: Entry | undefined): Entry | undefined {
  return entry === undefined || isTombstone(entry) ? undefined : entry;
}

/** Errors of the store or the lock nodes (not the loader's): a fill may fall back to the loader alone. */
function isInfrastructureError(error: unknown): boolean {
  return error instanceof CacheStoreError || (error instanceof LockError && error.code !== 'LOCK_TAKEN');
}
