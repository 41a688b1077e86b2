import type { RedisNode } from '../node.js';
import { isRedisNode } from '../node.js';
import type { MutexOptions } from '../options.js';
import { checkDelay, checkFraction, checkFunction, checkName, checkOptionsObject, checkSignal, describeValue } from '../validate.js';

/** Turns values into the strings the store keeps, and back. */
export interface Serializer<T = unknown> {
  /** May return undefined for a value it cannot encode: that is a `TypeError` before any write. */
  encode(value: T): string | undefined;
  decode(text: string): T;
}

/** Per-call options of `cache.get` (and the defaults `rs.cache` takes). */
export interface CacheEntryOptions {
  /**
   * Logical ttl of a filled entry, in ms: fresh until then.
   * @default the cache's `ttl`
   */
  readonly ttl?: number;
  /**
   * Spread of each ttl against avalanches: `ttl * (1 + jitter * u)`, u uniform in [-1, 1]; 0 to 1.
   * @default 0.1
   */
  readonly jitter?: number;
  /**
   * For how long after its expiry an entry is still served at once while one process of the fleet
   * refreshes it in the background, in ms. 0: an expired entry is a miss.
   * @default 0
   */
  readonly staleWhileRevalidate?: number;
  /**
   * For how long after its expiry an entry may stand in when its refresh fails (the loader threw),
   * in ms. 0: the loader's error reaches the callers.
   * @default 0
   */
  readonly staleIfError?: number;
  /**
   * XFetch's beta: a hit refreshes early, in the background, with a probability that grows as the
   * expiry nears, scaled by how long the last computation took. 0 turns it off; 1 is the paper's
   * recommendation; above 1 refreshes earlier.
   * @default 1
   */
  readonly earlyRefresh?: number;
}

/** Options of one `cache.get` call. */
export interface CacheGetOptions extends CacheEntryOptions {
  /** Stops this caller's wait (not the fill, which other callers may share) with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * How long this caller waits for a value, in ms; it then rejects with a `CacheTimeoutError`.
   * The fill goes on for the other callers.
   * @default no limit of its own (the fill's `fillTimeout` bounds it)
   */
  readonly timeout?: number;
}

/** Options of `rs.cache()`. */
export interface CacheOptions<T = unknown> extends CacheEntryOptions {
  /** Logical ttl of an entry, in ms. */
  readonly ttl: number;
  /**
   * Where values live.
   * @default the Redsync's first node
   */
  readonly store?: RedisNode;
  /**
   * Prepended to every cache key.
   * @default 'cache:'
   */
  readonly prefix?: string;
  /**
   * Encodes values for the store.
   * @default JSON (`undefined`, functions, symbols and BigInt cannot be cached)
   */
  readonly serializer?: Serializer<T>;
  /**
   * Longest a fill may run, in ms: the loader's signal aborts after it, and waiters stop waiting
   * for it. The fill lock is renewed while the loader runs, so a slow loader is not a lost fill.
   * @default 60000
   */
  readonly fillTimeout?: number;
  /**
   * Options of the fill lock (a redsync-ts lock named after the key, over the Redsync's nodes).
   * It always renews while its loader runs (`autoExtend`); its `ttl` bounds how long waiters wait
   * for a filler that died before they take over.
   * @default the Redsync's mutex options
   */
  readonly lock?: MutexOptions;
  /**
   * How long one store command may take before it counts as failed, in ms.
   * @default 1000
   */
  readonly storeTimeout?: number;
  /**
   * When the store cannot be reached: `'fallback'` calls the loader directly (still once per key
   * in this process) and says so once with a process warning (`REDSYNC_CACHE_STORE_DOWN`);
   * `'throw'` rejects with a `CacheStoreError`.
   * @default 'fallback'
   */
  readonly onStoreError?: 'fallback' | 'throw';
}

/** Every entry option, resolved. */
export interface EntryPolicy {
  readonly ttl: number;
  readonly jitter: number;
  readonly staleWhileRevalidate: number;
  readonly staleIfError: number;
  readonly earlyRefresh: number;
}

const ENTRY_KEYS = ['ttl', 'jitter', 'staleWhileRevalidate', 'staleIfError', 'earlyRefresh'] as const;
const GET_KEYS: readonly string[] = [...ENTRY_KEYS, 'signal', 'timeout'];
const CACHE_KEYS: readonly string[] = [...ENTRY_KEYS, 'store', 'prefix', 'serializer', 'fillTimeout', 'lock', 'storeTimeout', 'onStoreError'];

/** JSON, refusing what JSON would silently drop or cannot write. */
export const JSON_SERIALIZER: Serializer = {
  encode: (value) => JSON.stringify(value),
  decode: (text) => JSON.parse(text) as unknown,
};

/** `options` over `base`, validated; `name` prefixes every message. */
export function resolveEntryPolicy(options: Record<string, unknown>, base: EntryPolicy | undefined, name: string): EntryPolicy {
  const pick = (key: (typeof ENTRY_KEYS)[number], fallback: number | undefined): unknown => options[key] ?? fallback;
  const ttl = pick('ttl', base?.ttl);
  if (ttl === undefined) throw new TypeError(`${name}.ttl is required (ms)`);
  const checkedTtl = checkDelay(`${name}.ttl`, ttl);
  if (checkedTtl < 1) throw new RangeError(`${name}.ttl must be at least 1 ms, got ${describeValue(ttl)}`);
  return {
    ttl: checkedTtl,
    jitter: checkFraction(`${name}.jitter`, pick('jitter', base?.jitter ?? 0.1), 0, 1.000001),
    staleWhileRevalidate: checkDelay(`${name}.staleWhileRevalidate`, pick('staleWhileRevalidate', base?.staleWhileRevalidate ?? 0)),
    staleIfError: checkDelay(`${name}.staleIfError`, pick('staleIfError', base?.staleIfError ?? 0)),
    earlyRefresh: checkFraction(`${name}.earlyRefresh`, pick('earlyRefresh', base?.earlyRefresh ?? 1), 0, 1000),
  };
}

/** A `cache.get` call's options, validated before any I/O. */
export function resolveGetOptions(options: unknown, base: EntryPolicy): { policy: EntryPolicy; signal?: AbortSignal; timeout?: number } {
  if (options === undefined) return { policy: base };
  const record = checkOptionsObject('options', options, GET_KEYS);
  const policy = ENTRY_KEYS.some((key) => record[key] !== undefined) ? resolveEntryPolicy(record, base, 'options') : base;
  const signal = checkSignal('options.signal', record['signal']);
  const timeout = record['timeout'] === undefined ? undefined : checkDelay('options.timeout', record['timeout']);
  return { policy, ...(signal === undefined ? {} : { signal }), ...(timeout === undefined ? {} : { timeout }) };
}

/** `rs.cache()`'s options, resolved (the lock options are validated by `rs.mutex`). */
export interface ResolvedCacheOptions<T> {
  readonly policy: EntryPolicy;
  readonly store: RedisNode | undefined;
  readonly prefix: string;
  readonly serializer: Serializer<T>;
  readonly fillTimeout: number;
  readonly lock: MutexOptions | undefined;
  readonly storeTimeout: number;
  readonly onStoreError: 'fallback' | 'throw';
}

/** Validates `rs.cache()`'s options. @throws TypeError / RangeError naming the option */
export function resolveCacheOptions<T>(options: unknown): ResolvedCacheOptions<T> {
  if (options === undefined) throw new TypeError('options must be an object with a ttl (ms), got undefined');
  const record = checkOptionsObject('options', options, CACHE_KEYS);
  const store = record['store'];
  if (store !== undefined && !isRedisNode(store)) throw new TypeError(`options.store must be a Redis node (fromIoredis, fromNodeRedis), got ${describeValue(store)}`);
  const serializer: unknown = record['serializer'] ?? JSON_SERIALIZER;
  if (typeof serializer !== 'object' || serializer === null) throw new TypeError(`options.serializer must be an object with encode and decode, got ${describeValue(serializer)}`);
  checkFunction('options.serializer.encode', (serializer as Record<string, unknown>)['encode']);
  checkFunction('options.serializer.decode', (serializer as Record<string, unknown>)['decode']);
  const onStoreError = record['onStoreError'] ?? 'fallback';
  if (onStoreError !== 'fallback' && onStoreError !== 'throw') throw new TypeError(`options.onStoreError must be 'fallback' or 'throw', got ${describeValue(onStoreError)}`);
  const lock = record['lock'];
  if (lock !== undefined && (typeof lock !== 'object' || lock === null)) throw new TypeError(`options.lock must be an object of mutex options, got ${describeValue(lock)}`);
  const fillTimeout = checkDelay('options.fillTimeout', record['fillTimeout'] ?? 60_000);
  const storeTimeout = checkDelay('options.storeTimeout', record['storeTimeout'] ?? 1000);
  if (fillTimeout < 1) throw new RangeError('options.fillTimeout must be at least 1 ms');
  if (storeTimeout < 1) throw new RangeError('options.storeTimeout must be at least 1 ms');
  return {
    policy: resolveEntryPolicy(record, undefined, 'options'),
    store,
    prefix: checkName('options.prefix', record['prefix'] ?? 'cache:', true),
    serializer: serializer as Serializer<T>,
    fillTimeout,
    lock: lock,
    storeTimeout,
    onStoreError,
  };
}
