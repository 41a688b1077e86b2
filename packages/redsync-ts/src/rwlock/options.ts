import { checkInteger, checkOptionsObject } from '../validate.js';

/** Options of `rs.rwlock(name, options)`. */
export interface ReadWriteLockOptions {
  /**
   * How long a read or write hold lasts unless extended, in ms: a dead holder's hold ends then.
   * @default the Redsync's lock ttl (8,000 ms unless set)
   */
  readonly ttl?: number;
}

/** The rwlock's ttl, or undefined for the Redsync's. @throws TypeError / RangeError before any I/O */
export function resolveRwLockOptions(options: unknown): number | undefined {
  const record = checkOptionsObject('options', options, ['ttl']);
  return record['ttl'] === undefined ? undefined : checkInteger('options.ttl', record['ttl'], 1, 2_147_483_647);
}
