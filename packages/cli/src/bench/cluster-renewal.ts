/**
 * `npm run bench:cluster-renewal`: 10,000 renewing locks on a 3-master Redis Cluster (the test
 * kit's), and the Redis commands their renewals cost per renewal period: batched by hash slot (the
 * node says it is a Cluster client) against one call per key (what a batch that meets CROSSSLOT
 * falls back to), beside the floor of one call per distinct slot.
 */
import { subscribe } from 'node:diagnostics_channel';
import { Cluster, Redis } from 'ioredis';
import { Redsync, fromIoredis, keySlot, type Lock, type RedisNode } from 'redsync-ts';
import { startCluster } from 'redsync-ts/testing';

const LOCKS = Number(process.argv[2] ?? 10_000);
const TTL = 6000;
/** The Redsync default autoExtendFactor: a renewal every third of the ttl. */
const PERIOD = TTL / 3;
const PERIODS = 3;

/** Locks renewed so far, by the keeper's renewal events (one per cohort renewal). */
let renewed = 0;
subscribe('redsync-ts:renewal', (message) => {
  renewed += (message as { locks: number }).locks;
});

const cluster = await startCluster({ masters: 3 });
const admins = (await cluster.masters()).map((server) => new Redis({ path: server.socket }));
const client = new Cluster(cluster.addresses);

/** Script calls (EVALSHA, EVAL) the masters ran: the commands a renewal sends (the GETs and
 * PEXPIREs inside a script are counted apart by INFO, and cost no round trip). */
async function commands(): Promise<number> {
  const infos = await Promise.all(admins.map((admin) => admin.info('commandstats')));
  let calls = 0;
  for (const info of infos) for (const match of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
  return calls;
}

/** Holds LOCKS renewing locks through `node`, and counts the commands of PERIODS periods. */
async function perPeriod(node: RedisNode, label: string, name: (i: number) => string = (i) => `bench:renew:${label}:${String(i)}`): Promise<number> {
  const rs = new Redsync([node], { ttl: TTL });
  const locks: Lock[] = [];
  for (let i = 0; i < LOCKS; i += 500) {
    const batch = Array.from({ length: Math.min(500, LOCKS - i) }, (_, k) => rs.mutex(name(i + k), { autoExtend: true }).acquire());
    locks.push(...(await Promise.all(batch)));
  }
  // Past the first renewals of the locks taken last, then a whole number of periods.
  await new Promise((resolve) => setTimeout(resolve, PERIOD + 200));
  const before = await commands();
  const renewedBefore = renewed;
  await new Promise((resolve) => setTimeout(resolve, PERIOD * PERIODS));
  const after = await commands();
  const renewals = renewed - renewedBefore;
  const lost = locks.filter((lock) => lock.signal.aborted).length;
  for (let i = 0; i < locks.length; i += 500) await Promise.all(locks.slice(i, i + 500).map((lock) => lock.release()));
  await rs.close();
  if (lost > 0) throw new Error(`${label}: ${String(lost)} locks lost while renewing`);
  // Script calls per renewal of every lock once (a window's edges cut through cohorts' rounds).
  return ((after - before) / Math.max(1, renewals)) * LOCKS;
}

try {
  const clusterNode = fromIoredis(client);
  // The same client without the Cluster flag: its batch meets CROSSSLOT once, then goes key by key.
  const unflagged: RedisNode = {
    setNX: (key, value, ttl) => clusterNode.setNX(key, value, ttl),
    evalsha: (sha, keys, args) => clusterNode.evalsha(sha, keys, args),
    eval: (source, keys, args) => clusterNode.eval(source, keys, args),
  };
  const bySlot = await perPeriod(clusterNode, 'by-slot');
  const byKey = await perPeriod(unflagged, 'by-key');
  const tagged = await perPeriod(clusterNode, 'tagged', (i) => `{tenant:${String(i % 100)}}:bench:renew:${String(i)}`);
  const slots = new Set(Array.from({ length: LOCKS }, (_, i) => keySlot(`bench:renew:by-slot:${String(i)}`))).size;
  console.log(`| ${String(LOCKS)} renewing locks, 3 masters | script calls to renew them all once |`);
  console.log('|---|---|');
  console.log(`| random names, one call per key (CROSSSLOT fallback) | ${byKey.toFixed(0)} |`);
  console.log(`| random names, one extend-many per slot | ${bySlot.toFixed(0)} |`);
  console.log(`| random names: distinct slots (the floor for one cohort) | ${String(slots)} |`);
  console.log(`| names over 100 hash tags, one extend-many per slot | ${tagged.toFixed(0)} |`);
} finally {
  client.disconnect();
  for (const admin of admins) admin.disconnect();
  await cluster.stop();
}
