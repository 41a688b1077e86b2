import { defineScript, toIntegers } from '../script.js';
import { RAISE_WAITING_FLAG_LUA, WAITING_FLAG_LUA } from './waiting-flag.js';

/** A fenced acquire's answer: the node's incremented counter, or the holder's remaining ttl. */
export type FencedAcquireReply = { readonly acquired: true; readonly counter: number } | { readonly acquired: false; readonly ttl: number };

/**
 * Takes the lock like `SET key value NX PX ttl` (our own leftover counts as ours) and, when it is
 * ours, increments the lock's fencing counter in the same atomic step. When it is not, raises the
 * waiting flag like the reclaim script does.
 *
 * KEYS[1] lock key · KEYS[2] fence counter key (same hash slot) · ARGV[1] value · ARGV[2] ttl in ms
 * Returns `{1, counter}` when acquired, `{0, pttl}` when another value holds the key.
 */
export const lockAcquireFenced = defineScript<FencedAcquireReply>({
  name: 'lock-acquire-fenced',
  source: `${WAITING_FLAG_LUA}local key, fence, value, ttl = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local ours = redis.call('SET', key, value, 'NX', 'PX', ttl)
if not ours and redis.call('GET', key) == value then
  redis.call('PEXPIRE', key, ttl)
  ours = true
end
if ours then return {1, redis.call('INCR', fence)} end
local pttl = redis.call('PTTL', key)
${RAISE_WAITING_FLAG_LUA}
return {0, pttl}
`,
  sha1: 'c422265ba434000ed806ae3f2bad053e3ce3684d',
  // It may SET the key: sent late, it could land after the attempt's clean-up or the lock's release.
  late: undefined,
  parse(reply) {
    const [status, n] = toIntegers(reply, 'lock-acquire-fenced');
    if (n === undefined || (status !== 0 && status !== 1)) throw new TypeError('unexpected reply from script lock-acquire-fenced');
    return status === 1 ? { acquired: true, counter: n } : { acquired: false, ttl: n };
  },
});
