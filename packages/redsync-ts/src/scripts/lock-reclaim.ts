import { defineScript, toInteger } from '../script.js';

/**
 * What a node answered after `SET NX` failed: `'ok'` when the key turned out to hold our own value
 * (now with the full ttl again), otherwise the remaining ttl of the holder's key in ms (-1 when it
 * has no expiry).
 */
export type ReclaimReply = 'ok' | number;

/**
 * Runs only when `SET key value NX PX ttl` found the key taken. If the key holds *our* value (left
 * by an earlier attempt whose clean-up did not reach this node), it is ours: reset its ttl, so a
 * retry is never blocked by the caller's own leftover. Otherwise report the holder's PTTL, which
 * tells a waiter how long the lock can stay held at most.
 *
 * KEYS[1] lock key · ARGV[1] value · ARGV[2] ttl in ms
 * Returns the status `OK` when the key is ours, else the holder's PTTL as an integer.
 */
export const lockReclaim = defineScript<ReclaimReply>({
  name: 'lock-reclaim',
  source: `local key, value, ttl = KEYS[1], ARGV[1], ARGV[2]
if redis.call('GET', key) == value then
  redis.call('PEXPIRE', key, ttl)
  return redis.status_reply('OK')
end
if redis.call('SET', key, value, 'NX', 'PX', ttl) then return redis.status_reply('OK') end
return redis.call('PTTL', key)
`,
  sha1: '89c97356578512b3ed336041c48e00b7e3ff71ce',
  parse: (reply) => (reply === 'OK' ? 'ok' : toInteger(reply, 'lock-reclaim')),
});
