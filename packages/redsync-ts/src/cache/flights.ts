/**
 * What a cache shares between the callers of one process: fills in flight and reads in flight,
 * by the callers' key (the cache's prefix is the same for all). Concurrent misses of a key
 * share one fill (one promise of the value); concurrent gets share one GET and what it answered.
 */
import type { CacheCounters } from './stats.js';
import type { FillResult } from './fill.js';
import type { EntryPolicy } from './options.js';
import type { Loader } from './backend.js';
import type { CacheTraceContext } from '../tracing.js';

/** A read in flight: the answer of its first caller, shared by later callers of the same policy. */
export interface SharedRead<T> {
  /** The caller's key, and the store's (with the cache's prefix). */
  readonly key: string;
  readonly entryKey: string;
  /** The first caller's: a miss fills with it. */
  readonly loader: Loader<T>;
  readonly policy: EntryPolicy;
  /** The first caller's span, when traced (a traced caller never shares a read). */
  readonly trace: CacheTraceContext | undefined;
  readonly answer: Promise<T | undefined>;
  /** Callers after the first, counted in the stats when the answer is in. */
  joiners: number;
}

/**
 * Reads in flight, by key: concurrent gets of one key share one GET and what it answered.
 * A burst of 250 gets in one process otherwise queued 250 GETs ahead of the fill's own commands
 * (its loader started 46-78 ms late). Sharing the answer, not only the GET, took the burst's 250
 * calls from 0.85 to 0.55 ms in one process.
 */
export class SharedReads<T> {
  /**
   * The read in flight when it is the only one, outside the map: a Map that gains and loses an
   * entry per read rehashes as deleted entries pile up. On the hit path (one read at a time) the
   * map was a fifth of the library's JavaScript per get (CPU profile, a node answering at once),
   * and with the slot a hit's p50 went 1.059x / 1.050x -> 1.048x / 1.041x a raw GET's (two runs,
   * the two ways interleaved in one process over one connection).
   */
  #only: SharedRead<T> | undefined;
  readonly #reads = new Map<string, SharedRead<T>>();

  /** The read of `key` in flight that a caller with `policy` can share, if any. */
  find(key: string, policy: EntryPolicy): SharedRead<T> | undefined {
    const only = this.#only;
    const read = only !== undefined && only.key === key ? only : this.#reads.size === 0 ? undefined : this.#reads.get(key);
    return read !== undefined && samePolicy(read.policy, policy) ? read : undefined;
  }

  /** Makes `read` the one of its key in flight (a key sits in the slot or in the map, never both). */
  add(read: SharedRead<T>): void {
    const only = this.#only;
    if (only === undefined ? !this.#reads.has(read.key) : only.key === read.key) this.#only = read;
    else this.#reads.set(read.key, read);
  }

  /** Forgets `read` once it settled, unless a later read of its key took its place. */
  done(read: SharedRead<T>): void {
    if (this.#only === read) this.#only = undefined;
    else if (this.#reads.get(read.key) === read) this.#reads.delete(read.key);
  }
}

/** Equal entry policies: callers passing the same options share a read. */
function samePolicy(a: EntryPolicy, b: EntryPolicy): boolean {
  return a === b || (a.ttl === b.ttl && a.jitter === b.jitter && a.staleWhileRevalidate === b.staleWhileRevalidate && a.staleIfError === b.staleIfError && a.earlyRefresh === b.earlyRefresh);
}

/**
 * One fill per key in this process: later callers join the one in flight, all awaiting one
 * promise of the value (a cold burst wakes 250 callers per process at once; an async function
 * per caller cost each of them two more hops).
 */
export class Flights<T> {
  readonly #flights = new Map<string, Promise<T | undefined>>();
  readonly #counters: CacheCounters;

  constructor(counters: CacheCounters) {
    this.#counters = counters;
  }

  /** The fill of `key` in flight, if any. */
  get(key: string): Promise<T | undefined> | undefined {
    return this.#flights.get(key);
  }

  /** Forgets the fill of `key`: later callers read again (after a `set` or `delete`). */
  forget(key: string): void {
    this.#flights.delete(key);
  }

  /** Joins the fill of `key`, or starts it; all `callers` but the one that starts it wait. */
  join(key: string, start: () => Promise<FillResult<T>>, callers: number): Promise<T | undefined> {
    const flying = this.#flights.get(key);
    if (flying !== undefined) {
      this.#counters.waits += callers;
      return flying;
    }
    this.#counters.waits += callers - 1;
    const land = (): void => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    const flight = start().then(
      (result) => {
        land();
        return result.value;
      },
      (error: unknown) => {
        land();
        throw error;
      },
    );
    this.#flights.set(key, flight);
    return flight;
  }
}
