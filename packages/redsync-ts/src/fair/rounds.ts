import { companionKey } from '../keys.js';
import { scriptCallSpec, type LockContext, type ScriptCall } from '../lock-ops.js';
import { runRound, type AnswerVerdict, type QuorumRound } from '../quorum.js';
import { fairAcquire, fairRelease, lockExtend } from '../scripts/index.js';
import type { FairAcquireReply } from '../scripts/fair-acquire.js';
import type { LeaseOps } from '../semaphore/permit.js';
import { renewEvery } from '../semaphore/permit-renewal.js';
import { validUntil } from '../validity.js';

/** @internal Everything a fair lock's rounds need, built once per fair lock. */
export interface FairContext {
  readonly lock: LockContext;
  readonly ttl: number;
  readonly ttlArg: string;
  /** How long a waiter's registration lasts without a refresh, in ms. */
  readonly waiterLease: number;
  /** lock, queue, registrations: one hash slot. */
  readonly keys: readonly [string, string, string];
  readonly lease: LeaseOps;
}

/** @internal */
export function fairContext(lock: LockContext, ttl: number, waiterLease: number, autoExtend: boolean): FairContext {
  const fair: FairContext = {
    lock,
    ttl,
    ttlArg: String(ttl),
    waiterLease,
    keys: [lock.key, companionKey(lock.key, ':queue'), companionKey(lock.key, ':waiters')],
    lease: {
      name: lock.name,
      clock: lock.clock,
      nodeCount: lock.nodes.length,
      votes: lock.quorum,
      extend: (id) => extendRound(fair, id),
      release: (id) => releaseRound(fair, id),
      renewEvery: renewEvery(lock, ttl, autoExtend),
    },
  };
  return fair;
}

/** An attempt's subject: per node, the validity a grant there gives (NaN: not granted there). */
interface AttemptCall extends ScriptCall {
  readonly start: number;
  readonly grantedUntil: number[];
  readonly fair: FairContext;
}

const ACQUIRE = scriptCallSpec<AttemptCall, FairAcquireReply>(fairAcquire, noteGrant);
const EXTEND = scriptCallSpec(lockExtend);
const RELEASE = scriptCallSpec(fairRelease);

/** How an attempt (or a waiter's refresh) went, node by node. */
export interface FairAttempt {
  readonly round: QuorumRound;
  /** Per node index: until when its grant is surely valid (NaN where it granted nothing). */
  readonly grantedUntil: readonly number[];
}

/**
 * One attempt on every node, waiting for each (up to the per-node timeout), so that every node's
 * answer is known. With `waiterLease` > 0 it queues (or refreshes) registration `seq` where it is
 * not our turn.
 */
export function attemptRound(fair: FairContext, id: string, seq: number, waiterLease: number): Promise<FairAttempt> {
  const { lock } = fair;
  const call: AttemptCall = { ctx: lock, keys: fair.keys, args: [id, fair.ttlArg, String(seq), String(waiterLease)], start: lock.clock(), grantedUntil: lock.nodes.map(() => Number.NaN), fair };
  return runRound<QuorumRound, AttemptCall>(lock.order, ACQUIRE, lock.cleanUpRound, undefined, call).then((round) => ({ round, grantedUntil: call.grantedUntil }));
}

/** A key found holding our id for `pttl` more ms is valid until then, counted from the send. */
function noteGrant(reply: FairAcquireReply, call: AttemptCall, node: number): AnswerVerdict {
  if (!reply.granted) return 'taken';
  const { ttl, lock } = call.fair;
  call.grantedUntil[node] = validUntil(call.start, ttl, lock.options.driftFactor) - (ttl - Math.min(ttl, reply.pttl));
  return 'ok';
}

/** Renews a held fair lock where the key still holds `id` (the mutex's extend script). */
export function extendRound(fair: FairContext, id: string): Promise<{ round: QuorumRound; validUntil: number }> {
  const { lock } = fair;
  const start = lock.clock();
  return runRound<QuorumRound, ScriptCall>(lock.order, EXTEND, lock.settleRound, undefined, { ctx: lock, keys: [fair.keys[0]], args: [id, fair.ttlArg] }).then((round) => ({
    round,
    validUntil: validUntil(start, fair.ttl, lock.options.driftFactor),
  }));
}

/** Gives the lock (or a waiter's place) up on every node; `everyNode` waits for each of them. */
export function releaseRound(fair: FairContext, id: string, everyNode = false): Promise<QuorumRound> {
  const { lock } = fair;
  return runRound<QuorumRound, ScriptCall>(lock.order, RELEASE, everyNode ? lock.cleanUpRound : lock.decideRound, undefined, { ctx: lock, keys: fair.keys, args: [id] });
}
