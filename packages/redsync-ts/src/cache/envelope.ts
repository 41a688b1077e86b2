/**
 * A cache entry as stored: `c1|<stamp>|<expiresAt>|<delta>|<payload>`. The stamp (the store's
 * clock in µs when the fill began, or when `set` wrote it) orders writes: the fill script never
 * replaces an entry with a later stamp. `expiresAt` is the logical expiry in epoch ms (0 for a
 * tombstone left by `delete`), `delta` how long the loader took in ms (XFetch's input), and the
 * payload the serializer's output. One GET reads it all; parsing is a few `indexOf`s.
 */

/** A decoded entry. */
export interface Entry {
  /** As stored: only ever compared for equality here (the scripts order by it), never converted. */
  readonly stamp: string;
  /** Logical expiry, epoch ms on the writer's wall clock; 0 for a tombstone. */
  readonly expiresAt: number;
  /** How long the computation that produced it took, in ms. */
  readonly delta: number;
  readonly payload: string;
}

const MAGIC = 'c1|';

/** The part of an envelope after its stamp (the scripts prepend `c1|<stamp>|`). */
export function envelopeTail(expiresAt: number, delta: number, payload: string): string {
  return `${Math.round(expiresAt)}|${Math.max(0, Math.round(delta))}|${payload}`;
}

/** The tail of a tombstone: read as a miss, with no stale value to serve. */
export const TOMBSTONE_TAIL = envelopeTail(0, 0, '');

/** Decodes a stored entry; undefined when it is missing or not ours (read as a miss). */
export function decodeEntry(raw: string | null | undefined): Entry | undefined {
  if (raw === null || raw === undefined || !raw.startsWith(MAGIC)) return undefined;
  const a = raw.indexOf('|', MAGIC.length);
  const b = a < 0 ? -1 : raw.indexOf('|', a + 1);
  const c = b < 0 ? -1 : raw.indexOf('|', b + 1);
  if (c < 0) return undefined;
  const expiresAt = digits(raw, a + 1, b);
  const delta = digits(raw, b + 1, c);
  if (Number.isNaN(digits(raw, MAGIC.length, a)) || Number.isNaN(expiresAt) || Number.isNaN(delta)) return undefined;
  return { stamp: raw.slice(MAGIC.length, a), expiresAt, delta, payload: raw.slice(c + 1) };
}

/**
 * The number that `raw[from..to)` spells in decimal digits (all the envelope writes), NaN for
 * anything else; read in place, without the slice and conversion per field (see Entry.stamp).
 */
function digits(raw: string, from: number, to: number): number {
  if (from === to || to - from > 16) return Number.NaN;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = raw.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** True for a `delete`'s tombstone. */
export function isTombstone(entry: Entry): boolean {
  return entry.expiresAt === 0;
}

/**
 * A ttl spread against avalanches: `ttl * (1 + jitter * u)`, u uniform in [-1, 1], so entries
 * written together expire over a band instead of at one instant. At least 1 ms.
 */
export function jittered(ttl: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(ttl * (1 + jitter * (2 * random() - 1))));
}

/**
 * XFetch (Vattani, Chierichetti, Lowenstein, VLDB 2015): refresh early when
 * `now - delta * beta * ln(random()) >= expiry`. ln(random()) is negative, so the left side runs
 * ahead of `now` by a random multiple of the last computation's duration: an entry that took long
 * to compute starts its refresh earlier, and across many readers the first refresh lands shortly
 * before the expiry, not at it. beta 0 turns it off.
 */
export function shouldRefreshEarly(entry: Entry, now: number, beta: number, random: () => number = Math.random): boolean {
  if (beta <= 0 || entry.delta <= 0) return false;
  return now - entry.delta * beta * Math.log(random()) >= entry.expiresAt;
}
