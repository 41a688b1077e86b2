import { hashTagOf } from './keys.js';

/**
 * Redis Cluster hash slots, computed client-side (the CRC16/XMODEM of the key's hash tag, or of
 * the whole key, modulo 16384), so that keys can be grouped by slot before any I/O.
 */

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC16/XMODEM (polynomial 0x1021, initial 0) of `bytes`: the checksum Redis Cluster uses. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

const encoder = new TextEncoder();

/** The hash slot of `key`, as `CLUSTER KEYSLOT` computes it. */
export function keySlot(key: string): number {
  return crc16(encoder.encode(hashTagOf(key) ?? key)) % 16384;
}

/**
 * `keys` (sorted) split into groups of one slot each, in the order of their slots: the canonical
 * order in which a multi-lock takes them on a Redis Cluster.
 */
export function groupBySlot(keys: readonly string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const key of keys) {
    const slot = keySlot(key);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [key]);
    else group.push(key);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
}
