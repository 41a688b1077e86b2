import { lockReclaim } from './lock-reclaim.js';
import { lockExtend, lockExtendOrSet } from './lock-extend.js';
import { lockRelease } from './lock-release.js';

export { lockReclaim, lockExtend, lockExtendOrSet, lockRelease };

/** Every script the library runs; tests check each SHA1 against `SCRIPT LOAD`. */
export const ALL_SCRIPTS = [lockReclaim, lockRelease, lockExtend, lockExtendOrSet] as const;
