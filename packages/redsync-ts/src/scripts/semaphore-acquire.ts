import { defineScript, toInteger } from '../script.js';

/** A node's answer to a permit request. */
export type SemaphoreAcquireReply =
  /** Admitted; `grant` is the node's grant counter after this grant (a fencing token). */
  | { readonly admitted: true; readonly grant: number }
  /** Full; the earliest permit there expires in `freeIn` ms (on the server's clock). */
  | { readonly admitted: false; readonly freeIn: number };

/**
 * Takes a permit on one node. Permits are members of a sorted set scored by their expiry on the
 * server's clock (`TIME`, never a client's): expired ones are removed first, so a crashed holder's
 * permit comes back when its lease ends. Admits when fewer than the per-node limit are held
 * (every attempt brings a new id, so no retry can be counted twice). The set lives as long as its longest lease. Each grant bumps
 * the node's grant counter (a companion key in the set's hash slot), returned as a fencing token.
 *
 * KEYS[1] permits · KEYS[2] grant counter · ARGV[1] permit id · ARGV[2] ttl ms · ARGV[3] per-node limit
 * Returns `{1, grant}` admitted · `{0, ms until the earliest permit expires}` full.
 */
export const semaphoreAcquire = defineScript<SemaphoreAcquireReply>({
  name: 'semaphore-acquire',
  source: `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local key, id, ttl, limit = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZCARD', key) >= limit then
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, tonumber(first[2]) - now}
end
redis.call('ZADD', key, now + ttl, id)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now)) end
return {1, redis.call('INCR', KEYS[2])}
`,
  sha1: '68b1416d0cfa57b61ad440901ef487fe9c51098c',
  late: undefined, // it admits: run late, it would hand out a permit nobody holds
  parse: (reply) => parseAdmission(reply, 'semaphore-acquire'),
});

/**
 * Reads an admission reply, `{1, grant}` admitted or `{0, ms until room}` refused: the shape of
 * semaphore-acquire, rw-read and rw-write (whose grant is always 0).
 */
export function parseAdmission(reply: unknown, script: string): SemaphoreAcquireReply {
  if (!Array.isArray(reply) || reply.length !== 2) throw new TypeError(`unexpected reply from script ${script}`);
  const [code, n] = reply as unknown[];
  return toInteger(code, script) === 1 ? { admitted: true, grant: toInteger(n, script) } : { admitted: false, freeIn: Math.max(0, toInteger(n, script)) };
}
