import { defineScript, toInteger } from '../script.js';
import { RAISE_WAITING_FLAG_LUA, WAITING_FLAG_LUA } from './waiting-flag.js';

/**
 * What a node answered after `SET NX` failed: `'ok'` when the key turned out to hold our own value
 * (now with the full ttl again), otherwise the remaining ttl of the holder's key in ms (-1 when it
 * has no expiry).
 */
export type ReclaimReply = 'ok' | number;

/**
 * An attempt that knows it may meet a holder: the second step of a first attempt whose
 * `SET NX` failed, and the whole of every retry. If the key holds *our* value (left by an earlier
 * attempt whose clean-up did not reach this node), it is ours: reset its ttl, so a retry is never
 * blocked by the caller's own leftover. Else `SET NX PX`. Else report the holder's PTTL, which
 * tells a waiter how long the lock can stay held at most, and raise the waiting flag so that the
 * holder's release announces itself (see waiting-flag.ts).
 *
 * KEYS[1] lock key · ARGV[1] value · ARGV[2] ttl in ms
 * Returns the status `OK` when the key is ours, else the holder's PTTL as an integer.
 */
export const lockReclaim = defineScript<ReclaimReply>({
  name: 'lock-reclaim',
  source: `${WAITING_FLAG_LUA}local key, value, ttl = KEYS[1], ARGV[1], ARGV[2]
if redis.call('GET', key) == value then
  redis.call('PEXPIRE', key, ttl)
  return redis.status_reply('OK')
end
if redis.call('SET', key, value, 'NX', 'PX', ttl) then return redis.status_reply('OK') end
local pttl = redis.call('PTTL', key)
${RAISE_WAITING_FLAG_LUA}
return pttl
`,
  sha1: '5aaa203cfad436751b354d4d1afe18b51067e169',
  // It may SET the key: sent late, it could land after the attempt's clean-up or the lock's release.
  late: undefined,
  parse: (reply) => (reply === 'OK' ? 'ok' : toInteger(reply, 'lock-reclaim')),
});
