import { defineScript } from '../script.js';
import { verdictOf } from './verdict.js';
import { RELEASE_KEY_LUA, WAITING_FLAG_LUA } from './waiting-flag.js';

/**
 * Deletes every key of a multi-lock that still holds our value on one node, each as lock-release
 * does: its waiting flag goes with it, and a release some waiter flagged is announced on
 * `<key>:released` with the SHA1 of the value (never the value).
 *
 * KEYS the lock keys · ARGV[1] value
 * Returns `1` every key was ours (all deleted) · `0` some key holds another value · `-1` some key
 * was missing (expired), none held by another.
 */
export const multiRelease = defineScript({
  name: 'multi-release',
  source: `${WAITING_FLAG_LUA}${RELEASE_KEY_LUA}local value = ARGV[1]
local verdict = 1
for _, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if current == value then
    release_key(key, value)
  elseif current == false then
    if verdict == 1 then verdict = -1 end
  else
    verdict = 0
  end
end
return verdict
`,
  sha1: '77bc7ef203d8502e6f8bc7c336bb513c7af608d4',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'multi-release'),
});
