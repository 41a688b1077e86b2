import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';

/**
 * Deletes the key if it still holds our value (go-redsync's delete script semantics).
 *
 * KEYS[1] lock key · ARGV[1] value
 * Returns `1` deleted · `0` another value holds the key · `-1` the key is missing (expired).
 */
export const lockRelease = defineScript({
  name: 'lock-release',
  source: `local key, value = KEYS[1], ARGV[1]
local current = redis.call('GET', key)
if current == value then return redis.call('DEL', key) end
if current == false then return -1 end
return 0
`,
  sha1: 'afe6585e75e78e9f1659574f39461ba2dded529b',
  parse: (reply) => verdictOf(reply, 'lock-release'),
});
