import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';

/**
 * Renews a read (`ARGV[3]` = `r`) or write (`w`) hold on one node for `ttl` from now, only while it
 * is still held there: an expired hold is never revived.
 *
 * KEYS[1] writer key · KEYS[2] readers · ARGV[1] hold id · ARGV[2] ttl ms · ARGV[3] `r` or `w`
 * Returns `1` renewed · `-1` expired or missing.
 */
export const rwExtend = defineScript({
  name: 'rw-extend',
  source: `if ARGV[3] == 'w' then
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if score == false or tonumber(score) <= now then return -1 end
redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[2], math.max(1, tonumber(last[2]) - now))
return 1
`,
  sha1: '15bd382a378135a0a3ee14ee0f0dadee94535fb4',
  late: 'self', // it never revives an expired hold,
  parse: (reply) => verdictOf(reply, 'rw-extend'),
});
