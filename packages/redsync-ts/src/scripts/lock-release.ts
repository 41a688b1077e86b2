import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';
import { RELEASE_KEY_LUA, WAITING_FLAG_LUA } from './waiting-flag.js';

/**
 * Deletes the key if it still holds our value (go-redsync's delete script semantics). When a
 * waiter left the waiting flag (see waiting-flag.ts), the same DEL removes it and the release is
 * announced on the channel `<key>:released`, so that waiters retry at once instead of at the end
 * of their retry delay; with nobody waiting nothing is published. The message is the SHA1 of the
 * value: the same on every node, so that a waiter hearing one release from several nodes can tell
 * it is one release, without revealing the value or costing the client an argument.
 *
 * An ACL user without access to the flag key still releases (the DEL falls back to the lock key
 * alone), and one without channel permissions too (the PUBLISH goes through `redis.pcall`): their
 * waiters merely fall back to their timers.
 *
 * KEYS[1] lock key · ARGV[1] value (go-redsync's delete takes the same two)
 * Returns `1` deleted · `0` another value holds the key · `-1` the key is missing (expired).
 */
export const lockRelease = defineScript({
  name: 'lock-release',
  source: `${WAITING_FLAG_LUA}${RELEASE_KEY_LUA}local key, value = KEYS[1], ARGV[1]
local current = redis.call('GET', key)
if current == value then
  release_key(key, value)
  return 1
end
if current == false then return -1 end
return 0
`,
  sha1: '0d6fc73f98c05cf12f1c7d80cb5ce90bafd1f8f4',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'lock-release'),
});
