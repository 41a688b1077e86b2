import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';

/**
 * Hands the lock from one holder to the next in one step: if the key still holds the releasing
 * holder's value, it gets the next holder's value and a fresh ttl. Used when the releasing process
 * has a waiter of its own for the key (see handoff.ts): a handoff then costs one round trip instead
 * of a release, a notification and an attempt. The waiting flag is left alone: waiters of other
 * processes are still announced by the next real release.
 *
 * KEYS[1] lock key · ARGV[1] releasing value · ARGV[2] next value · ARGV[3] ttl in ms
 * Returns `1` handed over · `0` another value holds the key · `-1` the key is missing (expired).
 */
export const lockTransfer = defineScript({
  name: 'lock-transfer',
  source: `local key = KEYS[1]
local current = redis.call('GET', key)
if current == ARGV[1] then
  redis.call('SET', key, ARGV[2], 'PX', ARGV[3])
  return 1
end
if current == false then return -1 end
return 0
`,
  sha1: 'e7c2dc19063513b01dbf68d32005a95810e16c1d',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'lock-transfer'),
});
