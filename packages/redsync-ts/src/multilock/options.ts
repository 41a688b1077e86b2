import { checkBoolean, checkInteger, checkName, checkOptionsObject, describeValue } from '../validate.js';

/** The most names one multi-lock may take: each is a key in every node's script call. */
export const MAX_NAMES = 1000;

/** Options of `rs.multiLock(names, options)`. */
export interface MultiLockOptions {
  /**
   * How long a hold lasts unless extended, in ms: a dead holder's keys expire then.
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

/**
 * The names, checked one by one and sorted (the canonical order every caller takes them in), and
 * the ttl (undefined for the Redsync's).
 * @throws TypeError / RangeError naming the bad argument, before any I/O.
 */
export function resolveMultiLock(names: unknown, options: unknown): { names: string[]; ttl: number | undefined; autoExtend: boolean } {
  if (!Array.isArray(names)) throw new TypeError(`names must be an array of lock names, got ${describeValue(names)}`);
  if (names.length === 0) throw new RangeError('names must hold at least one lock name');
  if (names.length > MAX_NAMES) throw new RangeError(`names may hold at most ${String(MAX_NAMES)} lock names, got ${String(names.length)}`);
  const checked = names.map((name: unknown, index) => checkName(`names[${String(index)}]`, name, false));
  const sorted = [...checked].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw new RangeError(`names must not repeat a name, got '${String(sorted[i]).slice(0, 64)}' twice`);
  }
  const record = checkOptionsObject('options', options, ['ttl', 'autoExtend']);
  const ttl = record['ttl'] === undefined ? undefined : checkInteger('options.ttl', record['ttl'], 1, 2_147_483_647);
  const autoExtend = record['autoExtend'] === undefined ? false : checkBoolean('options.autoExtend', record['autoExtend']);
  return { names: sorted, ttl, autoExtend };
}
