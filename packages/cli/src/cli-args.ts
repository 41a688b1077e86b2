/** What every `redsync` command shares on its command line: usage errors, durations, node URLs. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line the program cannot run: exit 64 with the usage text. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `text` seconds (fractional allowed) in whole ms; `zero` allows 0. @throws UsageError */
export function seconds(flag: string, text: string, zero: boolean): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (!zero && value === 0) || value > 2_000_000) {
    throw new UsageError(`${flag} must be a number of seconds${zero ? '' : ' above 0'}, got ${JSON.stringify(text)}`);
  }
  return Math.round(value * 1000);
}

/** The lock nodes: `--redis` (repeatable), else `REDSYNC_URLS` (comma-separated), else the local default. */
export function nodeUrls(flags: readonly string[] | undefined, env: NodeJS.ProcessEnv): string[] {
  const urls = flags !== undefined && flags.length > 0 ? [...flags] : (env['REDSYNC_URLS'] ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
  const chosen = urls.length > 0 ? urls : ['redis://127.0.0.1:6379'];
  for (const url of chosen) {
    if (!/^(rediss?|unix):\/\//.test(url)) throw new UsageError(`a node URL must start with redis://, rediss:// or unix://, got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))}`);
  }
  return chosen;
}

/** `parseArgs`, with its complaints turned into a UsageError. */
export function parseOrUsage<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
