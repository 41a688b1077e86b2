import { lockAcquire } from './lock-acquire.js';
import { lockExtend, lockExtendOrSet } from './lock-extend.js';
import { lockRelease } from './lock-release.js';

export { lockAcquire, lockExtend, lockExtendOrSet, lockRelease };

/** Every script the library runs; tests check each SHA1 against `SCRIPT LOAD`. */
export const ALL_SCRIPTS = [lockAcquire, lockRelease, lockExtend, lockExtendOrSet] as const;
