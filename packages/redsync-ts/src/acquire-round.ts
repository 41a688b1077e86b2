import { nodeAt, shorterHolderTtl, type LockContext, type TimedRound } from './lock-ops.js';
import { runRound, type AnswerVerdict, type QuorumRound, type RoundSpec } from './quorum.js';
import { runScript } from './script.js';
import { lockReclaim } from './scripts/index.js';
import type { ValueOwner } from './late-writes.js';
import { confirmingReplicas, specFor } from './replicas.js';
import { monotonicNow, validUntil } from './validity.js';

/**
 * One unfenced acquisition attempt: what its round is about (the round's subject), and its result
 * once the round settled. One object per attempt carries what closures and a result object per
 * attempt used to: this runs on every uncontended lock.
 */
class Attempt<T> implements TimedRound {
  /** Set when the round settles, before anyone reads it. */
  round!: QuorumRound;
  readonly start: number;
  readonly validUntil: number;
  holderTtl: number | undefined = undefined;
  readonly ctx: LockContext;
  readonly value: string;
  readonly finish: ((result: TimedRound) => T | PromiseLike<T>) | undefined;
  /** Hears of this value's writes that land after the round settled. */
  readonly owner: ValueOwner | undefined;
  /** The owner's sweep count when this attempt was sent. */
  readonly sentAt: number;

  constructor(ctx: LockContext, value: string, finish: ((result: TimedRound) => T | PromiseLike<T>) | undefined, owner: ValueOwner | undefined) {
    this.ctx = ctx;
    this.value = value;
    this.finish = finish;
    this.owner = owner;
    this.sentAt = owner === undefined ? 0 : owner.sweeps;
    this.start = ctx.clock();
    const { options } = ctx;
    this.validUntil = validUntil(this.start, options.ttl, options.driftFactor);
  }

  /** True once the round settled: the attempt is over, won or lost. */
  over = false;

  /** Records a holder's PTTL. */
  taken(pttl: number): 'taken' {
    this.holderTtl = shorterHolderTtl(this.holderTtl, pttl);
    return 'taken';
  }
}

/** The reclaim script on one node: our own leftover counts as ours; else the holder's PTTL. */
function reclaimOn(attempt: Attempt<unknown>, node: number): Promise<AnswerVerdict> {
  const { ctx } = attempt;
  // Once the round settled (`over`), no EVAL may follow a NOSCRIPT: it could set the key
  // after the attempt's clean-up, or after the release of the lock it won.
  return runScript(nodeAt(ctx, node), lockReclaim, [ctx.key], [attempt.value, ctx.ttlArg], attempt).then((answer) =>
    answer === 'ok' ? 'ok' : attempt.taken(answer),
  );
}

const sendSetNX = (node: number, attempt: Attempt<unknown>): Promise<unknown> => {
  const { ctx } = attempt;
  const standIn = ctx.setNXStandIn;
  if (standIn !== undefined && standIn.node === node) return standIn.send(nodeAt(ctx, node), ctx.key, attempt.value, ctx.ttlArg, attempt);
  return nodeAt(ctx, node).setNX(ctx.key, attempt.value, ctx.options.ttl);
};
const setNXLanded = (reply: unknown, _node: number, attempt: Attempt<unknown>): void => {
  if (reply === 'OK') attempt.owner?.landed(attempt.ctx, attempt.sentAt);
};

/** A first attempt: `SET NX PX`, and only where that fails, the reclaim script. */
const SET_NX: RoundSpec<Attempt<unknown>> = {
  send: sendSetNX,
  interpret: (reply, node, attempt) => (reply === 'OK' ? 'ok' : reclaimOn(attempt, node)),
  late: setNXLanded,
};

/**
 * A `tryAcquire` of a fresh value: `SET NX PX` alone. Where it fails, the reclaim script has
 * nothing to do: no earlier attempt can have left this value (the default `genValue` makes a new
 * random one per call), nobody will wait, so no waiting flag is raised (the holder's release then
 * publishes nothing), and no holder's PTTL is needed. In a cache's cold burst every losing
 * process sent it beside its fill's own commands, and the fill's release then published to no one.
 */
const SET_NX_PROBE: RoundSpec<Attempt<unknown>> = {
  send: sendSetNX,
  interpret: (reply) => (reply === 'OK' ? 'ok' : 'taken'),
  late: setNXLanded,
};

/** A retry expects a holder: the reclaim script straight away (it also tries the `SET NX`). */
const RECLAIM: RoundSpec<Attempt<unknown>> = {
  send: (node, attempt) => reclaimOn(attempt, node),
  interpret: (verdict) => verdict as AnswerVerdict,
  late: (verdict, _node, attempt) => {
    if (verdict === 'ok') attempt.owner?.landed(attempt.ctx, attempt.sentAt);
  },
};

/** Which attempt a round is: see {@link acquireRound}. */
export type AttemptKind = 'first' | 'retry' | 'probe';

/** Each kind's round, plain and with replicas to confirm. */
const SPECS: Record<AttemptKind, readonly [RoundSpec<Attempt<unknown>>, RoundSpec<Attempt<unknown>>]> = {
  first: [SET_NX, confirmingReplicas(SET_NX)],
  retry: [RECLAIM, confirmingReplicas(RECLAIM)],
  probe: [SET_NX_PROBE, confirmingReplicas(SET_NX_PROBE)],
};

function settle<T>(round: QuorumRound, attempt: Attempt<T>): T | PromiseLike<T> {
  attempt.round = round;
  attempt.over = true;
  return attempt.finish === undefined ? (attempt as unknown as T) : attempt.finish(attempt);
}

/**
 * One acquisition attempt on every node at once. A first attempt sends `SET NX PX` (the
 * uncontended case: one plain command), and only where that fails, the reclaim script (our own
 * leftover counts as ours, the holder's PTTL is read, and the waiting flag is raised). A `retry`
 * expects to meet a holder and sends the reclaim script straight away, which also tries the
 * `SET NX`: one round trip per attempt either way. A `probe` (`tryAcquire` with fresh values)
 * sends `SET NX PX` alone. `finish` runs inside the round's resolution.
 */
export function acquireRound<T = TimedRound>(
  ctx: LockContext,
  value: string,
  finish?: (result: TimedRound) => T | PromiseLike<T>,
  kind: AttemptKind = 'first',
  owner?: ValueOwner,
): Promise<T> {
  const attempt = new Attempt<T>(ctx, value, finish, owner);
  // The attempt's start doubles as the deadline's, when it was read off the deadlines' own clock.
  const startedAt = ctx.clock === monotonicNow ? attempt.start : undefined;
  const [plain, replicated] = SPECS[kind];
  const spec = specFor(ctx, plain, replicated);
  return runRound<T, Attempt<T>>(ctx.order, spec, ctx.settleRound, settle, attempt, startedAt);
}
