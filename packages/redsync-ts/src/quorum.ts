import { NodeError, type NodeOutcome, type NodeVerdict } from './errors.js';
import { cancelDeadline, scheduleDeadline } from './deadlines.js';
import type { Clock } from './validity.js';

/** The verdicts a node can give by answering (as opposed to failing). */
export type AnswerVerdict = Exclude<NodeVerdict, 'error'>;

/** How one round over the nodes went. */
export interface QuorumRound {
  /** Per-node outcomes of the nodes that answered or failed before the round settled, by node index. */
  readonly outcomes: readonly NodeOutcome[];
  /** Nodes that voted for us. */
  readonly ok: number;
  /** Nodes on which the key holds another value. */
  readonly taken: number;
  /** Nodes on which the key is missing. */
  readonly expired: number;
  /** Nodes that failed or did not answer in time. */
  readonly errors: number;
  /** Clock reading when the round settled. */
  readonly settledAt: number;
}

/** How to run a round. */
export interface RoundOptions {
  /** Votes needed: floor(N/2)+1. */
  readonly quorum: number;
  /** Settle as soon as the outcome is decided instead of waiting for every node. */
  readonly failFast: boolean;
  /** Per-node deadline in ms, measured from the start of the round. */
  readonly timeout: number;
  readonly clock: Clock;
}

/**
 * Runs `call` on every node in `order` at once and counts the verdicts. The only place that knows
 * about N nodes. It never rejects: a node that throws, or has not answered within `timeout`, is
 * counted as an error with a {@link NodeError} (the late answer is ignored, and cannot surface as
 * an unhandled rejection).
 */
export function runRound(
  order: readonly number[],
  call: (node: number) => Promise<AnswerVerdict>,
  options: RoundOptions,
): Promise<QuorumRound> {
  return new Promise((resolve) => {
    // Indexed by node, so the outcomes come out in node order without sorting.
    const byNode: (NodeOutcome | undefined)[] = new Array<NodeOutcome | undefined>(order.length);
    const counts = { ok: 0, taken: 0, expired: 0, errors: 0 };
    let answered = 0;
    let settled = false;

    const settle = (): void => {
      if (settled) return;
      settled = true;
      cancelDeadline(deadline);
      const outcomes = answered === order.length ? (byNode as NodeOutcome[]) : byNode.filter((o): o is NodeOutcome => o !== undefined);
      resolve({ outcomes, ok: counts.ok, taken: counts.taken, expired: counts.expired, errors: counts.errors, settledAt: options.clock() });
    };
    const record = (outcome: NodeOutcome): void => {
      if (settled || byNode[outcome.node] !== undefined) return;
      byNode[outcome.node] = outcome;
      answered += 1;
      counts[outcome.verdict === 'error' ? 'errors' : outcome.verdict] += 1;
      if (answered === order.length || (options.failFast && isDecided(counts, order.length, options.quorum))) settle();
    };

    const deadline = scheduleDeadline(options.timeout, () => {
      const cause = new DOMException(`node did not answer within ${options.timeout} ms`, 'TimeoutError');
      for (const node of order) record({ node, verdict: 'error', error: new NodeError(node, cause) });
      settle();
    });

    for (const node of order) {
      invoke(call, node).then(
        (verdict) => record({ node, verdict }),
        (error: unknown) => record({ node, verdict: 'error', error: new NodeError(node, error) }),
      );
    }
  });
}

/** Won (a quorum voted for us) or lost (too few nodes left to reach a quorum). */
function isDecided(counts: { ok: number; taken: number; expired: number; errors: number }, n: number, quorum: number): boolean {
  const against = counts.taken + counts.expired + counts.errors;
  return counts.ok >= quorum || n - against < quorum;
}

/** Turns a synchronous throw from an adapter into a rejection. */
function invoke(call: (node: number) => Promise<AnswerVerdict>, node: number): Promise<AnswerVerdict> {
  try {
    return call(node);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** floor(N/2)+1: any two quorums share at least one node. */
export function quorumOf(nodeCount: number): number {
  return Math.floor(nodeCount / 2) + 1;
}
