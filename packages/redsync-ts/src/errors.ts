/**
 * Error classes. Every class has a stable `code` so callers can branch without `instanceof`
 * (which fails across duplicate copies of the package). Lock values never appear in messages.
 */

/** Stable codes carried by {@link LockError} and its subclasses. */
export type LockErrorCode =
  | 'LOCK_NOT_ACQUIRED'
  | 'LOCK_TAKEN'
  | 'LOCK_LOST'
  | 'LOCK_RELEASE_FAILED'
  | 'LOCK_RELEASED'
  | 'REDIS_CONFIG'
  | 'EVICTING_NODE'
  | 'REPLICAS_NOT_CONFIRMED'
  | 'NODE_ERROR';

/**
 * Why a lock was lost: `expired` (its validity ran out without a confirmed renewal),
 * `renewal-failed` (a renewal found it gone or taken on a quorum), `max-hold` (it was held for
 * `maxHold` ms and renewal stopped), `extend-failed` (an explicit `extend()` could not confirm it).
 */
export type LockLostReason = 'expired' | 'renewal-failed' | 'max-hold' | 'extend-failed';

/** What one node said during one quorum round. */
export type NodeVerdict = 'ok' | 'taken' | 'expired' | 'error';

/** One node's outcome in a quorum round: its index in the node list given to `Redsync`. */
export interface NodeOutcome {
  /** Index of the node in the array passed to the `Redsync` constructor. */
  readonly node: number;
  /** `ok`: voted for us; `taken`: the key holds another value; `expired`: the key is missing; `error`: no answer. */
  readonly verdict: NodeVerdict;
  /** The failure, when `verdict` is `error`. */
  readonly error?: NodeError;
}

/** Base class of every error this library throws for a lock outcome or a Redis fault. */
export class LockError extends Error {
  override name = 'LockError';
  /** Stable machine-readable code. */
  readonly code: LockErrorCode;

  /** @param code - stable code; @param message - human text; @param options - standard `cause` */
  constructor(code: LockErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * One node failed to answer: a transport error, a Redis error reply or the per-node timeout
 * (`ttl * timeoutFactor`). `cause` holds the driver's error (or a `TimeoutError` DOMException).
 */
export class NodeError extends LockError {
  override name = 'NodeError';
  /** Index of the node in the array passed to the `Redsync` constructor. */
  readonly node: number;
  /**
   * The node refused for lack of permission or authentication (ACL `NOPERM`, `WRONGPASS`,
   * `NOAUTH`): retrying cannot help, the configuration must change.
   */
  readonly misconfigured: boolean;

  /** @param node - node index; @param cause - what the node or driver reported */
  constructor(node: number, cause: unknown) {
    super('NODE_ERROR', `node #${node}: ${describe(cause)}`, { cause });
    this.node = node;
    this.misconfigured = isConfigurationProblem(cause);
  }
}

/**
 * A node refused the library's commands for lack of permission or authentication: an ACL user
 * missing a command or key pattern the library needs, a wrong password. Thrown at once, without
 * retrying, from `acquire`, `tryAcquire` and `release` when such a refusal made the round fail:
 * it is never reported as "taken". `outcomes` has the per-node details.
 */
export class RedisConfigError extends LockError {
  override name = 'RedisConfigError';
  /** Per-node outcomes of the round that hit the refusal. */
  readonly outcomes: readonly NodeOutcome[];

  /** @internal */
  constructor(outcomes: readonly NodeOutcome[]) {
    const failures = nodeErrorsOf(outcomes);
    const refused = failures.filter((f) => f.misconfigured).map((f) => f.node);
    const said = failures.find((f) => f.misconfigured);
    const reply = said === undefined ? '' : ` (${describe(said.cause)})`;
    super('REDIS_CONFIG', `node(s) #${refused.join(', #')} refused the lock commands${reply}: check the ACL user and password (see the README's minimal ACL)`, {
      cause: new AggregateError(failures, 'node failures'),
    });
    this.outcomes = outcomes;
  }
}

/** True when `outcomes` include a node that refused for lack of permission or authentication. */
export function hasConfigurationProblem(outcomes: readonly NodeOutcome[]): boolean {
  return outcomes.some((o) => o.error?.misconfigured === true);
}

/** Redis's replies for missing permissions or authentication, as the clients pass them on. */
function isConfigurationProblem(cause: unknown): boolean {
  if (!(cause instanceof Error)) return false;
  const { message } = cause;
  return /^(NOPERM|WRONGPASS|NOAUTH)\b/.test(message) || message.includes("user executing the script can't");
}

/**
 * `acquire()` gave up: tries exhausted, no quorum reachable, or the quorum came too late to leave
 * any validity. `outcomes` is the last attempt's per-node picture; `cause` is an `AggregateError`
 * of that attempt's {@link NodeError}s when any node failed.
 */
export class LockNotAcquiredError extends LockError {
  override name = 'LockNotAcquiredError';
  /** How many attempts were made. */
  readonly attempts: number;
  /** Per-node outcomes of the last attempt. */
  readonly outcomes: readonly NodeOutcome[];
  /** The call's `timeout` ran out (rather than its `tries`). */
  readonly timedOut: boolean;

  /** @internal */
  constructor(
    message: string,
    attempts: number,
    outcomes: readonly NodeOutcome[],
    code: 'LOCK_NOT_ACQUIRED' | 'LOCK_TAKEN' = 'LOCK_NOT_ACQUIRED',
    timedOut = false,
  ) {
    const failures = nodeErrorsOf(outcomes);
    super(code, message, failures.length > 0 ? { cause: new AggregateError(failures, 'node failures') } : undefined);
    this.attempts = attempts;
    this.outcomes = outcomes;
    this.timedOut = timedOut;
  }
}

/**
 * A quorum of nodes holds the key for another value: someone else owns the lock
 * (go-redsync's `ErrTaken`). `nodes` lists the indexes of the nodes that hold it.
 */
export class LockTakenError extends LockNotAcquiredError {
  override name = 'LockTakenError';
  /** Indexes of the nodes on which the key belongs to another value. */
  readonly nodes: readonly number[];

  /** @internal @param timedOut - the message's beginning when the call's `timeout` ran out */
  constructor(attempts: number, outcomes: readonly NodeOutcome[], timedOut?: string) {
    const nodes = outcomes.filter((o) => o.verdict === 'taken').map((o) => o.node);
    super(`${timedOut ?? ''}lock is held by another owner on ${nodes.length} node(s)`, attempts, outcomes, 'LOCK_TAKEN', timedOut !== undefined);
    this.nodes = nodes;
  }
}

/**
 * The lock could not be confirmed on a quorum within its validity: it may now belong to someone
 * else. Stop working on the protected resource. This is also the reason `lock.signal` aborts with.
 */
export class LockLostError extends LockError {
  override name = 'LockLostError';
  /** Why it was lost. */
  readonly reason: LockLostReason;
  /** Per-node outcomes of the round that found the loss (empty when found locally). */
  readonly outcomes: readonly NodeOutcome[];

  /** @internal */
  constructor(message: string, reason: LockLostReason, outcomes: readonly NodeOutcome[] = []) {
    const failures = nodeErrorsOf(outcomes);
    super('LOCK_LOST', message, failures.length > 0 ? { cause: new AggregateError(failures, 'node failures') } : undefined);
    this.reason = reason;
    this.outcomes = outcomes;
  }
}

/**
 * The reason `lock.signal` aborts with when the holder released the lock itself: not a failure,
 * but the work it guarded should stop all the same.
 */
export class LockReleasedError extends LockError {
  override name = 'LockReleasedError';

  /** @internal */
  constructor() {
    super('LOCK_RELEASED', 'the lock was released');
  }
}

/**
 * `release()` could not reach a quorum at all (nodes down or timing out), so it cannot tell
 * whether the lock was released. The key still expires by its TTL.
 */
export class LockReleaseError extends LockError {
  override name = 'LockReleaseError';
  /** Per-node outcomes of the release round. */
  readonly outcomes: readonly NodeOutcome[];

  /** @internal */
  constructor(outcomes: readonly NodeOutcome[]) {
    const failures = nodeErrorsOf(outcomes);
    super('LOCK_RELEASE_FAILED', `release reached too few nodes (${failures.length} failed: ${failureSummary(outcomes) ?? 'no answer'})`, {
      cause: new AggregateError(failures, 'node failures'),
    });
    this.outcomes = outcomes;
  }
}

/**
 * True when `error` is a {@link LockError} (optionally with the given code), also for errors
 * thrown by another copy of this package.
 */
export function isLockError(error: unknown, code?: LockErrorCode): error is LockError {
  if (typeof error !== 'object' || error === null) return false;
  const actual = (error as { code?: unknown }).code;
  const known = ['LOCK_NOT_ACQUIRED', 'LOCK_TAKEN', 'LOCK_LOST', 'LOCK_RELEASE_FAILED', 'LOCK_RELEASED', 'REDIS_CONFIG', 'EVICTING_NODE', 'NODE_ERROR'];
  return error instanceof Error && typeof actual === 'string' && known.includes(actual) && (code === undefined || actual === code);
}

function nodeErrorsOf(outcomes: readonly NodeOutcome[]): NodeError[] {
  return outcomes.flatMap((o) => (o.error === undefined ? [] : [o.error]));
}

/**
 * The failed nodes' common cause in a few words, for a top-level message: the error code
 * (`ECONNREFUSED`, `ENOTFOUND`), the Redis error word (`NOAUTH`, `WRONGPASS`), or the timeout,
 * with the first node's message; when the nodes failed differently, the first one's, marked as
 * such. Undefined when no node failed. Driver messages carry no credentials or lock values.
 */
export function failureSummary(outcomes: readonly NodeOutcome[]): string | undefined {
  const failures = nodeErrorsOf(outcomes);
  const first = failures[0];
  if (first === undefined) return undefined;
  const kind = kindOf(first.cause);
  const same = failures.every((f) => kindOf(f.cause) === kind);
  return `${same ? '' : 'first: '}${describe(first.cause)}`;
}

/** What kind of failure `cause` is: its code, its name for timeouts, or its first word. */
function kindOf(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (cause.name === 'TimeoutError') return cause.name;
  return /^\S+/.exec(cause.message)?.[0] ?? cause.name;
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
