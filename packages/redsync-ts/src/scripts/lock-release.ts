import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';

/**
 * Deletes the key if it still holds our value (go-redsync's delete script semantics), and then
 * announces it on the channel `<key>:released`, so that waiters retry at once instead of at the
 * end of their retry delay. The PUBLISH goes through `redis.pcall`: an ACL user without channel
 * permissions still releases (its waiters merely fall back to polling). Publishing to a channel
 * nobody listens on costs the server a hash lookup.
 *
 * KEYS[1] lock key · ARGV[1] value · ARGV[2] a tag for this release (the message), so that a
 * waiter hearing the same release from several nodes can tell it is one release
 * Returns `1` deleted · `0` another value holds the key · `-1` the key is missing (expired).
 */
export const lockRelease = defineScript({
  name: 'lock-release',
  source: `local key, value = KEYS[1], ARGV[1]
local current = redis.call('GET', key)
if current == value then
  redis.call('DEL', key)
  redis.pcall('PUBLISH', key .. ':released', ARGV[2] or '')
  return 1
end
if current == false then return -1 end
return 0
`,
  sha1: 'cc369e047fad6b18adf9acf387551b23772f86ef',
  parse: (reply) => verdictOf(reply, 'lock-release'),
});
