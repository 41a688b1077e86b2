import { defineScript, toInteger } from '../script.js';
import { parseCacheRead, type CacheReadReply } from './cache-read.js';

/** A fill lock attempt on the store node: whether it took the key there, and the entry as it was then. */
export interface CacheAttemptReply {
  readonly won: boolean;
  /**
   * Won: the entry, the store's clock and the lock right after the SET. Lost: the entry, the
   * clock, and the holder's pttl and value, as the attempt found them.
   */
  readonly read: CacheReadReply;
}

/**
 * A fill lock's `SET NX PX` on the store node, with what its caller needs next in the same step.
 * Stands in for the plain `SET NX PX` of the lock's attempt on that node (`SetNXStandIn`).
 * - When the SET takes: the entry, the store's clock and the lock itself as they are right after
 *   it (see cache-read.ts). Every process of a cold burst sends one command less than with the
 *   read sent beside the attempt, and the read is the state right after the winning SET by
 *   construction.
 * - When it does not: the entry and the holder's pttl as they were, and, given a waiters set and
 *   a channel, the caller registered there as a waiter (see tell-waiters.ts): whatever is written
 *   after this step is published to it, and what was there before, it has just read. A losing
 *   process then waits with no command more (it used to SUBSCRIBE to the key's channel and read
 *   again once subscribed, both while the winner's loader was starting).
 *
 * KEYS[1] fill lock key · KEYS[2] entry key · KEYS[3] (optional) waiters set · KEYS[4] the
 * waiter's channel (a key position, so that a client's key prefix applies to it as to the
 * channels its subscriber adds the prefix to) · ARGV[1] lock value · ARGV[2] ttl (ms) ·
 * ARGV[3] the waiter's id on its channel
 * Returns `{1 when the SET took else 0, then what cache-read returns for both keys}`.
 */
export const cacheAttempt = defineScript<CacheAttemptReply>({
  name: 'cache-attempt',
  source: `local won = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
local t = redis.call('TIME')
if won then return {1, redis.call('GET', KEYS[2]), t[1], t[2], tonumber(ARGV[2]), ARGV[1]} end
if KEYS[4] then
  redis.call('SADD', KEYS[3], ARGV[3] .. ' ' .. KEYS[4])
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return {0, redis.call('GET', KEYS[2]), t[1], t[2], redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[1])}
`,
  sha1: '778d823a44e2d28b36693e8b56afc47a94f46722',
  // It may create the key: never sent once its attempt is over (see Script.late).
  late: undefined,
  parse(reply) {
    if (!Array.isArray(reply) || reply.length < 5) throw new TypeError('unexpected reply from script cache-attempt');
    return { won: toInteger(reply[0], 'cache-attempt') === 1, read: parseCacheRead(reply.slice(1), 'cache-attempt') };
  },
});
