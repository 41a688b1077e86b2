import type { NodeVerdict } from '../errors.js';
import { toInteger } from '../script.js';

/**
 * The reply code convention shared by the release and extend scripts (go-redsync's delete script):
 * `1` done, `0` the key holds another value, `-1` the key is missing.
 */
export function verdictOf(reply: unknown, script: string): Exclude<NodeVerdict, 'error'> {
  const code = toInteger(reply, script);
  if (code === 1) return 'ok';
  if (code === -1) return 'expired';
  if (code === 0) return 'taken';
  throw new TypeError(`unexpected reply code ${code} from script ${script}`);
}
