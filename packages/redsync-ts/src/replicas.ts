/**
 * `waitReplicas`: a node's vote for an acquisition or a renewal (of a lock or of any primitive's
 * hold) counts only once enough of its replicas have the write. Replication is asynchronous, so a
 * master that dies right after our SET can be replaced by a replica that never saw it, and a
 * second holder gets in (see docs/topologies.md).
 * `WAIT n timeout` after the winning write narrows that window to a crash before the replicas
 * acknowledged; it is not consensus (a replica that acknowledged can still lose the race to be
 * promoted, and WAIT cannot run inside a script, so it is one more round trip on the winning
 * path). A layer over the acquire specs: a reader of the Redlock core can skip it.
 */
import { LockError } from './errors.js';
import type { RedisNode } from './node.js';
import type { AnswerVerdict, RoundSpec } from './quorum.js';

/** What confirming needs of a lock context (structural: lock-ops.ts builds its rounds with it). */
export interface ReplicaContext {
  readonly key: string;
  readonly nodes: readonly RedisNode[];
  /** The per-node timeout, ms. */
  readonly timeout: number;
  readonly options: { readonly waitReplicas: number };
}

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
function waitTimeoutOf(ctx: ReplicaContext): number {
  return Math.max(1, Math.floor(ctx.timeout / 2));
}

/**
 * How many replicas of `node` acknowledged the writes of `keys` (the fewest over the keys): `WAIT`
 * on the connection that wrote each. WAIT counts the writes of its own connection, so one per key
 * only where keys can live on different masters (a Cluster node: give one key per slot); elsewhere
 * the first key's connection wrote them all. (Nodes without WAIT are refused with the options.)
 */
export async function acknowledgingReplicas(ctx: ReplicaContext, node: RedisNode, keys: readonly string[]): Promise<number> {
  const { waitReplicas } = ctx.options;
  const timeout = waitTimeoutOf(ctx);
  const sent = (node.cluster === true ? keys : keys.slice(0, 1)).map((key) => node.waitReplicas?.(key, waitReplicas, timeout) ?? Promise.resolve(0));
  return Math.min(...(await Promise.all(sent)));
}

async function confirmed(ctx: ReplicaContext, node: number, keys: readonly string[], verdict: AnswerVerdict): Promise<AnswerVerdict> {
  if (verdict !== 'ok') return verdict;
  const count = await acknowledgingReplicas(ctx, ctx.nodes[node] as RedisNode, keys);
  if (count >= ctx.options.waitReplicas) return 'ok';
  throw new ReplicasNotConfirmedError(ctx.options.waitReplicas, count, waitTimeoutOf(ctx));
}

/** What a round wrote: its context, and the keys to confirm. */
export interface Written {
  readonly ctx: ReplicaContext;
  readonly keys: readonly string[];
}

/**
 * `spec` whose 'ok' verdicts wait for `waitReplicas` replicas of the node first (a rejection
 * makes the node count as failed, with the error as its cause): for rounds whose subject's
 * context key is what they wrote.
 */
export function confirmingReplicas<S extends { readonly ctx: ReplicaContext }>(spec: RoundSpec<S>): RoundSpec<S> {
  return confirmingWrites(spec, (subject) => ({ ctx: subject.ctx, keys: [subject.ctx.key] }));
}

/** {@link confirmingReplicas} for rounds that name what they wrote (on a Cluster node, WAIT goes to each key's master). */
export function confirmingWrites<S>(spec: RoundSpec<S>, written: (subject: S) => Written): RoundSpec<S> {
  const check = (verdict: AnswerVerdict, node: number, subject: S): Promise<AnswerVerdict> => {
    const { ctx, keys } = written(subject);
    return confirmed(ctx, node, keys, verdict);
  };
  return {
    ...spec,
    interpret: (reply, node, subject) => {
      const verdict = spec.interpret(reply, node, subject);
      return typeof verdict === 'string' ? check(verdict, node, subject) : verdict.then((v) => check(v, node, subject));
    },
  };
}

/**
 * The spec a round of `ctx` runs: `replicated` (built once with {@link confirmingReplicas}) when
 * the options ask for replicas, else `plain`.
 */
export function specFor<S>(ctx: ReplicaContext, plain: RoundSpec<S>, replicated: RoundSpec<S>): RoundSpec<S> {
  return ctx.options.waitReplicas === 0 ? plain : replicated;
}

/** @throws TypeError when `waitReplicas` is asked of nodes that cannot send WAIT. */
export function checkReplicaNodes(ctx: Pick<ReplicaContext, 'nodes' | 'options'>, label: string): void {
  if (ctx.options.waitReplicas === 0) return;
  const index = ctx.nodes.findIndex((node) => typeof node.waitReplicas !== 'function');
  if (index !== -1) throw new TypeError(`${label}.waitReplicas needs nodes that can send WAIT (fromIoredis, fromNodeRedis); node #${String(index)} cannot`);
}
