import { LockLostError, LockReleaseError, RedisConfigError, hasConfigurationProblem } from './errors.js';
import type { EvictionGate } from './eviction.js';
import type { RedisNode } from './node.js';
import type { ReleaseNotifier } from './release-notifier.js';
import type { ResolvedMutexOptions } from './options.js';
import { runRound, type AnswerVerdict, type QuorumRound, type RoundOptions, type RoundSpec } from './quorum.js';
import { confirmingReplicas, specFor } from './replicas.js';
import { fallbackOf, isNoScriptError, type Operation, type Script } from './script.js';
import { lockExtend, lockExtendOrSet, lockRelease } from './scripts/index.js';
import { validUntil, type Clock } from './validity.js';

/** The part of a lock's context shared by every mutex with the same nodes and options. */
export interface LockProfile {
  /** The ttl as the decimal string Redis expects, built once. */
  readonly ttlArg: string;
  readonly nodes: readonly RedisNode[];
  /** Node indexes in the order they are contacted (shuffled once with `shufflePools`). */
  readonly order: readonly number[];
  readonly quorum: number;
  /** Per-node deadline in ms: ttl * timeoutFactor, at least 1. */
  readonly timeout: number;
  /** What renewing locks must share to be renewed together (lease-keeper.ts), built once. */
  readonly renewalGroup: string;
  readonly options: ResolvedMutexOptions;
  readonly clock: Clock;
  /** Release notifications for waiters; undefined when no node can listen. */
  readonly notifier: ReleaseNotifier | undefined;
  /** The eviction check acquisitions pass first; undefined with `onEvictingNode: 'ignore'`. */
  readonly eviction?: EvictionGate | undefined;
  /** How acquire and extend rounds run (settle at the quorum); built once, see {@link roundsFor}. */
  readonly settleRound: RoundOptions;
  /** How a release runs (settle once its outcome is decided). */
  readonly decideRound: RoundOptions;
  /** How a clean-up runs (wait for every node). */
  readonly cleanUpRound: RoundOptions;
}

/** Everything a named lock needs to talk to its nodes; built once per mutex. */
export interface LockContext extends LockProfile {
  /** The lock name as given by the user. */
  readonly name: string;
  /** The Redis key: prefix + name. */
  readonly key: string;
  /** What a first attempt sends in place of `SET NX PX` on one node, if anything. */
  readonly setNXStandIn?: SetNXStandIn | undefined;
}

/**
 * @internal A command a layer above sends in place of an attempt's `SET NX PX` on one node, to do
 * more in the same step (a cache's fill lock reads its entry there). It must set the key exactly
 * as `SET key value NX PX ttl` would and resolve to the same reply ('OK', or null when the key is
 * held), and must never be sent once `attempt.over` (see `Script.late`).
 */
export interface SetNXStandIn {
  /** The node's index in the context's nodes. */
  readonly node: number;
  send(node: RedisNode, key: string, value: string, ttlArg: string, attempt: Operation): Promise<'OK' | null>;
}

/** A round plus the validity it would grant if it was won. */
export interface TimedRound {
  readonly round: QuorumRound;
  /** start + ttl - drift, on the context's clock. */
  readonly validUntil: number;
  /** Clock reading before the first request. */
  readonly start?: number;
  /** The fencing token, for a fenced acquire that won. */
  readonly fence?: number;
  /**
   * The shortest remaining ttl (ms) any node reported for another holder's key, when the attempt
   * found the lock taken: the longest a waiter needs to sleep before the lock can be free there.
   */
  readonly holderTtl?: number | undefined;
}

/**
 * The shortest holder ttl of a round so far, after a node reported `pttl` for a taken key:
 * -1 (no expiry) and -2 (gone) say nothing about when it ends (then infinity, if nothing did).
 */
export function shorterHolderTtl(shortest: number | undefined, pttl: number): number {
  const known = shortest ?? Number.POSITIVE_INFINITY;
  return pttl >= 0 && pttl < known ? pttl : known;
}

/**
 * False when every node answered that another value holds the key: then the attempt set nothing
 * anywhere, and the clean-up round (one round trip per node, on every loser of a hot key) can be
 * skipped. Any vote for us, error, timeout or missing answer (a command that may still land)
 * needs it.
 */
export function mayHaveLeftKeys(ctx: LockContext, result: TimedRound): boolean {
  // Counting answers, not outcomes: a round that settled early has nodes that never answered.
  return result.round.taken < ctx.nodes.length;
}

/** True when the round gathered a quorum and left some validity when it settled. */
export function isWon(ctx: LockContext, result: TimedRound): boolean {
  return result.round.ok >= ctx.quorum && result.validUntil > result.round.settledAt;
}

/** Resets the ttl on every node where the key still holds `value`. */
export function extendRound(ctx: LockContext, value: string, holder?: Operation): Promise<TimedRound> {
  const start = ctx.clock();
  const { options } = ctx;
  const call: ScriptCall = holder === undefined ? { ctx, keys: [ctx.key], args: [value, ctx.ttlArg] } : { ctx, keys: [ctx.key], args: [value, ctx.ttlArg], holder };
  const spec = options.setNXOnExtend ? specFor(ctx, EXTEND_OR_SET, EXTEND_OR_SET_REPLICATED) : specFor(ctx, EXTEND, EXTEND_REPLICATED);
  return runRound<QuorumRound, ScriptCall>(ctx.order, spec, ctx.settleRound, undefined, call).then((round) => ({
    round,
    validUntil: validUntil(start, options.ttl, options.driftFactor),
  }));
}

/** What a script round is about: the context, and the script's keys and arguments. */
export interface ScriptCall {
  readonly ctx: LockContext;
  readonly keys: readonly string[];
  readonly args: readonly string[];
  /**
   * The hold the call serves, when it has one (an extend): until its release starts, even a
   * straggler's fallback lands before that release on the node's connection, so it may be sent
   * in full (extend-or-set re-creates the key on a node that restarted empty).
   */
  readonly holder?: Operation;
}

/**
 * A spec that runs `script` with the round's call: EVALSHA, then EVAL where the script is not
 * cached. Built once per script; `interpret` turns the parsed reply into a verdict, and may note
 * what it learnt on the call (a fencing counter, a holder's ttl).
 */
export function scriptCallSpec(script: Script<AnswerVerdict>): RoundSpec<ScriptCall>;
export function scriptCallSpec<C extends ScriptCall, R>(script: Script<R>, interpret: (reply: R, call: C, node: number) => AnswerVerdict): RoundSpec<C>;
export function scriptCallSpec<C extends ScriptCall, R>(script: Script<R>, interpret?: (reply: R, call: C, node: number) => AnswerVerdict): RoundSpec<C> {
  return {
    send: (node, call) => nodeAt(call.ctx, node).evalsha(script.sha1, call.keys, call.args),
    interpret: interpret === undefined ? (reply) => script.parse(reply) as AnswerVerdict : (reply, node, call) => interpret(script.parse(reply), call, node),
    fallback: (node, error, call, late) => {
      const fallback = isNoScriptError(error) ? fallbackOf(script, late && call.holder?.over !== false) : undefined;
      return fallback === undefined ? undefined : nodeAt(call.ctx, node).eval(fallback.source, call.keys, call.args);
    },
  };
}

const RELEASE = scriptCallSpec(lockRelease);
const EXTEND = scriptCallSpec(lockExtend);
const EXTEND_OR_SET = scriptCallSpec(lockExtendOrSet);
const EXTEND_REPLICATED = confirmingReplicas(EXTEND);
const EXTEND_OR_SET_REPLICATED = confirmingReplicas(EXTEND_OR_SET);

/**
 * Releases a held lock: deletes the key on every node where it still holds `value`, and settles
 * as soon as the outcome is decided (a quorum deleted it, or too few nodes are left to). A node
 * that is down then costs nothing; the other nodes' compare-and-deletes still run, bounded by the
 * per-node timeout, and can only ever delete our own value.
 */
export function releaseRound<T = QuorumRound>(ctx: LockContext, value: string, finish?: (round: QuorumRound) => T | PromiseLike<T>): Promise<T> {
  return runRound<T, ScriptCall>(ctx.order, RELEASE, ctx.decideRound, finish, { ctx, keys: [ctx.key], args: [value] });
}

/**
 * The clean-up after a failed attempt (or handoff): deletes the key on every node where it still
 * holds `value`, waiting for every node (up to the per-node timeout), so that when it returns no
 * reachable node still holds our value.
 */
export function cleanUpRound(ctx: LockContext, value: string): Promise<QuorumRound> {
  return runRound<QuorumRound, ScriptCall>(ctx.order, RELEASE, ctx.cleanUpRound, undefined, { ctx, keys: [ctx.key], args: [value] });
}

/**
 * The ways a profile's rounds run, built once per profile rather than per round. Acquire and
 * extend rounds settle on a win; releases settle once decided; clean-ups wait for every node.
 * The last two skip the settle-time clock read (nobody needs it).
 */
export function roundsFor(profile: Pick<LockProfile, 'quorum' | 'timeout' | 'clock' | 'options'>): Pick<LockProfile, 'settleRound' | 'decideRound' | 'cleanUpRound'> {
  const { quorum, timeout, clock } = profile;
  return {
    settleRound: Object.freeze({ quorum, failFast: profile.options.failFast, settleOnWin: true, timeout, clock }),
    decideRound: Object.freeze({ quorum, failFast: true, settleOnWin: true, timeout, clock: undefined }),
    cleanUpRound: Object.freeze({ quorum, failFast: false, settleOnWin: false, timeout, clock: undefined }),
  };
}

/** The node at `index`. @throws RangeError when there is none (a defect, not user input) */
export function nodeAt(ctx: LockContext, index: number): RedisNode {
  const node = ctx.nodes[index];
  if (node === undefined) throw new RangeError(`no node at index ${index}`);
  return node;
}

/**
 * The error for an extend round that was not won, and whether the lock is lost for good: when
 * more nodes than a quorum can spare said it expired or belongs to someone else, no later extend
 * can win it back.
 */
export function extendFailure(ctx: LockContext, round: QuorumRound): { error: LockLostError; lost: boolean } {
  const n = ctx.nodes.length;
  const why = round.ok >= ctx.quorum ? 'the quorum answered too late' : `${round.ok} of ${n} nodes confirmed it`;
  const error = new LockLostError(`could not extend lock: ${why}`, 'extend-failed', round.outcomes);
  return { error, lost: round.taken + round.expired > n - ctx.quorum };
}

/**
 * Throws when too few nodes answered a release round to tell whether the lock left a quorum:
 * a `RedisConfigError` when a node refused for a configuration reason, else a `LockReleaseError`.
 */
export function throwIfUndecided(ctx: LockProfile, round: QuorumRound): void {
  if (round.errors <= ctx.nodes.length - ctx.quorum) return;
  throw hasConfigurationProblem(round.outcomes) ? new RedisConfigError(round.outcomes) : new LockReleaseError(round.outcomes);
}
