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
}

/** Declares a script. */
export function defineScript<Result>(script: Script<Result>): Script<Result> {
  return Object.freeze(script);
}

/**
 * Runs `script` with EVALSHA and, when the server's cache does not have it (restart, failover,
 * `SCRIPT FLUSH`), once more with EVAL.
 */
export function runScript<Result>(
  node: RedisNode,
  script: Script<Result>,
  keys: readonly string[],
  args: readonly string[],
): Promise<Result> {
  // Plain promise chaining rather than async/await: this runs once per node per lock operation.
  let sent: Promise<unknown>;
  try {
    sent = node.evalsha(script.sha1, keys, args);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  return sent.then(script.parse, (error: unknown) => {
    if (!isNoScriptError(error)) throw error;
    return node.eval(script.source, keys, args).then(script.parse);
  });
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
