import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';

/**
 * Renews a permit on one node for `ttl` from now (server clock), only while it is still valid
 * there: an expired permit may already count for someone else, so it is never revived.
 *
 * KEYS[1] permits · ARGV[1] permit id · ARGV[2] ttl ms
 * Returns `1` renewed · `-1` expired or missing.
 */
export const semaphoreExtend = defineScript({
  name: 'semaphore-extend',
  source: `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score == false or tonumber(score) <= now then return -1 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now)) end
return 1
`,
  sha1: 'ccbec93e3b0b99e9d08f766b3be50a5b967cba4c',
  late: 'self', // it never revives an expired permit
  parse: (reply) => verdictOf(reply, 'semaphore-extend'),
});
