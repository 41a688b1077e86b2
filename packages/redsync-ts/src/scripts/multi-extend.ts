import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';

/**
 * Renews every key of a multi-lock on one node, or none: a node where one key was lost (expired,
 * taken) votes no for the whole hold, as it could not vouch for all of it.
 *
 * KEYS the lock keys · ARGV[1] value · ARGV[2] ttl ms
 * Returns `1` extended · `0` some key holds another value · `-1` some key is missing.
 */
export const multiExtend = defineScript({
  name: 'multi-extend',
  source: `local value, ttl = ARGV[1], ARGV[2]
for _, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if current == false then return -1 end
  if current ~= value then return 0 end
end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttl) end
return 1
`,
  sha1: 'a822b4609291cebc944de3665ee35a79cd867476',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'multi-extend'),
});
