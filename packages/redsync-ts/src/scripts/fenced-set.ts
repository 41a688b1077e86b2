import { defineScript, toInteger } from '../script.js';

/**
 * The resource side of fencing, on Redis: write a value only if the caller's fencing token is at
 * least the highest one seen for that key, and remember the token, atomically.
 *
 * KEYS[1] data key · KEYS[2] its highest-token key (same hash slot) · ARGV[1] token · ARGV[2] value
 * Returns `1` written · `0` rejected (a newer holder has written since).
 */
export const fencedSet = defineScript({
  name: 'fenced-set',
  source: `local token = tonumber(ARGV[1])
if token < (tonumber(redis.call('GET', KEYS[2])) or 0) then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2])
return 1
`,
  sha1: '3b5dd54ad36ed3892c398fd338a033af0fed8ab3',
  late: 'self',
  parse: (reply) => toInteger(reply, 'fenced-set') === 1,
});
