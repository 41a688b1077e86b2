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

/**
 * What a round does on each node: one command, how to read its reply, and (for scripts) what to
 * send instead when the first command failed in a recoverable way. Kept as plain callbacks so a
 * node's answer costs one promise reaction, not a chain of them: this is the hot path.
 */
export interface RoundSpec {
  /** Sends the command to node `node`. */
  send(node: number): Promise<unknown>;
  /** Maps the reply to a verdict; may take one more step (a promise) on rare paths. */
  interpret(reply: unknown, node: number): AnswerVerdict | Promise<AnswerVerdict>;
  /** A second command to try after `error` (e.g. EVAL after NOSCRIPT), or undefined to fail. */
  fallback?(node: number, error: unknown): Promise<unknown> | undefined;
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
export function runRound(order: readonly number[], spec: RoundSpec, options: RoundOptions): Promise<QuorumRound> {
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

    const fail = (node: number, error: unknown): void => record({ node, verdict: 'error', error: new NodeError(node, error) });
    const accept = (node: number, reply: unknown): void => {
      let verdict: AnswerVerdict | Promise<AnswerVerdict>;
      try {
        verdict = spec.interpret(reply, node);
      } catch (error) {
        fail(node, error);
        return;
      }
      if (typeof verdict === 'string') record({ node, verdict });
      else verdict.then((v) => record({ node, verdict: v }), (error: unknown) => fail(node, error));
    };
    for (const node of order) {
      invoke(() => spec.send(node)).then(
        (reply) => accept(node, reply),
        (error: unknown) => {
          const retry = settled ? undefined : invoke(() => spec.fallback?.(node, error));
          if (retry === undefined) fail(node, error);
          else retry.then((reply) => accept(node, reply), (again: unknown) => fail(node, again));
        },
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
function invoke<T>(call: () => T): T | Promise<never> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** floor(N/2)+1: any two quorums share at least one node. */
export function quorumOf(nodeCount: number): number {
  return Math.floor(nodeCount / 2) + 1;
}
