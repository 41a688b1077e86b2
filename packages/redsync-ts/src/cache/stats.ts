/**
 * The cache's own counters, per process. Read them instead of Redis `INFO`'s keyspace hits and
 * misses: lock traffic moves those (a release script's GET is a hit, an attempt on a free key a
 * miss), and other users of the same Redis do too.
 */
export interface CacheStats {
  /** Gets answered by a fresh entry. */
  readonly hits: number;
  /** Gets that found no usable entry (missing, expired past its stale window, a tombstone). */
  readonly misses: number;
  /** Loader calls made by this process (foreground fills and background refreshes). */
  readonly fills: number;
  /** Of those, background refreshes (stale-while-revalidate and early refresh). */
  readonly refreshes: number;
  /** Gets answered by an expired entry (stale-while-revalidate, or staleIfError after a failed load). */
  readonly staleServed: number;
  /** Gets that waited for a fill: one already running in this process, or another process's. */
  readonly waits: number;
  /** Loader failures in this process. */
  readonly errors: number;
  /** Store commands that failed or timed out. */
  readonly storeErrors: number;
  /** Fill writes the store refused: a newer entry was there, or another filler held the lock. */
  readonly refusedWrites: number;
  /** hits / (hits + misses), or 0 before the first get. */
  readonly hitRate: number;
}

/** The mutable counters behind {@link CacheStats}. */
export type CacheCounters = { -readonly [K in Exclude<keyof CacheStats, 'hitRate'>]: number };

/** Fresh counters at zero. */
export function newCounters(): CacheCounters {
  return { hits: 0, misses: 0, fills: 0, refreshes: 0, staleServed: 0, waits: 0, errors: 0, storeErrors: 0, refusedWrites: 0 };
}

/** A frozen snapshot with the hit rate. */
export function snapshot(counters: CacheCounters): CacheStats {
  const looked = counters.hits + counters.misses;
  return Object.freeze({ ...counters, hitRate: looked === 0 ? 0 : counters.hits / looked });
}
