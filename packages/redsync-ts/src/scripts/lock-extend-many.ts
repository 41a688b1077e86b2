import { defineScript, toIntegers } from '../script.js';

/**
 * Renews many locks on one node in one command (the lease keeper's batch): for each key, resets
 * its ttl if it still holds its value.
 *
 * KEYS[i] lock key · ARGV[2i-1] its value · ARGV[2i] its ttl in ms
 * Returns one code per key: `1` extended · `0` another value holds it · `-1` missing.
 * All keys must share a hash slot on a Redis Cluster; elsewhere the keeper sends them one by one.
 */
export const lockExtendMany = defineScript({
  name: 'lock-extend-many',
  source: `local codes = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if current == ARGV[2 * i - 1] then codes[i] = redis.call('PEXPIRE', key, ARGV[2 * i])
  elseif current == false then codes[i] = -1
  else codes[i] = 0 end
end
return codes
`,
  sha1: '615bcc1e11238821028cf1c0dda3d4fc42259879',
  parse: (reply) => toIntegers(reply, 'lock-extend-many'),
});
