import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';

/**
 * The second round of a fenced acquire over several nodes: raise the node's counter to the token
 * chosen from a quorum (never lower it), but only while the node still holds our lock.
 *
 * KEYS[1] lock key · KEYS[2] fence counter key · ARGV[1] value · ARGV[2] token
 * Returns `1` committed · `0` another value holds the lock · `-1` the lock is missing.
 */
export const fenceCommit = defineScript({
  name: 'fence-commit',
  source: `local current = redis.call('GET', KEYS[1])
if current == false then return -1 end
if current ~= ARGV[1] then return 0 end
if (tonumber(redis.call('GET', KEYS[2])) or 0) < tonumber(ARGV[2]) then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
`,
  sha1: 'bf692ee2a65be866f6572044481a31cd0636ef20',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'fence-commit'),
});
