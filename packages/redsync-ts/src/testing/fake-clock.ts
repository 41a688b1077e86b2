/**
 * Wall-clock jumps for a test redis-server, with libfaketime. Its timestamp file is re-read on
 * every clock call (FAKETIME_NO_CACHE), so writing an offset moves the server's clock at once.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** tcmalloc first: libfaketime's own allocations must not go through redis-server's jemalloc. */
const FAKE_CLOCK_LIBS = ['/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4', '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1'];

/** True when the libraries a fake clock needs are installed. */
export function canFakeClock(): boolean {
  return FAKE_CLOCK_LIBS.every((lib) => existsSync(lib));
}

/**
 * The environment that starts redis-server under libfaketime, with its offset file in `dir`.
 * @throws Error with the install command when the libraries are missing.
 */
export function fakeClockEnv(dir: string): NodeJS.ProcessEnv {
  if (!canFakeClock()) throw new Error(`fakeClock needs ${FAKE_CLOCK_LIBS.join(' and ')} (Debian: apt-get install -y faketime libtcmalloc-minimal4)`);
  const file = join(dir, 'faketime');
  if (!existsSync(file)) writeFileSync(file, '+0\n');
  return { ...process.env, LD_PRELOAD: FAKE_CLOCK_LIBS.join(':'), FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1' };
}

/** Sets the clock offset of the server whose directory is `dir`, in seconds from real time. */
export function setClockOffset(dir: string, seconds: number): void {
  writeFileSync(join(dir, 'faketime'), `${seconds >= 0 ? '+' : ''}${String(seconds)}\n`);
}
