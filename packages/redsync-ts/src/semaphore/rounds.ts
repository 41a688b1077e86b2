import { companionKey } from '../keys.js';
import { scriptCallSpec, type LockContext, type ScriptCall } from '../lock-ops.js';
import { runRound, type AnswerVerdict, type QuorumRound, type RoundOptions } from '../quorum.js';
import { confirmingReplicas, specFor } from '../replicas.js';
import { semaphoreAcquire, semaphoreExtend, semaphoreRelease } from '../scripts/index.js';
import type { SemaphoreAcquireReply } from '../scripts/semaphore-acquire.js';
import { validUntil } from '../validity.js';
import type { LeaseOps } from './permit.js';
import { leaseOps } from './permit-renewal.js';
import type { SemaphorePlan } from './plan.js';

/** @internal Everything a semaphore's rounds need, built once per semaphore. */
export interface SemaphoreContext {
  /** The node context (nodes, order, per-node timeout, clock, drift); its `quorum` is not used. */
  readonly lock: LockContext;
  readonly plan: SemaphorePlan;
  readonly ttl: number;
  readonly ttlArg: string;
  readonly perNodeArg: string;
  readonly grantsKey: string;
  /** Acquire and extend rounds: settle once `plan.votes` nodes admitted (or can no longer). */
  readonly settle: RoundOptions;
  /** Releases: settle once decided. Clean-ups: wait for every node. */
  readonly decide: RoundOptions;
  readonly cleanUp: RoundOptions;
  /** What its permits renew and release with. */
  readonly lease: LeaseOps;
}

/** @internal */
export function semaphoreContext(lock: LockContext, plan: SemaphorePlan, ttl: number, autoExtend: boolean): SemaphoreContext {
  const quorum = plan.votes;
  const sem: SemaphoreContext = {
    lock,
    plan,
    ttl,
    ttlArg: String(ttl),
    perNodeArg: String(plan.perNode),
    grantsKey: companionKey(lock.key, ':grants'),
    settle: { ...lock.settleRound, quorum },
    decide: { ...lock.decideRound, quorum },
    cleanUp: { ...lock.cleanUpRound, quorum },
    lease: leaseOps(lock, ttl, autoExtend, { votes: quorum, extend: (id) => extendRound(sem, id), release: (id) => releaseRound(sem, id) }),
  };
  return sem;
}

/** An acquire round's subject: what the nodes said beyond their votes. */
interface AcquireCall extends ScriptCall {
  /** The highest grant counter among the nodes that admitted. */
  grant: number;
  /** The soonest a permit frees up on a node that was full, in ms. */
  freeIn: number;
}

const ACQUIRE = scriptCallSpec<AcquireCall, SemaphoreAcquireReply>(semaphoreAcquire, (reply, call): AnswerVerdict => {
  if (reply.admitted) {
    call.grant = Math.max(call.grant, reply.grant);
    return 'ok';
  }
  call.freeIn = Math.min(call.freeIn, reply.freeIn);
  return 'taken';
});
const RELEASE = scriptCallSpec(semaphoreRelease);
const EXTEND = scriptCallSpec(semaphoreExtend);
const ACQUIRE_REPLICATED = confirmingReplicas(ACQUIRE);
const EXTEND_REPLICATED = confirmingReplicas(EXTEND);

/** How an attempt went: the round, the validity a win grants, and what the nodes said. */
export interface AttemptRound {
  readonly round: QuorumRound;
  readonly validUntil: number;
  readonly grant: number;
  readonly freeIn: number;
}

/** One attempt to take permit `id` on every node. */
export function acquireRound(sem: SemaphoreContext, id: string): Promise<AttemptRound> {
  const { lock } = sem;
  const start = lock.clock();
  const call: AcquireCall = { ctx: lock, keys: [lock.key, sem.grantsKey], args: [id, sem.ttlArg, sem.perNodeArg], grant: 0, freeIn: Number.POSITIVE_INFINITY };
  return runRound<QuorumRound, AcquireCall>(lock.order, specFor(lock, ACQUIRE, ACQUIRE_REPLICATED), sem.settle, undefined, call).then((round) => ({
    round,
    validUntil: validUntil(start, sem.ttl, lock.options.driftFactor),
    grant: call.grant,
    freeIn: call.freeIn,
  }));
}

/** Renews permit `id` on every node that still has it valid. */
export function extendRound(sem: SemaphoreContext, id: string): Promise<{ round: QuorumRound; validUntil: number }> {
  const { lock } = sem;
  const start = lock.clock();
  return runRound<QuorumRound, ScriptCall>(lock.order, specFor(lock, EXTEND, EXTEND_REPLICATED), sem.settle, undefined, { ctx: lock, keys: [lock.key], args: [id, sem.ttlArg] }).then((round) => ({
    round,
    validUntil: validUntil(start, sem.ttl, lock.options.driftFactor),
  }));
}

/** Gives permit `id` back; `cleanUp` waits for every node (after a failed attempt). */
export function releaseRound(sem: SemaphoreContext, id: string, cleanUp = false): Promise<QuorumRound> {
  const { lock } = sem;
  return runRound<QuorumRound, ScriptCall>(lock.order, RELEASE, cleanUp ? sem.cleanUp : sem.decide, undefined, { ctx: lock, keys: [lock.key], args: [id] });
}
