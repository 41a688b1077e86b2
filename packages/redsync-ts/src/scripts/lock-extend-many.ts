import { defineScript, toIntegers } from '../script.js';

/**
 * Renews many locks with the same ttl on one node in one command (the lease keeper's batch): for
 * each key, resets its ttl if it still holds its value. The reply lists only the exceptions, so
 * the usual answer (all renewed) is an empty array that costs nothing to send or decode.
 *
 * KEYS[i] lock key · ARGV[1] the ttl in ms · ARGV[i + 1] the value of KEYS[i]
 * Returns a flat list of `index, code` pairs for the keys NOT renewed (1-based index; code `0`:
 * another value holds it, `-1`: missing). All keys must share a hash slot on a Redis Cluster;
 * there the keeper sends them one by one instead.
 */
export const lockExtendMany = defineScript({
  name: 'lock-extend-many',
  source: `local ttl, missed = ARGV[1], {}
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if current == ARGV[i + 1] then redis.call('PEXPIRE', key, ttl)
  else
    missed[#missed + 1] = i
    missed[#missed + 1] = current == false and -1 or 0
  end
end
return missed
`,
  sha1: 'cfd388d6335e90f749d514ea27fc741862022458',
  late: 'self',
  parse: (reply) => toIntegers(reply, 'lock-extend-many'),
});
