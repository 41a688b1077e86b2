import { defineScript, toInteger } from '../script.js';
import { ANNOUNCE_LUA } from './announce.js';
import { TELL_WAITERS_LUA } from './tell-waiters.js';

/** How a fenced fill ended: written, refused for a newer entry, or refused for another filler. */
export type CacheFillReply = 'written' | 'newer' | 'taken';

/**
 * Writes a filled value unless it would replace a newer one, and announces it. The fence is the
 * fill's birth stamp (the store's clock when the filler read the entry after taking the fill lock,
 * see cache-read.ts): an entry born later (another fill, a `set`, a `delete`'s tombstone) is never
 * overwritten, so a filler paused past its lease cannot bring back an older value. When the store
 * is one of the lock nodes, the write is also refused while the fill lock holds another value
 * there: someone else fills now.
 *
 * The value is announced on the key's channel and to the waiters registered in KEYS[3].
 *
 * KEYS[1] entry key · KEYS[2] (optional) fill lock key · KEYS[3] (optional) waiters set ·
 * ARGV[1] birth stamp (µs) · ARGV[2] fill lock value · ARGV[3] envelope after its stamp · ARGV[4]
 * physical ttl (ms) · ARGV[5] '1' to publish the whole envelope, '0' to publish only that a value
 * arrived · ARGV[6] '1' to refuse the write while KEYS[2] holds another value.
 * Returns `1` written · `0` a newer entry is there · `-1` another value holds the fill lock.
 */
export const cacheFill = defineScript<CacheFillReply>({
  name: 'cache-fill',
  source: `${ANNOUNCE_LUA}${TELL_WAITERS_LUA}local current = redis.call('GET', KEYS[1])
if current then
  local born = tonumber(string.match(current, '^c1|(%d+)|'))
  if born and born > tonumber(ARGV[1]) then return 0 end
end
if ARGV[6] == '1' then
  local holder = redis.call('GET', KEYS[2])
  if holder and holder ~= ARGV[2] then return -1 end
end
local entry = 'c1|' .. ARGV[1] .. '|' .. ARGV[3]
redis.call('SET', KEYS[1], entry, 'PX', ARGV[4])
local message = ARGV[5] == '1' and ('v' .. entry) or 'v'
announce(KEYS[1], ':filled', message)
if KEYS[3] then tellWaiters(KEYS[3], message) end
return 1
`,
  sha1: 'db13879506248eb77ea549bcded36dbb443cbf8f',
  // It checks the entry's stamp and the fill lock before writing: harmless when it runs late.
  late: 'self',
  parse(reply) {
    const n = toInteger(reply, 'cache-fill');
    if (n === 1) return 'written';
    if (n === 0) return 'newer';
    if (n === -1) return 'taken';
    throw new TypeError('unexpected reply from script cache-fill');
  },
});
