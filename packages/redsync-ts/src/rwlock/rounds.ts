import { companionKey } from '../keys.js';
import { scriptCallSpec, type LockContext, type ScriptCall } from '../lock-ops.js';
import { runRound, type AnswerVerdict, type QuorumRound, type RoundOptions } from '../quorum.js';
import { confirmingReplicas, specFor } from '../replicas.js';
import { rwExtend, rwRead, rwRelease, rwWrite } from '../scripts/index.js';
import type { SemaphoreAcquireReply } from '../scripts/semaphore-acquire.js';
import type { LeaseOps } from '../semaphore/permit.js';
import { leaseOps } from '../semaphore/permit-renewal.js';
import { validUntil } from '../validity.js';

/** Which side of a read-write lock. */
export type RwSide = 'r' | 'w';

/** @internal Everything a read-write lock's rounds need, built once per lock. */
export interface RwContext {
  readonly lock: LockContext;
  readonly ttl: number;
  readonly ttlArg: string;
  /** How long a waiting writer's marker outlives its last attempt. */
  readonly markerArg: string;
  /** writer key, readers, waiting writer's marker: one hash slot. */
  readonly keys: readonly [string, string, string];
  readonly settle: RoundOptions;
  readonly decide: RoundOptions;
  readonly cleanUp: RoundOptions;
  readonly leases: Record<RwSide, LeaseOps>;
}

/**
 * @internal A waiting writer's marker lives a ttl past its last attempt plus a second: a waiter
 * attempts again at the latest when the last read hold it saw ends (at most a ttl), so a live
 * writer keeps it, and a writer that died blocks new readers for that long at most.
 */
export function rwContext(lock: LockContext, ttl: number, autoExtend: boolean): RwContext {
  const keys = [lock.key, companionKey(lock.key, ':readers'), companionKey(lock.key, ':writer-waiting')] as const;
  const ctx: RwContext = {
    lock,
    ttl,
    ttlArg: String(ttl),
    markerArg: String(ttl + 1000),
    keys,
    settle: lock.settleRound,
    decide: lock.decideRound,
    cleanUp: lock.cleanUpRound,
    leases: { r: sideOps(lock, 'r', () => ctx, ttl, autoExtend), w: sideOps(lock, 'w', () => ctx, ttl, autoExtend) },
  };
  return ctx;
}

/** A side's lease operations; `ctx` is read at call time (the context is still being built). */
function sideOps(lock: LockContext, side: RwSide, ctx: () => RwContext, ttl: number, autoExtend: boolean): LeaseOps {
  return leaseOps(lock, ttl, autoExtend, { extend: (id) => extendRound(ctx(), side, id), release: (id) => releaseRound(ctx(), side, id) });
}

interface AttemptCall extends ScriptCall {
  freeIn: number;
}

const interpret = (reply: SemaphoreAcquireReply, call: AttemptCall): AnswerVerdict => {
  if (reply.admitted) return 'ok';
  call.freeIn = Math.min(call.freeIn, reply.freeIn);
  return 'taken';
};
const READ = scriptCallSpec<AttemptCall, SemaphoreAcquireReply>(rwRead, interpret);
const WRITE = scriptCallSpec<AttemptCall, SemaphoreAcquireReply>(rwWrite, interpret);
const RELEASE = scriptCallSpec(rwRelease);
const EXTEND = scriptCallSpec(rwExtend);
const READ_REPLICATED = confirmingReplicas(READ);
const WRITE_REPLICATED = confirmingReplicas(WRITE);
const EXTEND_REPLICATED = confirmingReplicas(EXTEND);

/** One attempt of `side` with hold id `id` on every node. */
export function attemptRound(rw: RwContext, side: RwSide, id: string): Promise<{ round: QuorumRound; validUntil: number; freeIn: number }> {
  const { lock } = rw;
  const start = lock.clock();
  const args = side === 'r' ? [id, rw.ttlArg] : [id, rw.ttlArg, rw.markerArg];
  const call: AttemptCall = { ctx: lock, keys: rw.keys, args, freeIn: Number.POSITIVE_INFINITY };
  return runRound<QuorumRound, AttemptCall>(lock.order, side === 'r' ? specFor(lock, READ, READ_REPLICATED) : specFor(lock, WRITE, WRITE_REPLICATED), rw.settle, undefined, call).then((round) => ({
    round,
    validUntil: validUntil(start, rw.ttl, lock.options.driftFactor),
    freeIn: call.freeIn,
  }));
}

function extendRound(rw: RwContext, side: RwSide, id: string): Promise<{ round: QuorumRound; validUntil: number }> {
  const { lock } = rw;
  const start = lock.clock();
  return runRound<QuorumRound, ScriptCall>(lock.order, specFor(lock, EXTEND, EXTEND_REPLICATED), rw.settle, undefined, { ctx: lock, keys: rw.keys.slice(0, 2), args: [id, rw.ttlArg, side] }).then((round) => ({
    round,
    validUntil: validUntil(start, rw.ttl, lock.options.driftFactor),
  }));
}

/**
 * Gives a hold back. `cleanUp`: after a failed attempt, waiting for every node, and keeping a
 * waiting writer's marker (it still waits).
 */
export function releaseRound(rw: RwContext, side: RwSide, id: string, cleanUp = false): Promise<QuorumRound> {
  const how = cleanUp && side === 'w' ? 'c' : side;
  return runRound<QuorumRound, ScriptCall>(rw.lock.order, RELEASE, cleanUp ? rw.cleanUp : rw.decide, undefined, { ctx: rw.lock, keys: rw.keys, args: [id, how] });
}
