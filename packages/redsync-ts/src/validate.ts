/**
 * Argument checks shared by every entry point. They throw before any I/O, and every message
 * names the parameter, so a typo fails at the call site instead of as a Redis error later.
 */

/** Largest delay `setTimeout` honours; longer ones fire at once, so we refuse them. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Longest lock name or prefix we accept, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 1024;

/** A short description of `value` for error messages (strings are quoted and truncated). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'bigint') return `the bigint ${value.toString()}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  return typeof value === 'symbol' ? value.toString() : 'an unknown value';
}

/** True when `value` is an object with a function under each of `methods`. */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return methods.every((method) => typeof record[method] === 'function');
}

/** A whole number of milliseconds in [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describeValue(value)}`);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** A finite number in [min, max). */
export function checkFraction(name: string, value: unknown, min: number, maxExclusive: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describeValue(value)}`);
  if (!Number.isFinite(value) || value < min || value >= maxExclusive) {
    throw new RangeError(`${name} must be a finite number in [${min}, ${maxExclusive}), got ${describeValue(value)}`);
  }
  return value;
}

/** A finite number of milliseconds in [0, MAX_TIMER_MS]. */
export function checkDelay(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number of milliseconds, got ${describeValue(value)}`);
  if (!Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new RangeError(`${name} must be a finite number from 0 to ${MAX_TIMER_MS} ms, got ${describeValue(value)}`);
  }
  return value;
}

/** A boolean. @throws TypeError naming `name` */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describeValue(value)}`);
  return value;
}

/** A function. @throws TypeError naming `name` */
export function checkFunction(name: string, value: unknown): (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describeValue(value)}`);
  return value as (...args: never[]) => unknown;
}

/** A string of at most MAX_NAME_BYTES bytes; `allowEmpty` for prefixes. */
export function checkName(name: string, value: unknown, allowEmpty: boolean): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describeValue(value)}`);
  if (!allowEmpty && value.length === 0) throw new RangeError(`${name} must not be empty`);
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: short names (nearly all) skip the count.
  if (value.length * 3 > MAX_NAME_BYTES && Buffer.byteLength(value, 'utf8') > MAX_NAME_BYTES) {
    throw new RangeError(`${name} must be at most ${MAX_NAME_BYTES} bytes long`);
  }
  return value;
}

const NO_OPTIONS: Record<string, unknown> = Object.freeze({});

/** An options bag: undefined, or a plain object whose keys are all in `known`. @throws TypeError naming `name` or the unknown key */
export function checkOptionsObject(name: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return NO_OPTIONS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new TypeError(`${name} has an unknown option "${key}"; known: ${known.join(', ')}`);
  }
  return value as Record<string, unknown>;
}

/** An optional AbortSignal. @throws TypeError naming `name` */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new TypeError(`${name} must be an AbortSignal, got ${describeValue(value)}`);
  return value;
}
