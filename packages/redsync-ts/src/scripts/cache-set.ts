import { defineScript } from '../script.js';
import { ANNOUNCE_LUA } from './announce.js';
import { TELL_WAITERS_LUA } from './tell-waiters.js';

/**
 * Writes an entry directly (`cache.set`), or a tombstone (`cache.delete`: an envelope whose
 * expiry is 0, read as a miss), stamped with the store's clock. A fill that began before it is
 * then refused (see cache-fill.ts), so a loader that read the database before the caller changed
 * it cannot bring the old value back. A value is announced like a fill's, so waiters take it.
 *
 * KEYS[1] entry key · KEYS[2] (optional) waiters set (see tell-waiters.ts) · ARGV[1] envelope after its stamp · ARGV[2] physical ttl (ms) · ARGV[3] '1'
 * publish the whole envelope, '0' only that a value arrived, '-' nothing (a tombstone).
 * Returns the stamp (µs since the epoch) as a string.
 */
export const cacheSet = defineScript<string>({
  name: 'cache-set',
  source: `${ANNOUNCE_LUA}${TELL_WAITERS_LUA}local t = redis.call('TIME')
local stamp = string.format('%d%06d', t[1], t[2])
local entry = 'c1|' .. stamp .. '|' .. ARGV[1]
redis.call('SET', KEYS[1], entry, 'PX', ARGV[2])
local message = ARGV[3] == '1' and ('v' .. entry) or ARGV[3] == '0' and 'v' or false
if message then announce(KEYS[1], ':filled', message) end
if message and KEYS[2] then tellWaiters(KEYS[2], message) end
return stamp
`,
  sha1: '54818e0890b814f38b2801ed4886bff31f2ed841',
  // Sent late, it would overwrite a newer entry: only the caller's own call may send it.
  late: undefined,
  parse(reply) {
    const stamp = typeof reply === 'string' ? reply : reply instanceof Uint8Array ? Buffer.from(reply).toString('utf8') : undefined;
    if (stamp === undefined || !/^\d+$/.test(stamp)) throw new TypeError('unexpected reply from script cache-set');
    return stamp;
  },
});
