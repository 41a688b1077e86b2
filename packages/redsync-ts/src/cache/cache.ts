import { cacheChannels, traced, type CacheTraceContext } from '../tracing.js';
import { checkFunction, checkName } from '../validate.js';
import { decodeEntry, envelopeTail, isTombstone, jittered, shouldRefreshEarly, TOMBSTONE_TAIL, type Entry } from './envelope.js';
import { withCallerLimits } from './caller-limits.js';
import { encodeValue, type FillRequest } from './fill.js';
import type { CacheBackend, Loader } from './backend.js';
import { Filler } from './filler.js';
import { resolveEntryPolicy, resolveGetOptions, type CacheEntryOptions, type CacheGetOptions, type EntryPolicy, type ResolvedCacheOptions } from './options.js';
import { newCounters, snapshot, type CacheStats } from './stats.js';
import { Flights, SharedReads, type SharedRead } from './flights.js';
import { CacheStore } from './store.js';
import { warmKeys, type WarmLoader, type WarmOptions, type WarmResult } from './warm.js';

export type { CacheBackend, Loader } from './backend.js';

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
  readonly #counters = newCounters();
  readonly #flights = new Flights<T>(this.#counters);
  readonly #reads = new SharedReads<T>();
  readonly #filler: Filler<T>;

  /** @internal Use `rs.cache()`. */
  constructor(backend: CacheBackend, options: ResolvedCacheOptions<T>) {
    this.#backend = backend;
    this.#options = options;
    this.#store = new CacheStore(backend.store, options.storeTimeout);
    this.#filler = new Filler(backend, options, this.#store, this.#counters, this.#flights);
  }

  /**
   * The value of `key`: from the store when fresh (one GET), else from `loader`, run once for all
   * concurrent callers of every process. A loader that returns undefined is not cached.
   * @throws TypeError / RangeError for a bad key, loader or option, before any I/O.
   * @throws the loader's error (or a `CacheFillError` when it failed in another process), unless
   *   `staleIfError` keeps a value; `CacheTimeoutError` after `options.timeout`; the signal's reason.
   */
  get(key: string, loader: Loader<T>, options?: CacheGetOptions): Promise<T | undefined> {
    const traceOn = cacheChannels.get.hasSubscribers;
    // A caller of a key whose read or fill is in flight, with the cache's own options, joins it
    // first thing (a map holds only keys that passed validation): in the cold burst each process
    // makes 250 such calls at once, from cold caches, and their CPU went 1.38-1.46 -> 1.03 ms per
    // process (a bare map lookup per call: 0.80 ms; bench:cache's harness, 4 processes).
    const plain = options === undefined && !traceOn && typeof loader === 'function';
    if (plain) {
      const joined = this.#join(key, this.#options.policy);
      if (joined !== undefined) return joined;
    }
    let call: ReturnType<typeof resolveGetOptions>;
    try {
      checkName('key', key, false);
      if (plain) return this.#read(key, loader, this.#options.policy);
      checkFunction('loader', loader);
      call = resolveGetOptions(options, this.#options.policy);
      call.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (!traceOn) return this.#get(key, loader, call.policy, call.signal, call.timeout);
    const context: CacheTraceContext = { operation: 'get', key: this.#options.prefix + key };
    return traced(cacheChannels.get, () => context, () => this.#get(key, loader, call.policy, call.signal, call.timeout, context), () => ({ outcome: context.outcome }));
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
    await this.#store.set(entryKey, tail, ttl + Math.max(policy.staleWhileRevalidate, policy.staleIfError), tail.length <= 64 * 1024 ? '1' : '0', this.#backend.fillWaitersKeyOnStore(entryKey));
    this.#flights.forget(key); // later gets read what was set, not a fill that began before
  }

  /**
   * Removes `key`: it leaves a short-lived tombstone (fill timeout + fill lock ttl) so that a
   * fill already running cannot bring the old value back. @throws CacheStoreError
   */
  async delete(key: string): Promise<void> {
    const entryKey = this.#key(key);
    await this.#store.set(entryKey, TOMBSTONE_TAIL, this.#options.fillTimeout + this.#backend.lockTtl, '-', undefined);
    this.#flights.forget(key);
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
      fill: (request) => this.#filler.fill(request),
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
    await this.#filler.close();
  }

  /** {@link Cache.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #key(key: string): string {
    return this.#options.prefix + checkName('key', key, false);
  }

  /** A caller with its own options (or traced): joins what is in flight, or reads. */
  #get(key: string, loader: Loader<T>, policy: EntryPolicy, signal?: AbortSignal, timeout?: number, trace?: CacheTraceContext): Promise<T | undefined> {
    const joined = this.#join(key, policy, trace);
    return withCallerLimits(joined ?? this.#read(key, loader, policy, trace), signal, timeout);
  }

  /**
   * Reads `key` for this caller and those that join it; a miss fills. A `.then` chain rather than
   * async functions: the hit path runs once per get, and the async machinery was a third of its
   * CPU (profile of 200,000 gets on a node answering at once).
   */
  #read(key: string, loader: Loader<T>, policy: EntryPolicy, trace?: CacheTraceContext): Promise<T | undefined> {
    // The callbacks run after `read` below exists: a read settles on a later tick.
    const entryKey = this.#options.prefix + key;
    const answer = this.#store.get(entryKey).then(
      (raw) => {
        this.#reads.done(read);
        return this.#answer(read, raw, 1 + read.joiners);
      },
      (error: unknown) => {
        this.#reads.done(read);
        if (trace !== undefined) trace.outcome = 'fallback';
        return this.#flights.join(key, () => this.#filler.storeDown(error, loader), 1 + read.joiners);
      },
    );
    const read: SharedRead<T> = { key, entryKey, loader, policy, trace, joiners: 0, answer };
    this.#reads.add(read);
    return answer;
  }

  /**
   * What a caller joins instead of reading, if anything: the fill of `key` in flight (the read
   * would only find the miss again), or else the read in flight of a caller with an equal policy
   * (not for a traced caller, whose span reports its own outcome).
   */
  #join(key: string, policy: EntryPolicy, trace?: CacheTraceContext): Promise<T | undefined> | undefined {
    const flying = this.#flights.get(key);
    if (flying !== undefined) {
      this.#counters.misses += 1;
      this.#counters.waits += 1;
      if (trace !== undefined) trace.outcome = 'miss';
      return flying;
    }
    const shared = trace === undefined ? this.#reads.find(key, policy) : undefined;
    if (shared === undefined) return undefined;
    shared.joiners += 1;
    return shared.answer;
  }

  /** What the `callers` sharing a read get once it is in: the value, a stale value, or a fill. */
  #answer(read: SharedRead<T>, raw: string | null | undefined, callers: number): T | undefined | Promise<T | undefined> {
    const { key, entryKey, loader, policy, trace } = read;
    const entry = usable(decodeEntry(raw));
    const now = Date.now();
    if (entry !== undefined && now < entry.expiresAt + policy.staleWhileRevalidate) {
      const value = this.#decode(entry);
      if (value !== UNREADABLE) {
        this.#counters.hits += callers;
        const fresh = now < entry.expiresAt;
        if (!fresh) this.#counters.staleServed += callers;
        if (trace !== undefined) trace.outcome = fresh ? 'hit' : 'stale';
        if (!fresh || shouldRefreshEarly(entry, now, policy.earlyRefresh)) this.#filler.refresh(key, entryKey, loader, policy, entry);
        return value;
      }
    }
    this.#counters.misses += callers;
    if (trace !== undefined) trace.outcome = 'miss';
    const request: FillRequest<T> = { key: entryKey, loader, policy, stale: entry };
    return this.#flights.join(key, () => this.#filler.fill(request), callers);
  }

  /** The entry's value; UNREADABLE (a miss) when the serializer cannot read it. */
  #decode(entry: Entry): T | typeof UNREADABLE {
    try {
      return this.#options.serializer.decode(entry.payload);
    } catch {
      return UNREADABLE;
    }
  }
}

/** What `#decode` makes of a payload the serializer cannot read (a symbol: no value is one). */
const UNREADABLE: unique symbol = Symbol('unreadable');

/** A stored entry that can serve a value (not a tombstone). */
function usable(entry: Entry | undefined): Entry | undefined {
  return entry === undefined || isTombstone(entry) ? undefined : entry;
}
