import { defineScript, toIntegers } from '../script.js';

/** What one node answered to an acquire. */
export interface AcquireReply {
  /** The key now holds our value with the full ttl. */
  readonly acquired: boolean;
  /** Remaining ttl of the key in ms (the holder's when taken; -1 when it has no expiry). */
  readonly ttl: number;
}

/**
 * Takes the lock: `SET key value NX PX ttl`, the same key and value layout as go-redsync, so Go
 * and TypeScript services exclude each other. A key that already holds *our* value (left by an
 * earlier attempt whose clean-up did not reach this node) counts as ours and gets the full ttl
 * again, so a retry is never blocked by the caller's own leftover.
 *
 * KEYS[1] lock key · ARGV[1] value · ARGV[2] ttl in ms
 * Returns `{1, ttl}` when acquired, `{0, pttl}` when another value holds the key.
 */
export const lockAcquire = defineScript<AcquireReply>({
  name: 'lock-acquire',
  source: `local key, value, ttl = KEYS[1], ARGV[1], ARGV[2]
if redis.call('SET', key, value, 'NX', 'PX', ttl) then return {1, tonumber(ttl)} end
if redis.call('GET', key) == value then
  redis.call('PEXPIRE', key, ttl)
  return {1, tonumber(ttl)}
end
return {0, redis.call('PTTL', key)}
`,
  sha1: '452cfac2ff28e5bf1745a66a2f616baac707390e',
  parse(reply) {
    const [status, ttl] = toIntegers(reply, 'lock-acquire');
    if ((status !== 0 && status !== 1) || ttl === undefined) throw new TypeError('unexpected reply from script lock-acquire');
    return { acquired: status === 1, ttl };
  },
});
