/**
 * One fill of one key across every process: whoever takes the fill lock runs the loader and
 * writes the value with the fenced fill script; everyone else waits for the value's arrival
 * (a message on `<key>:filled`, see channel-feed.ts), bounded by the fill lock's remaining ttl, and
 * takes over only when the filler vanished. Never a retry delay, never a second loader while the
 * first one lives.
 */
import type { Lock } from '../lock.js';
import type { Mutex } from '../mutex.js';
import { decodeEntry, envelopeTail, isTombstone, jittered, type Entry } from './envelope.js';
import { CacheFillError, CacheTimeoutError } from './errors.js';
import type { ChannelFeed } from '../channel-feed.js';
import type { FillAttempt } from './fill-attempt.js';
import { loaderSignal, type LoaderSignal } from './loader-signal.js';
import type { EntryPolicy, Serializer } from './options.js';
import type { CacheStore } from './store.js';
import type { CacheCounters } from './stats.js';

/** Largest envelope published whole: bigger values are announced, and waiters GET them. */
const PUBLISH_WHOLE_MAX = 64 * 1024;

/**
 * What tells waiters to read the store again: the fill script's announcement of a value too big to
 * publish whole, sent by the filler itself when its write failed.
 */
const LOOK_AGAIN = 'v';

/** How long a waiter waits before trying the lock again when the store node shows no fill lock. */
const NO_HOLDER_WAIT_MS = 50;

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

/** Runs one fill to its end; rejects with the loader's error, a `CacheFillError` or a timeout. */
export async function fill<T>(setup: FillSetup<T>, request: FillRequest<T>): Promise<FillResult<T>> {
  const deadline = performance.now() + setup.fillTimeout;
  for (;;) {
    const lock = await setup.lock.tryAcquire();
    if (lock !== null) return fillUnder(setup, request, lock, deadline);
    if (request.onlyIfFree === true) return { value: undefined, source: 'skipped' };
    setup.counters.waits += 1;
    const arrived = await waitForArrival(setup, request, deadline);
    if (arrived !== undefined) return arrived;
  }
}

async function fillUnder<T>(setup: FillSetup<T>, request: FillRequest<T>, lock: Lock, deadline: number): Promise<FillResult<T>> {
  let bound: LoaderSignal | undefined;
  const ending: FillEnding = { notice: undefined };
  try {
    // Someone may have filled meanwhile: the read made with the attempt (see FillAttempt), else one now.
    const read = (await setup.attempt?.readFor(lock.value)) ?? (await setup.store.read(request.key, setup.lockKeyOnStore));
    const current = decodeEntry(read.entry);
    const done = settled(request, current, Date.now());
    if (done) return request.onlyIfFree !== true && current !== undefined ? { value: setup.serializer.decode(current.payload), source: 'arrived' } : { value: undefined, source: 'skipped' };
    bound = loaderSignal(lock, Math.max(1, Math.floor(deadline - performance.now())));
    const loaded = await runLoader(setup, request, bound, ending);
    if (loaded.source === 'stale' || loaded.value === undefined) return loaded;
    if (!(await write(setup, request, lock, read.now, encodeValue(setup.serializer, loaded.value), loaded.delta))) ending.notice = LOOK_AGAIN;
    return { value: loaded.value, source: 'loaded' };
  } finally {
    // After the callers have their value (setImmediate runs once the microtasks that wake them
    // are done): the value is written and published, so they need not wait for one more round
    // trip, nor for the release's own work. The key would expire by its ttl anyway.
    setup.releasing(
      new Promise<void>((resolve) =>
        setImmediate(() => {
          bound?.released();
          const released = lock.release().then(noop, noop);
          // A fill that wrote nothing tells waiters so once its lock is gone: a waiter that
          // subscribed after the message then finds no holder and tries the lock, instead of
          // waiting out the lock's ttl for a message that came before it listened.
          const { notice } = ending;
          const told = notice === undefined ? released : released.then(() => setup.store.notify(request.key, notice)).then(noop, noop);
          void told.then(resolve);
        }),
      ),
    );
  }
}

/** What a fill that wrote nothing tells the waiters of other processes: `u` (undefined), `e<error>` or {@link LOOK_AGAIN}. */
interface FillEnding {
  notice: string | undefined;
}

function noop(): void {}

/** True when there is nothing to fill: someone filled meanwhile (or refreshed what we meant to). */
function settled(request: FillRequest<unknown>, current: Entry | undefined, now: number): boolean {
  if (current === undefined || isTombstone(current)) return false;
  if (request.refreshOf !== undefined) return current.stamp !== request.refreshOf.stamp;
  return current.expiresAt > now && (request.stale === undefined || current.stamp !== request.stale.stamp);
}

async function runLoader<T>(setup: FillSetup<T>, request: FillRequest<T>, bound: LoaderSignal, ending: FillEnding): Promise<FillResult<T> & { delta: number }> {
  const started = performance.now();
  setup.counters.fills += 1;
  request.loaderCalled = true;
  try {
    const value = await request.loader(bound.signal);
    if (value === undefined) {
      ending.notice = 'u';
      return { value: undefined, source: 'loaded', delta: 0 };
    }
    return { value, source: 'loaded', delta: performance.now() - started };
  } catch (error) {
    setup.counters.errors += 1;
    ending.notice = `e${describeError(error)}`;
    const stale = staleStandIn(request, Date.now());
    if (stale === undefined) throw error;
    setup.counters.staleServed += 1;
    return { value: setup.serializer.decode(stale.payload), source: 'stale', delta: 0 };
  } finally {
    bound.done();
  }
}

/** The fenced write of a loaded value: false when the store failed it. Never rejects (a failed write is counted). */
async function write(setup: FillSetup<unknown>, request: FillRequest<unknown>, lock: Lock, stamp: number, payload: string, delta: number): Promise<boolean> {
  const { policy } = request;
  const ttl = jittered(policy.ttl, policy.jitter);
  const tail = envelopeTail(Date.now() + ttl, delta, payload);
  const px = ttl + Math.max(policy.staleWhileRevalidate, policy.staleIfError);
  // While our lock is valid nobody else may hold it: another value on the store node is then a
  // failed attempt's leftover (about to be cleaned up), not a filler, so only the stamp decides.
  // Once it is not (a pause, a lost renewal), a filler there means ours is over.
  const lockKey = lock.remaining() > 0 ? undefined : setup.lockKeyOnStore;
  try {
    const outcome = await setup.store.fill(request.key, lockKey, stamp, lock.value, tail, px, tail.length <= PUBLISH_WHOLE_MAX);
    if (outcome !== 'written') setup.counters.refusedWrites += 1;
    return true;
  } catch {
    // The value stands for this fill's callers; the next miss fills again. Waiters elsewhere are
    // told to look again once the fill lock is released: they find no value and no holder, and
    // one takes over (the write may also have landed, its reply lost: then they find it).
    setup.counters.storeErrors += 1;
    return false;
  }
}

/** The serializer's string for `value`. @throws TypeError when it cannot encode it */
export function encodeValue<T>(serializer: Serializer<T>, value: T): string {
  let encoded: string | undefined;
  try {
    encoded = serializer.encode(value);
  } catch (error) {
    throw new TypeError(`the cache's serializer cannot encode this value: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (typeof encoded !== 'string') throw new TypeError(`the cache's serializer cannot encode a value of type ${typeof value}`);
  return encoded;
}

/** The stale entry that may stand in for a failed load, if its window still covers `now`. */
function staleStandIn(request: FillRequest<unknown>, now: number): Entry | undefined {
  const { stale, policy } = request;
  if (stale === undefined || isTombstone(stale) || policy.staleIfError <= 0) return undefined;
  return now < stale.expiresAt + policy.staleIfError ? stale : undefined;
}

/** Waits for another process's fill; undefined when the caller should try the lock again. */
async function waitForArrival<T>(setup: FillSetup<T>, request: FillRequest<T>, deadline: number): Promise<FillResult<T> | undefined> {
  const arrivals = await setup.feed.listen(request.key);
  try {
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) throw new CacheTimeoutError(`no value for this key arrived within fillTimeout (${setup.fillTimeout} ms)`);
      // Look after subscribing: a value that arrived before the subscription was heard is there.
      const read = await setup.store.read(request.key, setup.lockKeyOnStore);
      const entry = decodeEntry(read.entry);
      if (settled(request, entry, Date.now()) && entry !== undefined) return { value: setup.serializer.decode(entry.payload), source: 'arrived' };
      const holder = read.lockTtl >= 0 ? read.lockTtl + Math.random() * 50 : read.lockTtl === -2 ? NO_HOLDER_WAIT_MS : setup.lockTtl;
      const heard = await arrivals.next(Math.min(holder, left));
      const result = onMessage(setup, request, heard);
      if (result !== 'look') return result;
    }
  } finally {
    arrivals.close();
  }
}

function onMessage<T>(setup: FillSetup<T>, request: FillRequest<T>, heard: string): FillResult<T> | undefined | 'look' {
  if (heard === 'timeout') return undefined;
  if (heard === 'u') return { value: undefined, source: 'arrived' };
  if (heard.startsWith('e')) {
    const stale = staleStandIn(request, Date.now());
    if (stale === undefined) throw new CacheFillError(heard.slice(1));
    setup.counters.staleServed += 1;
    return { value: setup.serializer.decode(stale.payload), source: 'stale' };
  }
  const entry = heard.length > 1 ? decodeEntry(heard.slice(1)) : undefined;
  if (entry === undefined || isTombstone(entry)) return 'look';
  return { value: setup.serializer.decode(entry.payload), source: 'arrived' };
}

/** `Name: message`, at most 500 characters: what waiters elsewhere see of a loader's error. */
function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
