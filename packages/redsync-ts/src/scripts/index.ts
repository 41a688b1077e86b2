import { cacheAttempt } from './cache-attempt.js';
import { cacheFill } from './cache-fill.js';
import { cacheNotify } from './cache-notify.js';
import { cacheRead } from './cache-read.js';
import { cacheSet } from './cache-set.js';
import { fairAcquire } from './fair-acquire.js';
import { fairRelease } from './fair-release.js';
import { fenceCommit } from './fence-commit.js';
import { fencedSet } from './fenced-set.js';
import { lockAcquireFenced } from './lock-acquire-fenced.js';
import { lockExtend, lockExtendOrSet } from './lock-extend.js';
import { lockExtendMany } from './lock-extend-many.js';
import { lockReclaim } from './lock-reclaim.js';
import { lockRelease } from './lock-release.js';
import { lockTransfer } from './lock-transfer.js';
import { multiAcquire } from './multi-acquire.js';
import { multiExtend } from './multi-extend.js';
import { multiRelease } from './multi-release.js';
import { rwExtend } from './rw-extend.js';
import { rwRead } from './rw-read.js';
import { rwRelease } from './rw-release.js';
import { rwWrite } from './rw-write.js';
import { semaphoreAcquire } from './semaphore-acquire.js';
import { semaphoreExtend } from './semaphore-extend.js';
import { semaphoreRelease } from './semaphore-release.js';

export { cacheAttempt, cacheFill, cacheNotify, cacheRead, cacheSet, fairAcquire, fairRelease, fenceCommit, fencedSet, lockAcquireFenced, lockExtend, lockExtendMany, lockExtendOrSet, lockReclaim, lockRelease, lockTransfer, multiAcquire, multiExtend, multiRelease, rwExtend, rwRead, rwRelease, rwWrite, semaphoreAcquire, semaphoreExtend, semaphoreRelease };

/** Every script the library runs; tests check each SHA1 against `SCRIPT LOAD`. */
export const ALL_SCRIPTS = [lockReclaim, lockRelease, lockExtend, lockExtendOrSet, lockExtendMany, lockAcquireFenced, fenceCommit, fencedSet, lockTransfer, cacheRead, cacheAttempt, cacheFill, cacheSet, cacheNotify, semaphoreAcquire, semaphoreRelease, semaphoreExtend, rwRead, rwWrite, rwRelease, rwExtend, multiAcquire, multiRelease, multiExtend, fairAcquire, fairRelease] as const;
