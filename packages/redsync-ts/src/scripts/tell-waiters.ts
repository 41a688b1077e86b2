/**
 * Lua `tellWaiters(set, message)`, shared by the cache's scripts that end a wait: publishes
 * `message` to every waiter registered in `set` (see cache-attempt.ts), then empties it. A member
 * is `<id> <channel>`: the waiting process's own channel, and which of its waiters it is, which
 * the message starts with (`<id> <message>`). One message per waiting process, on a channel it
 * subscribed to once: a waiter needs no SUBSCRIBE of its own per key, and no read after one.
 * Registration exists only on standalone servers (the cache never registers on a Cluster, where
 * such a channel would not hash to the script's slot).
 */
export const TELL_WAITERS_LUA = `local function tellWaiters(set, message)
  local members = redis.call('SMEMBERS', set)
  for _, member in ipairs(members) do
    local id, channel = string.match(member, '^(%d+) (.+)$')
    if id then redis.pcall('PUBLISH', channel, id .. ' ' .. message) end
  end
  if #members > 0 then redis.call('DEL', set) end
end
`;
