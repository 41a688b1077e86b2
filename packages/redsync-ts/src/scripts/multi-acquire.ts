import { defineScript, toInteger } from '../script.js';
import { RAISE_WAITING_FLAG_LUA, WAITING_FLAG_LUA } from './waiting-flag.js';

/** A node's answer to a multi-lock attempt. */
export type MultiAcquireReply =
  | { readonly taken: false }
  /** `blocker` (index into the keys) holds another value for `pttl` more ms (-1: no expiry). */
  | { readonly taken: true; readonly blocker: number; readonly pttl: number };

/**
 * Takes every key of a multi-lock on one node, or none: each key must be free or hold our own
 * value (a leftover of our earlier attempt). The first key held by someone else stops it; its
 * waiting flag is raised, so that its holder's release (a mutex's or a multi-lock's) announces
 * itself on `<key>:released`, and its index and PTTL are returned for the waiter to listen on.
 * The keys are plain lock keys: a multi-lock on `a` excludes a mutex on `a`, and the reverse.
 *
 * KEYS the lock keys (one slot on Redis Cluster) · ARGV[1] value · ARGV[2] ttl ms
 * Returns `{1}` all taken · `{0, index (0-based), pttl}` a key is held by another value.
 */
export const multiAcquire = defineScript<MultiAcquireReply>({
  name: 'multi-acquire',
  source: `${WAITING_FLAG_LUA}local value, ttl = ARGV[1], ARGV[2]
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if current and current ~= value then
    local pttl = redis.call('PTTL', key)
    ${RAISE_WAITING_FLAG_LUA}
    return {0, i - 1, pttl}
  end
end
for _, key in ipairs(KEYS) do redis.call('SET', key, value, 'PX', ttl) end
return {1}
`,
  sha1: '3b4da5059ee743dfdd5f0fcff0557a7829827e8c',
  late: undefined, // it sets keys: run late, it would bring back a lock nobody holds
  parse: (reply) => {
    if (!Array.isArray(reply) || reply.length === 0) throw new TypeError('unexpected reply from script multi-acquire');
    const [code, blocker, pttl] = reply as unknown[];
    if (toInteger(code, 'multi-acquire') === 1) return { taken: false };
    return { taken: true, blocker: toInteger(blocker, 'multi-acquire'), pttl: toInteger(pttl, 'multi-acquire') };
  },
});
