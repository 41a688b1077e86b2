import { NodeError, type NodeOutcome, type NodeVerdict } from './errors.js';
import { armDeadline, cancelDeadline, type Deadline, type DeadlineQueue } from './deadlines.js';
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
 * node's answer costs one promise reaction, not a chain of them: this is the hot path. Each
 * callback also gets the round's `subject` (what the round is about: a key and value, say), so
 * that the hot specs can be built once, instead of a spec and its closures per round.
 */
export interface RoundSpec<S = undefined> {
  /** Sends the command to node `node`. */
  send(node: number, subject: S): Promise<unknown>;
  /** Maps the reply to a verdict; may take one more step (a promise) on rare paths. */
  interpret(reply: unknown, node: number, subject: S): AnswerVerdict | Promise<AnswerVerdict>;
  /**
   * A second command to try after `error` (e.g. EVAL after NOSCRIPT), or undefined to fail.
   * `late` says the round has settled without this node: then only a command that cannot
   * outlive the operation's end may be sent (see `Script.late`).
   */
  fallback?(node: number, error: unknown, subject: S, late: boolean): Promise<unknown> | undefined;
  /**
   * A reply that came after this node timed out: its verdict no longer counts, but a write it
   * reports happened (see late-writes.ts). Must not throw.
   */
  late?(reply: unknown, node: number, subject: S): void;
}

/** How to run a round. */
export interface RoundOptions {
  /** Votes needed: floor(N/2)+1. */
  readonly quorum: number;
  /** Settle as soon as the outcome is decided instead of waiting for every node. */
  readonly failFast: boolean;
  /**
   * Settle as soon as a quorum voted for us, without waiting for the stragglers (acquire and
   * extend: the win is decided, and validity is measured at that moment). Clean-up rounds keep
   * waiting for every node, because they promise that no reachable node still holds our value.
   */
  readonly settleOnWin: boolean;
  /** Per-node deadline in ms, measured from the start of the round. */
  readonly timeout: number;
  /** Reads `settledAt`; omit it when nobody needs that (a release), to save the clock read. */
  readonly clock: Clock | undefined;
}

/**
 * Runs `spec` on every node in `order` at once and counts the verdicts. The only place that knows
 * about N nodes. It never rejects: a node that throws, or has not answered within `timeout`, is
 * counted as an error with a {@link NodeError} (the late answer is ignored, and cannot surface as
 * an unhandled rejection).
 */
export function runRound<T = QuorumRound, S = undefined>(
  order: readonly number[],
  spec: RoundSpec<S>,
  options: RoundOptions,
  finish?: (round: QuorumRound, subject: S) => T | PromiseLike<T>,
  subject?: S,
  startedAt?: number,
): Promise<T> {
  // `finish` runs inside the resolution, saving the promise hop a `.then` on the result would
  // cost: rounds are the hot path, twice per lock.
  const round = new Round<T, S>(order, spec, options, finish, subject as S);
  starting = round;
  const settled = new Promise<T>(adoptResolvers);
  round.start(startedAt);
  return settled;
}

/** The round whose promise is being made; lets one shared executor stand in for a closure per round. */
let starting: { resolve: (value: never) => void; reject: (error: Error) => void } | undefined;

function adoptResolvers(resolve: (value: never) => void, reject: (error: Error) => void): void {
  const round = starting;
  starting = undefined;
  if (round === undefined) return;
  round.resolve = resolve;
  round.reject = reject;
}

/**
 * One round in flight. A class rather than closures, and per-node outcome objects built only when
 * someone reads them (failure paths): a round runs twice per lock, so its allocations show.
 */
class Round<T, S> implements QuorumRound, Deadline {
  ok = 0;
  taken = 0;
  expired = 0;
  errors = 0;
  settledAt = 0;
  readonly #order: readonly number[];
  readonly #spec: RoundSpec<S>;
  readonly #options: RoundOptions;
  readonly #finish: ((round: QuorumRound, subject: S) => T | PromiseLike<T>) | undefined;
  readonly #subject: S;
  resolve: (result: T | PromiseLike<T>) => void = noop;
  reject: (error: Error) => void = noop;
  /** Indexed by node: the verdict, or undefined while the node has not answered. */
  readonly #verdicts: (NodeVerdict | undefined)[];
  #failures: NodeError[] | undefined;
  #answered = 0;
  #settled = false;
  /** The round is its own per-node deadline (see deadlines.ts): no object or closure per round. */
  deadlineAt = 0;
  deadlineQueue: DeadlineQueue | undefined = undefined;

  constructor(
    order: readonly number[],
    spec: RoundSpec<S>,
    options: RoundOptions,
    finish: ((round: QuorumRound, subject: S) => T | PromiseLike<T>) | undefined,
    subject: S,
  ) {
    this.#order = order;
    this.#spec = spec;
    this.#options = options;
    this.#finish = finish;
    this.#subject = subject;
    this.#verdicts = new Array<NodeVerdict | undefined>(order.length);
  }

  get outcomes(): readonly NodeOutcome[] {
    const outcomes: NodeOutcome[] = [];
    this.#verdicts.forEach((verdict, node) => {
      if (verdict === undefined) return;
      const error = this.#failures?.find((e) => e.node === node);
      outcomes.push(error === undefined ? { node, verdict } : { node, verdict, error });
    });
    return outcomes;
  }

  /** @param startedAt a clock reading just taken by the caller, to count the deadline from (saves a read) */
  start(startedAt: number | undefined): void {
    // Requests first: the bookkeeping below then overlaps their round trip instead of delaying it.
    // No answer can be processed before it (promise reactions wait for this call to return).
    const order = this.#order;
    for (let i = 0; i < order.length; i++) this.#send(order[i] as number, false);
    if (!this.#settled) armDeadline(this, this.#options.timeout, startedAt); // unless every send threw at once
  }

  /** @internal The per-node timeout ran out. */
  onDeadline(): void {
    this.#expire();
  }

  #send(node: number, isFallback: boolean, error?: unknown): void {
    let sent: Promise<unknown> | undefined;
    try {
      sent = isFallback ? this.#spec.fallback?.(node, error, this.#subject, this.#settled) : this.#spec.send(node, this.#subject);
    } catch (thrown) {
      this.#fail(node, thrown);
      return;
    }
    if (sent === undefined) {
      this.#fail(node, error);
      return;
    }
    sent.then(
      (reply) => {
        this.#accept(node, reply);
      },
      (failure: unknown) => {
        // A straggler still gets its fallback after the round settled, in its late form (see
        // `RoundSpec.fallback`), so that a late NOSCRIPT does not leave that node without an
        // extend or a fence commit, while nothing that could create the key is sent late.
        if (isFallback) this.#fail(node, failure);
        else this.#send(node, true, failure);
      },
    );
  }

  #accept(node: number, reply: unknown): void {
    // A straggler's verdict no longer counts, and reading it may send more (the reclaim script
    // after a failed SET NX), which could land after the clean-up or release that follows. A node
    // that had timed out may have had its command queued and re-sent by the client, out of order
    // with what we sent since: the spec hears of what it did (see late-writes.ts). A straggler of
    // a round settled without it answers on the connection our later commands follow it on.
    if (this.#settled || this.#verdicts[node] !== undefined) {
      if (this.#verdicts[node] === 'error') this.#spec.late?.(reply, node, this.#subject);
      return;
    }
    let verdict: AnswerVerdict | Promise<AnswerVerdict>;
    try {
      verdict = this.#spec.interpret(reply, node, this.#subject);
    } catch (error) {
      this.#fail(node, error);
      return;
    }
    if (typeof verdict === 'string') this.#record(node, verdict);
    else
      verdict.then(
        (v) => {
          this.#record(node, v);
        },
        (error: unknown) => {
          this.#fail(node, error);
        },
      );
  }

  #fail(node: number, cause: unknown): void {
    if (this.#settled || this.#verdicts[node] !== undefined) return;
    (this.#failures ??= []).push(new NodeError(node, cause));
    this.#record(node, 'error');
  }

  #record(node: number, verdict: NodeVerdict): void {
    if (this.#settled || this.#verdicts[node] !== undefined) return;
    this.#verdicts[node] = verdict;
    this.#answered += 1;
    // Not this[verdict]: a computed key is a megamorphic property access on the hot path.
    if (verdict === 'ok') this.ok += 1;
    else if (verdict === 'taken') this.taken += 1;
    else if (verdict === 'expired') this.expired += 1;
    else this.errors += 1;
    const n = this.#order.length;
    const { failFast, settleOnWin, quorum } = this.#options;
    if (this.#answered === n || (settleOnWin && this.ok >= quorum) || (failFast && isDecided(this, n, quorum))) this.#settle();
  }

  #expire(): void {
    const cause = new DOMException(`node did not answer within ${this.#options.timeout} ms`, 'TimeoutError');
    for (const node of this.#order) this.#fail(node, cause);
    this.#settle();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    cancelDeadline(this);
    this.settledAt = this.#options.clock?.() ?? 0;
    const finish = this.#finish;
    if (finish === undefined) {
      this.resolve(this as unknown as T);
      return;
    }
    try {
      this.resolve(finish(this, this.#subject));
    } catch (error) {
      this.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function noop(): void {
  // Replaced before the round starts.
}

/** Won (a quorum voted for us) or lost (too few nodes left to reach a quorum). */
function isDecided(counts: Pick<QuorumRound, 'ok' | 'taken' | 'expired' | 'errors'>, n: number, quorum: number): boolean {
  const against = counts.taken + counts.expired + counts.errors;
  return counts.ok >= quorum || n - against < quorum;
}

/** floor(N/2)+1: any two quorums share at least one node. */
export function quorumOf(nodeCount: number): number {
  return Math.floor(nodeCount / 2) + 1;
}
