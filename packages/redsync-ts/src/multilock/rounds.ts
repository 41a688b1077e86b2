import { nodeAt, type LockContext } from '../lock-ops.js';
import type { RedisNode } from '../node.js';
import { runRound, type AnswerVerdict, type QuorumRound, type RoundOptions, type RoundSpec } from '../quorum.js';
import { confirmingWrites, specFor, type Written } from '../replicas.js';
import { runScript, type Operation, type Script } from '../script.js';
import { multiAcquire, multiExtend, multiRelease } from '../scripts/index.js';
import type { MultiAcquireReply } from '../scripts/multi-acquire.js';
import type { LeaseOps } from '../semaphore/permit.js';
import { leaseOps } from '../semaphore/permit-renewal.js';
import { groupBySlot } from '../slots.js';
import { validUntil } from '../validity.js';

/** @internal Everything a multi-lock's rounds need, built once per multi-lock. */
export interface MultiContext {
  /** The node context; its `key` is the first key's, and is not used. */
  readonly lock: LockContext;
  /** The names, sorted: the canonical order. */
  readonly names: readonly string[];
  /** prefix + name, in the names' order. */
  readonly keys: readonly string[];
  /** The keys split by Redis Cluster slot, in slot order: what a Cluster node takes one by one. */
  readonly slotGroups: readonly (readonly string[])[];
  readonly ttl: number;
  readonly ttlArg: string;
  readonly lease: LeaseOps;
}

/** @internal */
export function multiContext(lock: LockContext, names: readonly string[], keys: readonly string[], ttl: number, autoExtend: boolean): MultiContext {
  const multi: MultiContext = {
    lock,
    names,
    keys,
    slotGroups: groupBySlot(keys),
    ttl,
    ttlArg: String(ttl),
    lease: leaseOps(lock, ttl, autoExtend, { name: names.join(', '), extend: (id) => extendRound(multi, id), release: (id) => releaseRound(multi, id) }),
  };
  return multi;
}

/** What a multi-lock round is about; `over` once it settled (see `Script.late`). */
interface MultiCall extends Operation {
  readonly multi: MultiContext;
  readonly script: Script<unknown>;
  readonly args: readonly string[];
  over: boolean;
  /** Attempts: the first key another holder had, and its PTTL there. */
  blocker: string | undefined;
  blockerTtl: number;
}

/** The key groups one script call may take on `redis`: all keys, or one slot's on a Cluster. */
function groupsOn(multi: MultiContext, redis: RedisNode): readonly (readonly string[])[] {
  return redis.cluster === true ? multi.slotGroups : [multi.keys];
}

/**
 * An attempt on one node: the slot groups in their canonical order, one after another, stopping
 * at the first that finds a key taken (what the earlier ones took is given back by the clean-up).
 */
async function acquireOn(node: number, call: MultiCall): Promise<AnswerVerdict> {
  const redis = nodeAt(call.multi.lock, node);
  for (const keys of groupsOn(call.multi, redis)) {
    // A round that settled without this node is being cleaned up: nothing more may be taken.
    if (call.over) return 'taken';
    const reply: MultiAcquireReply = await runScript(redis, multiAcquire, keys, call.args, call);
    if (reply.taken) {
      if (call.blocker === undefined || reply.pttl < call.blockerTtl) {
        call.blocker = keys[reply.blocker];
        call.blockerTtl = reply.pttl < 0 ? call.multi.ttl : reply.pttl;
      }
      return 'taken';
    }
  }
  return 'ok';
}

/** An extend or release on one node: every slot group (at once), the worst verdict. */
async function eachGroupOn(node: number, call: MultiCall): Promise<AnswerVerdict> {
  const redis = nodeAt(call.multi.lock, node);
  const verdicts = await Promise.all(groupsOn(call.multi, redis).map((keys) => runScript(redis, call.script as Script<AnswerVerdict>, keys, call.args, call)));
  return verdicts.find((v) => v === 'taken') ?? verdicts.find((v) => v === 'expired') ?? 'ok';
}

// runScript falls back to EVAL itself (or to the script's late form once `over`): no `fallback`.
const ACQUIRE: RoundSpec<MultiCall> = { send: acquireOn, interpret: (verdict) => verdict as AnswerVerdict };
const EACH_GROUP: RoundSpec<MultiCall> = { send: eachGroupOn, interpret: (verdict) => verdict as AnswerVerdict };
// With waitReplicas: one key per slot group (on a Cluster node, WAIT goes to each group's master).
const written = (call: MultiCall): Written => ({ ctx: call.multi.lock, keys: call.multi.slotGroups.map((group) => group[0] as string) });
const ACQUIRE_REPLICATED = confirmingWrites(ACQUIRE, written);
const EXTEND_REPLICATED = confirmingWrites(EACH_GROUP, written);

function run(multi: MultiContext, spec: RoundSpec<MultiCall>, options: RoundOptions, script: Script<unknown>, args: readonly string[]): Promise<{ round: QuorumRound; call: MultiCall }> {
  const call: MultiCall = { multi, script, args, over: false, blocker: undefined, blockerTtl: Number.POSITIVE_INFINITY };
  return runRound<QuorumRound, MultiCall>(multi.lock.order, spec, options, undefined, call).then((round) => {
    call.over = true;
    return { round, call };
  });
}

/** How an attempt went: the round, the validity a win grants, and the key to wait on if lost. */
export interface MultiAttempt {
  readonly round: QuorumRound;
  readonly validUntil: number;
  /** The first key found held by another, or undefined (a split vote, or nodes failing). */
  readonly blocker: string | undefined;
  /** Until that key can be free, in ms (the shortest PTTL reported for it). */
  readonly freeIn: number;
}

/** One attempt to take every key, with value `id`, on every node. */
export function acquireRound(multi: MultiContext, id: string): Promise<MultiAttempt> {
  const start = multi.lock.clock();
  return run(multi, specFor(multi.lock, ACQUIRE, ACQUIRE_REPLICATED), multi.lock.settleRound, multiAcquire, [id, multi.ttlArg]).then(({ round, call }) => ({
    round,
    validUntil: validUntil(start, multi.ttl, multi.lock.options.driftFactor),
    blocker: call.blocker,
    freeIn: call.blockerTtl,
  }));
}

/** Renews every key still holding `id`, all or none per node. */
export function extendRound(multi: MultiContext, id: string): Promise<{ round: QuorumRound; validUntil: number }> {
  const start = multi.lock.clock();
  return run(multi, specFor(multi.lock, EACH_GROUP, EXTEND_REPLICATED), multi.lock.settleRound, multiExtend, [id, multi.ttlArg]).then(({ round }) => ({
    round,
    validUntil: validUntil(start, multi.ttl, multi.lock.options.driftFactor),
  }));
}

/** Deletes every key still holding `id`; `cleanUp` waits for every node (after a failed attempt). */
export function releaseRound(multi: MultiContext, id: string, cleanUp = false): Promise<QuorumRound> {
  return run(multi, EACH_GROUP, cleanUp ? multi.lock.cleanUpRound : multi.lock.decideRound, multiRelease, [id]).then(({ round }) => round);
}
