import type { RedisNode } from './node.js';

/**
 * A Lua script as a value: its source, its SHA1 (written out, checked by a test against
 * `SCRIPT LOAD`, so nothing is hashed at run time) and the one function that maps its reply.
 */
export interface Script<Result> {
  /** Short name, for diagnostics. */
  readonly name: string;
  /** Lua source. */
  readonly source: string;
  /** SHA1 of `source` in lowercase hex, as Redis computes it. */
  readonly sha1: string;
  /** Maps the raw reply, whatever the client and protocol, to the script's result. */
  readonly parse: (reply: unknown) => Result;
  /**
   * What may still be sent in its place once the operation that needed it is over (a straggler's
   * EVAL after NOSCRIPT, when its round settled without that node): the script itself when it can
   * only touch a key that still holds the caller's value, a harmless stand-in, or undefined when
   * nothing may be sent. A late command can land after the lock's release, so a script that may
   * create the key (SET NX) must never run late: it would bring a released lock back on that node.
   */
  readonly late: Script<Result> | undefined;
}

/** What a script file declares; `late: 'self'` for a script that is harmless when it runs late. */
export type ScriptDefinition<Result> = Omit<Script<Result>, 'late'> & { readonly late: 'self' | Script<Result> | undefined };

/** Declares a script. */
export function defineScript<Result>(definition: ScriptDefinition<Result>): Script<Result> {
  const script: { -readonly [K in keyof Script<Result>]: Script<Result>[K] } = { ...definition, late: undefined };
  script.late = definition.late === 'self' ? script : definition.late;
  return Object.freeze(script);
}

/** The operation a script call belongs to (an attempt, a renewal): `over` once it has ended. */
export interface Operation {
  readonly over: boolean;
}

/**
 * Runs `script` with EVALSHA and, when the server's cache does not have it (restart, failover,
 * `SCRIPT FLUSH`), once more with EVAL: of the script itself, or of `script.late` when the
 * `operation` it belongs to is already over (nothing at all when there is no late form).
 */
export function runScript<Result>(
  node: RedisNode,
  script: Script<Result>,
  keys: readonly string[],
  args: readonly string[],
  operation?: Operation,
): Promise<Result> {
  // Plain promise chaining rather than async/await: this runs once per node per lock operation.
  let sent: Promise<unknown>;
  try {
    sent = node.evalsha(script.sha1, keys, args);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  return sent.then(script.parse, (error: unknown) => {
    const fallback = isNoScriptError(error) ? fallbackOf(script, operation?.over === true) : undefined;
    if (fallback === undefined) throw error;
    return node.eval(fallback.source, keys, args).then(fallback.parse);
  });
}

/** The script to EVAL after NOSCRIPT: itself, or its late form once its operation is over. */
export function fallbackOf<Result>(script: Script<Result>, late: boolean): Script<Result> | undefined {
  return late ? script.late : script;
}

/** True for the `NOSCRIPT` error reply, whatever the client wraps it in. */
export function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Reads an integer reply. Clients differ (numbers, numeric strings with ioredis `stringNumbers`,
 * bigints), so every script's parser goes through here.
 * @throws TypeError when the reply is not an integer: a script and library version mismatch.
 */
export function toInteger(reply: unknown, script: string): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  if (typeof reply === 'bigint') return Number(reply);
  if (typeof reply === 'string' && /^-?\d+$/.test(reply)) return Number(reply);
  throw new TypeError(`unexpected reply from script ${script}: ${typeof reply}`);
}

/** Reads an array reply of integers (see {@link toInteger}). */
export function toIntegers(reply: unknown, script: string): number[] {
  if (!Array.isArray(reply)) throw new TypeError(`unexpected reply from script ${script}: ${typeof reply}`);
  return reply.map((item: unknown) => toInteger(item, script));
}
