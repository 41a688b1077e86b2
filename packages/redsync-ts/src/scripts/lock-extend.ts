import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';

/**
 * Resets the key's ttl if it still holds our value (go-redsync's touch script): the ttl is
 * replaced, not added to.
 *
 * KEYS[1] lock key · ARGV[1] value · ARGV[2] ttl in ms
 * Returns `1` extended · `0` another value holds the key · `-1` the key is missing.
 */
export const lockExtend = defineScript({
  name: 'lock-extend',
  source: `local key, value, ttl = KEYS[1], ARGV[1], ARGV[2]
local current = redis.call('GET', key)
if current == value then return redis.call('PEXPIRE', key, ttl) end
if current == false then return -1 end
return 0
`,
  sha1: '92001a2eaf6d06edf62d9dc09c248224c485cb73',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'lock-extend'),
});

/**
 * Like {@link lockExtend}, but re-creates a missing key with our value (go-redsync's
 * touchWithSetNX, for nodes that restarted empty).
 *
 * KEYS[1] lock key · ARGV[1] value · ARGV[2] ttl in ms
 * Returns `1` extended or re-created · `0` another value holds the key.
 */
export const lockExtendOrSet = defineScript({
  name: 'lock-extend-or-set',
  source: `local key, value, ttl = KEYS[1], ARGV[1], ARGV[2]
local current = redis.call('GET', key)
if current == value then return redis.call('PEXPIRE', key, ttl) end
if current == false then
  redis.call('SET', key, value, 'PX', ttl)
  return 1
end
return 0
`,
  sha1: '699bced92e311f28492861565e98fd2fd65763d3',
  // Late, it must not re-create the key: it may land after the lock's release.
  late: lockExtend,
  parse: (reply) => verdictOf(reply, 'lock-extend-or-set'),
});
