/**
 * Lua `announce(key, suffix, message)`, shared by every script that wakes waiters: publishes
 * `message` about `key` (which carries any ioredis `keyPrefix` already).
 *
 * On a standalone server it is a classic `PUBLISH` on `<key><suffix>`. On a Redis Cluster node
 * (told by `CLUSTER MYID` answering, which a standalone server refuses) a classic PUBLISH would be
 * broadcast over the cluster bus to every node; it is a sharded `SPUBLISH` instead (Redis 7.0+),
 * which stays within the key's shard. A sharded channel must hash to the script's slot, so its
 * name starts with the key's hash part as a tag: see `shardChannelOf` in keys.ts, which computes
 * the same name for subscribers. A 6.2 Cluster has no SPUBLISH: the same name goes out classic.
 * Through `redis.pcall` throughout: an ACL user without channel rights still releases, and its
 * waiters fall back to their timers.
 */
export const ANNOUNCE_LUA = `local function announce(key, suffix, message)
  if type(redis.pcall('CLUSTER', 'MYID')) ~= 'string' then
    return redis.pcall('PUBLISH', key .. suffix, message)
  end
  local open = string.find(key, '{', 1, true)
  local close = open and string.find(key, '}', open + 1, true)
  local tag = (close and close > open + 1) and string.sub(key, open, close) or ('{' .. key .. '}')
  local channel = tag .. key .. suffix
  local sent = redis.pcall('SPUBLISH', channel, message)
  if type(sent) == 'table' and sent.err then return redis.pcall('PUBLISH', channel, message) end
  return sent
end
`;
