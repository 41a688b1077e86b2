import { ANNOUNCE_LUA } from './announce.js';

/**
 * The waiting flag, shared by the scripts: a waiter whose attempt found the lock taken sets it,
 * and the holder's release deletes it together with the lock key and publishes only when it was
 * there. So an uncontended release publishes nothing (PUBLISH is the costliest part of a release,
 * and in Redis Cluster it is broadcast to every node), while a waiting one is always heard.
 *
 * The flag is `companionKey(key, ':waiting')` (see keys.ts), computed here in Lua from KEYS[1]:
 * it lives in the lock key's cluster slot and carries any ioredis `keyPrefix` already.
 */
export const WAITING_FLAG_LUA = `local function waiting_flag(key)
  local open = string.find(key, '{', 1, true)
  local close = open and string.find(key, '}', open + 1, true)
  if close and close > open + 1 then return key .. ':waiting' end
  return '{' .. key .. '}:waiting'
end
`;

/**
 * Lua `release_key(key, value)` (after {@link WAITING_FLAG_LUA}): deletes a key known to hold
 * `value`, with its waiting flag, and announces the release on `<key>:released` (the SHA1 of the
 * value) only when a waiter had flagged it. An ACL user without access to the flag key still
 * releases (the DEL falls back to the lock key alone), and one without channel permissions too
 * (the PUBLISH goes through `redis.pcall`).
 */
export const RELEASE_KEY_LUA = `${ANNOUNCE_LUA}local function release_key(key, value)
  local flagged, deleted = pcall(redis.call, 'DEL', key, waiting_flag(key))
  if not flagged then
    redis.call('DEL', key)
  elseif deleted == 2 then
    announce(key, ':released', redis.sha1hex(value))
  end
end
`;

/**
 * Lua that raises the flag for the holder's key with `pttl` left (ms, -1 when it has no expiry):
 * it lives at least as long as the holder's key, and at least one ttl of the waiter. Through
 * `redis.pcall`: an ACL user without the flag key loses notifications (waiters fall back to their
 * timers), never the attempt.
 */
export const RAISE_WAITING_FLAG_LUA = `redis.pcall('SET', waiting_flag(key), '1', 'PX', math.max(pttl, tonumber(ttl)))`;
