import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';

/**
 * Deletes the key if it still holds our value (go-redsync's delete script semantics), and then
 * announces it on the channel `<key>:released`, so that waiters retry at once instead of at the
 * end of their retry delay. The PUBLISH goes through `redis.pcall`: an ACL user without channel
 * permissions still releases (its waiters merely fall back to polling). Publishing to a channel
 * nobody listens on costs the server a hash lookup.
 *
 * KEYS[1] lock key · ARGV[1] value. The message is the SHA1 of the value: the same on every node,
 * so that a waiter hearing one release from several nodes can tell it is one release, without
 * revealing the value or costing the client an argument (go-redsync's delete takes the same two).
 * Returns `1` deleted · `0` another value holds the key · `-1` the key is missing (expired).
 */
export const lockRelease = defineScript({
  name: 'lock-release',
  source: `local key, value = KEYS[1], ARGV[1]
local current = redis.call('GET', key)
if current == value then
  redis.call('DEL', key)
  redis.pcall('PUBLISH', key .. ':released', redis.sha1hex(value))
  return 1
end
if current == false then return -1 end
return 0
`,
  sha1: 'dafd4f629bd653c3fce713fa233a7790fa6f1631',
  parse: (reply) => verdictOf(reply, 'lock-release'),
});
