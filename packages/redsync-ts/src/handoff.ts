import { cleanUpRound, isWon, releaseRound, scriptCallSpec, throwIfUndecided, type LockContext, type ScriptCall, type TimedRound } from './lock-ops.js';
import { runRound, type QuorumRound } from './quorum.js';
import { confirmingReplicas, specFor } from './replicas.js';
import { lockTransfer } from './scripts/index.js';
import { validUntil as validityEnd } from './validity.js';
import type { HandoffOffer, Reservation } from './handoff-chain.js';
import type { ValueOwner } from './late-writes.js';

const TRANSFER = scriptCallSpec(lockTransfer);
const TRANSFER_REPLICATED = confirmingReplicas(TRANSFER);

/**
 * True when a lock with `remaining` ms of validity may be passed on to the waiter of `offer` as it
 * is, with no round trip: when at least `1 - autoExtendFactor` of the waiter's ttl is left (two
 * thirds by default). So a passed lock is never older than one that renewal would leave alone,
 * and its holder has most of a ttl ahead, as after an acquisition; an older lock is transferred
 * through Redis, which gives the waiter a fresh ttl.
 */
export function mayPassOn(remaining: number, offer: HandoffOffer): boolean {
  const { ttl, autoExtendFactor } = offer.ctx.options;
  return remaining >= ttl * (1 - autoExtendFactor);
}

/**
 * Sets aside the waiter of this process that the lock of `ctx` should go to, if one waits.
 * Fencing locks are never handed over: each grant must draw its token in an attempt.
 */
export function reserveWaiter(ctx: LockContext): Reservation | undefined {
  return ctx.options.fencing ? undefined : ctx.notifier?.reserve(ctx.key);
}

/**
 * Passes the lock `value` as it is to the reserved waiter when it is young enough and its value
 * never left the library (`'passed'`; `'gone'` when the waiter went away meanwhile, and the lock
 * must be released instead); otherwise it must be transferred through Redis (`'transfer'`).
 */
export function passOn(reservation: Reservation, value: string, validUntil: number, exposed: boolean, now: number, owner?: ValueOwner): 'passed' | 'gone' | 'transfer' {
  if (exposed || !mayPassOn(validUntil - now, reservation.offer)) return 'transfer';
  return reservation.deliver({ value, validUntil, start: now, owner }) ? 'passed' : 'gone';
}

/**
 * Releases the lock `value` of `from` by handing it to a waiter of this process: on every node
 * where the key still holds `value`, it gets the waiter's value and the waiter's ttl, in one round
 * trip (the lock-transfer script). The waiter's validity counts from before that round, as for an
 * acquisition, and the round must be won like one (a quorum, validity left). When it is not, both
 * values are released everywhere and the waiter makes an attempt of its own; when the waiter went
 * away meanwhile (it aborted), the lock it would have had is released.
 * @returns what `release()` returns: true when the releasing value left a quorum of nodes.
 * @throws LockReleaseError (or RedisConfigError) when too few nodes answered to tell.
 */
export async function handOff(from: LockContext, value: string, reservation: Reservation): Promise<boolean> {
  const { ctx, value: next } = reservation.offer;
  const { ttl, driftFactor } = ctx.options;
  const start = ctx.clock();
  const subject: ScriptCall = { ctx, keys: [ctx.key], args: [value, next, ctx.ttlArg] };
  const round = await runRound<QuorumRound, ScriptCall>(ctx.order, specFor(ctx, TRANSFER, TRANSFER_REPLICATED), ctx.settleRound, undefined, subject);
  const grant: TimedRound = { round, start, validUntil: validityEnd(start, ttl, driftFactor) };
  if (isWon(ctx, grant)) {
    if (!reservation.deliver({ value: next, validUntil: grant.validUntil, start })) await releaseRound(ctx, next);
    return true;
  }
  // Not won: nodes may hold either value. Clear both, then let the waiter try on its own.
  const [, rest] = await Promise.all([cleanUpRound(ctx, next), cleanUpRound(from, value)]);
  reservation.deliver(undefined);
  throwIfUndecided(from, rest);
  // A node counts as released where the value was handed over (then cleared) or deleted now.
  return round.ok + rest.ok >= from.quorum;
}
