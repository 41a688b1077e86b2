import { checkBoolean, checkInteger, checkOptionsObject } from '../validate.js';

/** Options of `rs.rwlock(name, options)`. */
export interface ReadWriteLockOptions {
  /**
   * How long a read or write hold lasts unless extended, in ms: a dead holder's hold ends then.
   * @default the Redsync's lock ttl (8,000 ms unless set)
   */
  readonly ttl?: number;
  /**
   * Renew each hold every `ttl * autoExtendFactor` ms (the Redsync's factor) on the process's
   * lease keeper, until it is released or lost; a renewal that fails is retried with backoff while
   * validity is left. Its `signal` aborts when it is lost.
   * @default false
   */
  readonly autoExtend?: boolean;
}

/** The ttl (undefined for the Redsync's) and `autoExtend`. @throws TypeError / RangeError before any I/O */
export function resolveRwLockOptions(options: unknown): { ttl: number | undefined; autoExtend: boolean } {
  const record = checkOptionsObject('options', options, ['ttl', 'autoExtend']);
  return {
    ttl: record['ttl'] === undefined ? undefined : checkInteger('options.ttl', record['ttl'], 1, 2_147_483_647),
    autoExtend: record['autoExtend'] === undefined ? false : checkBoolean('options.autoExtend', record['autoExtend']),
  };
}
