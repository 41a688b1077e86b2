import { checkBoolean, checkInteger, checkOptionsObject } from '../validate.js';

/** Options of `rs.fairLock(name, options)`. */
export interface FairLockOptions {
  /**
   * How long a hold lasts unless extended, in ms: a dead holder's hold ends then.
   * @default the Redsync's lock ttl (8,000 ms unless set)
   */
  readonly ttl?: number;
  /**
   * How long a waiter keeps its place in the queue without refreshing it, in ms. A live waiter
   * refreshes every third of it; a dead one is skipped once this has passed, so a crashed waiter
   * delays the ones behind it by at most this much (or by one ttl, when the lock is granted to it
   * in the moments before that is noticed).
   * @default 1,000
   */
  readonly waiterLease?: number;
  /**
   * Renew each hold every `ttl * autoExtendFactor` ms (the Redsync's factor) on the process's
   * lease keeper, until it is released or lost; a renewal that fails is retried with backoff while
   * validity is left. Its `signal` aborts when it is lost.
   * @default false
   */
  readonly autoExtend?: boolean;
}

/** @internal Validated fair lock options (ttl undefined: the Redsync's). */
export interface ResolvedFairLockOptions {
  readonly ttl: number | undefined;
  readonly waiterLease: number;
  readonly autoExtend: boolean;
}

/** @throws TypeError / RangeError naming the bad option, before any I/O. */
export function resolveFairLockOptions(options: unknown): ResolvedFairLockOptions {
  const record = checkOptionsObject('options', options, ['ttl', 'waiterLease', 'autoExtend']);
  return {
    ttl: record['ttl'] === undefined ? undefined : checkInteger('options.ttl', record['ttl'], 1, 2_147_483_647),
    waiterLease: record['waiterLease'] === undefined ? 1000 : checkInteger('options.waiterLease', record['waiterLease'], 30, 2_147_483_647),
    autoExtend: record['autoExtend'] === undefined ? false : checkBoolean('options.autoExtend', record['autoExtend']),
  };
}
