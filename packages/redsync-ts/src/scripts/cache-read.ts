import { defineScript, toInteger } from '../script.js';

/** What a cache read under the fill protocol returns. */
export interface CacheReadReply {
  /** The raw entry (an envelope), or undefined when the key is missing. */
  readonly entry: string | undefined;
  /** The store's clock, in microseconds since the epoch: the fill's birth stamp. */
  readonly now: number;
  /** The fill lock's remaining ttl on this node in ms; -2 missing; -3 not checked (no KEYS[2]). */
  readonly lockTtl: number;
  /** The fill lock's value on this node (whose it is), when checked and present. */
  readonly lockHolder: string | undefined;
}

/**
 * Reads a cache entry together with the store's clock and, when the store is one of the lock
 * nodes, the fill lock's remaining ttl on it. A filler needs this read right after taking the
 * fill lock (cache-attempt.ts makes it in the attempt itself on the store node): the clock reading
 * becomes its birth stamp (see cache-fill.ts), and the entry tells it whether someone filled
 * meanwhile. A waiter reads it to learn how long the filler may still hold.
 *
 * KEYS[1] entry key · KEYS[2] (optional) fill lock key
 * Returns `{entry or false, seconds, microseconds, lock pttl or -3, lock value or false}`.
 */
export const cacheRead = defineScript<CacheReadReply>({
  name: 'cache-read',
  source: `local t = redis.call('TIME')
local lockTtl = -3
local holder = false
if KEYS[2] then
  lockTtl = redis.call('PTTL', KEYS[2])
  holder = redis.call('GET', KEYS[2])
end
return {redis.call('GET', KEYS[1]), t[1], t[2], lockTtl, holder}
`,
  sha1: '8ce564556a72d0671f3c99e955892c8eebee6d4f',
  late: 'self',
  parse: (reply) => parseCacheRead(reply, 'cache-read'),
});

/** A cache-read reply (also the tail of cache-attempt's). @throws TypeError for any other shape */
export function parseCacheRead(reply: unknown, script: string): CacheReadReply {
  if (!Array.isArray(reply) || reply.length < 4) throw new TypeError(`unexpected reply from script ${script}`);
  const [entry, seconds, micros, lockTtl, holder] = reply as unknown[];
  const raw = entry === null || entry === false || entry === undefined ? undefined : entry;
  if (raw !== undefined && typeof raw !== 'string' && !(raw instanceof Uint8Array)) throw new TypeError(`unexpected reply from script ${script}`);
  return {
    entry: text(raw),
    now: toInteger(seconds, script) * 1e6 + toInteger(micros, script),
    lockTtl: toInteger(lockTtl, script),
    lockHolder: typeof holder === 'string' || holder instanceof Uint8Array ? text(holder) : undefined,
  };
}

function text(raw: string | Uint8Array | undefined): string | undefined {
  return raw === undefined ? undefined : typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
}
