/**
 * One fill of one key across every process: whoever takes the fill lock runs the loader and
 * writes the value with the fenced fill script; everyone else waits for the value's arrival
 * (arrival.ts) and takes over only when the filler vanished. Never a retry delay, never a second
 * loader while the first one lives.
 */
import type { Lock } from '../lock.js';
import { waitForArrival } from './arrival.js';
import { decodeEntry, envelopeTail, jittered } from './envelope.js';
import { settled, staleStandIn, type FillRequest, type FillResult, type FillSetup } from './fill-request.js';
import { loaderSignal, type LoaderSignal } from './loader-signal.js';
import type { Serializer } from './options.js';

export type { FillRequest, FillResult, FillSetup } from './fill-request.js';

/** Largest envelope published whole: bigger values are announced, and waiters GET them. */
const PUBLISH_WHOLE_MAX = 64 * 1024;

/**
 * What tells waiters to read the store again: the fill script's announcement of a value too big to
 * publish whole, sent by the filler itself when its write failed or was refused.
 */
const LOOK_AGAIN = 'v';

/** Runs one fill to its end; rejects with the loader's error, a `CacheFillError` or a timeout. */
export async function fill<T>(setup: FillSetup<T>, request: FillRequest<T>): Promise<FillResult<T>> {
  const deadline = performance.now() + setup.fillTimeout;
  for (;;) {
    // Registered by the attempt should it lose (no SUBSCRIBE and no read of its own then).
    const ticket = setup.waitersKey === undefined || request.onlyIfFree === true ? undefined : setup.feed.ticket();
    setup.attempt?.registerAs(ticket);
    const lock = await setup.lock.tryAcquire().catch((error: unknown) => {
      ticket?.close();
      throw error;
    });
    if (lock !== null) {
      ticket?.close();
      return fillUnder(setup, request, lock, deadline);
    }
    if (request.onlyIfFree === true) return { value: undefined, source: 'skipped' };
    setup.counters.waits += 1;
    const arrived = await waitForArrival(setup, request, deadline, ticket);
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
    // A write the store failed or refused (a newer entry, a delete's tombstone, another filler)
    // published nothing: waiters elsewhere look again once the lock is gone.
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
          const told = notice === undefined ? released : released.then(() => setup.store.notify(request.key, notice, setup.waitersKey)).then(noop, noop);
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

/** The fenced write of a loaded value: false when the store failed or refused it. Never rejects (a failed write is counted). */
async function write(setup: FillSetup<unknown>, request: FillRequest<unknown>, lock: Lock, stamp: number, payload: string, delta: number): Promise<boolean> {
  const { policy } = request;
  const ttl = jittered(policy.ttl, policy.jitter);
  const tail = envelopeTail(Date.now() + ttl, delta, payload);
  const px = ttl + Math.max(policy.staleWhileRevalidate, policy.staleIfError);
  // While our lock is valid nobody else may hold it: another value on the store node is then a
  // failed attempt's leftover (about to be cleaned up), not a filler, so only the stamp decides.
  // Once it is not (a pause, a lost renewal), a filler there means ours is over.
  const check = lock.remaining() <= 0;
  try {
    const outcome = await setup.store.fill(request.key, { key: setup.lockKeyOnStore, check, waiters: setup.waitersKey }, stamp, lock.value, tail, px, tail.length <= PUBLISH_WHOLE_MAX);
    if (outcome === 'written') return true;
    setup.counters.refusedWrites += 1;
    return false;
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

/** `Name: message`, at most 500 characters: what waiters elsewhere see of a loader's error. */
function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
