/**
 * `waitReplicas`: a node's vote for an acquisition counts only once enough of its replicas have
 * the write. Replication is asynchronous, so a master that dies right after our SET can be
 * replaced by a replica that never saw it, and a second holder gets in (see docs/topologies.md).
 * `WAIT n timeout` after the winning write narrows that window to a crash before the replicas
 * acknowledged; it is not consensus (a replica that acknowledged can still lose the race to be
 * promoted, and WAIT cannot run inside a script, so it is one more round trip on the winning
 * path). A layer over the acquire specs: a reader of the Redlock core can skip it.
 */
import { LockError } from './errors.js';
import { nodeAt, type LockContext } from './lock-ops.js';
import type { AnswerVerdict, RoundSpec } from './quorum.js';

/** A node's write reached fewer replicas than `waitReplicas` asked for within WAIT's timeout. */
export class ReplicasNotConfirmedError extends LockError {
  override name = 'ReplicasNotConfirmedError';
  /** Replicas asked for (`waitReplicas`). */
  readonly wanted: number;
  /** Replicas that acknowledged the write. */
  readonly confirmed: number;

  /** @internal */
  constructor(wanted: number, confirmed: number, timeout: number) {
    super('REPLICAS_NOT_CONFIRMED', `${String(confirmed)} of ${String(wanted)} replica(s) acknowledged the lock write within ${String(timeout)} ms (waitReplicas); the node's vote does not count`);
    this.wanted = wanted;
    this.confirmed = confirmed;
  }
}

/** The WAIT timeout: half the per-node deadline, so a short count is reported before the deadline cuts the node off. */
function waitTimeoutOf(ctx: LockContext): number {
  return Math.max(1, Math.floor(ctx.timeout / 2));
}

async function confirmed(ctx: LockContext, node: number, verdict: AnswerVerdict): Promise<AnswerVerdict> {
  if (verdict !== 'ok') return verdict;
  const wanted = ctx.options.waitReplicas;
  const timeout = waitTimeoutOf(ctx);
  const target = nodeAt(ctx, node);
  const count = await (target.waitReplicas as NonNullable<typeof target.waitReplicas>)(ctx.key, wanted, timeout);
  if (count >= wanted) return 'ok';
  throw new ReplicasNotConfirmedError(wanted, count, timeout);
}

/**
 * `spec` whose 'ok' verdicts wait for `waitReplicas` replicas of the node first (a rejection
 * makes the node count as failed, with the error as its cause).
 */
export function confirmingReplicas<S extends { readonly ctx: LockContext }>(spec: RoundSpec<S>): RoundSpec<S> {
  return {
    ...spec,
    interpret: (reply, node, subject) => {
      const verdict = spec.interpret(reply, node, subject);
      return typeof verdict === 'string' ? confirmed(subject.ctx, node, verdict) : verdict.then((v) => confirmed(subject.ctx, node, v));
    },
  };
}

/** @throws TypeError when `waitReplicas` is asked of nodes that cannot send WAIT. */
export function checkReplicaNodes(ctx: Pick<LockContext, 'nodes' | 'options'>, label: string): void {
  if (ctx.options.waitReplicas === 0) return;
  const index = ctx.nodes.findIndex((node) => typeof node.waitReplicas !== 'function');
  if (index !== -1) throw new TypeError(`${label}.waitReplicas needs nodes that can send WAIT (fromIoredis, fromNodeRedis); node #${String(index)} cannot`);
}
