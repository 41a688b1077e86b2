import { companionKey } from '../keys.js';
import { scriptCallSpec, type LockContext, type ScriptCall } from '../lock-ops.js';
import { runRound, type AnswerVerdict, type QuorumRound } from '../quorum.js';
import { confirmingReplicas, specFor } from '../replicas.js';
import { fairAcquire, fairRelease, lockExtend } from '../scripts/index.js';
import type { FairAcquireReply } from '../scripts/fair-acquire.js';
import type { LeaseOps } from '../semaphore/permit.js';
import { leaseOps } from '../semaphore/permit-renewal.js';
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
    lease: leaseOps(lock, ttl, autoExtend, { extend: (id) => extendRound(fair, id), release: (id) => releaseRound(fair, id) }),
  };
  return fair;
}

/** An attempt's subject: per node, the validity a grant there gives (NaN: not granted there). */
interface AttemptCall extends ScriptCall {
  readonly start: number;
  readonly grantedUntil: number[];
  readonly fair: FairContext;
  /** A node that granted us has a waiter queued who asked before us. */
  yieldTo: boolean;
}

const ACQUIRE = scriptCallSpec<AttemptCall, FairAcquireReply>(fairAcquire, noteGrant);
const EXTEND = scriptCallSpec(lockExtend);
const EXTEND_REPLICATED = confirmingReplicas(EXTEND);
const RELEASE = scriptCallSpec(fairRelease);

/** How an attempt (or a waiter's refresh) went, node by node. */
export interface FairAttempt {
  readonly round: QuorumRound;
  /** Per node index: until when its grant is surely valid (NaN where it granted nothing). */
  readonly grantedUntil: readonly number[];
  /** Some node that granted us has a live waiter queued who asked before us. */
  readonly yieldTo: boolean;
}

/**
 * One attempt on every node. It settles as a lock attempt does, once a majority granted or can no
 * longer: a waiter learns of later grants from their messages (or its next refresh), and a node
 * that is slow or cut off costs it nothing. With `waiterLease` > 0 it queues (or refreshes)
 * registration `seq` where it is not our turn, in the place `score` (when it asked) gives it.
 */
export function attemptRound(fair: FairContext, id: string, seq: number, waiterLease: number, score: number): Promise<FairAttempt> {
  const { lock } = fair;
  const args = [id, fair.ttlArg, String(seq), String(waiterLease), String(score)];
  const call: AttemptCall = { ctx: lock, keys: fair.keys, args, start: lock.clock(), grantedUntil: lock.nodes.map(() => Number.NaN), fair, yieldTo: false };
  return runRound<QuorumRound, AttemptCall>(lock.order, ACQUIRE, lock.settleRound, undefined, call).then((round) => ({ round, grantedUntil: call.grantedUntil, yieldTo: call.yieldTo }));
}

/** A key found holding our id for `pttl` more ms is valid until then, counted from the send. */
function noteGrant(reply: FairAcquireReply, call: AttemptCall, node: number): AnswerVerdict {
  if (!reply.granted) return 'taken';
  if (reply.yieldTo) call.yieldTo = true;
  const { ttl, lock } = call.fair;
  call.grantedUntil[node] = validUntil(call.start, ttl, lock.options.driftFactor) - (ttl - Math.min(ttl, reply.pttl));
  return 'ok';
}

/** Renews a held fair lock where the key still holds `id` (the mutex's extend script). */
export function extendRound(fair: FairContext, id: string): Promise<{ round: QuorumRound; validUntil: number }> {
  const { lock } = fair;
  const start = lock.clock();
  return runRound<QuorumRound, ScriptCall>(lock.order, specFor(lock, EXTEND, EXTEND_REPLICATED), lock.settleRound, undefined, { ctx: lock, keys: [fair.keys[0]], args: [id, fair.ttlArg] }).then((round) => ({
    round,
    validUntil: validUntil(start, fair.ttl, lock.options.driftFactor),
  }));
}

/**
 * Gives the lock (or a waiter's place) up on every node; `everyNode` waits for each of them, and
 * `keepPlace` keeps the places still queued (a waiter giving back grants it cannot use).
 */
export function releaseRound(fair: FairContext, id: string, everyNode = false, keepPlace = false): Promise<QuorumRound> {
  const { lock } = fair;
  return runRound<QuorumRound, ScriptCall>(lock.order, RELEASE, everyNode ? lock.cleanUpRound : lock.decideRound, undefined, { ctx: lock, keys: fair.keys, args: keepPlace ? [id, 'keep'] : [id] });
}
