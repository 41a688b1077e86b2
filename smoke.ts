import { Redsync } from '../../src/index.js';
import { startCluster } from './cluster.js';
for (const a of ['ioredis', 'node-redis'] as const) {
  const c = await startCluster(a, 3);
  const rs = new Redsync(c.nodes);
  const m = rs.mutex('smoke');
  const l = await m.acquire();
  console.log(a, 'acquired', await Promise.all(c.admin.map((x) => x.get('smoke'))), l.remaining());
  console.log('try', await m.tryAcquire());
  console.log('extend', await l.extend() > 0);
  console.log('release', await l.release(), await l.release());
  await c.close();
}
