/** `redsync run`: its usage text and entry point. */
import { parseRunArgs } from './args.js';
import { runLocked } from './run.js';

export const RUN_USAGE = `usage: redsync run [options] NAME [--] COMMAND [ARGS...]

  Runs COMMAND while holding the lock NAME on the Redis nodes (a Redlock over N independent
  masters), renewing it while COMMAND runs, and releases it when COMMAND exits.

options:
  --redis URL               a lock node: redis://, rediss:// or unix:// (repeat for N nodes);
                            default REDSYNC_URLS (comma-separated), else redis://127.0.0.1:6379
  -n, --nonblock            one attempt: exit with the conflict code if the lock is held
  -w, --wait SECONDS        give up after SECONDS (default: wait as long as it takes)
  -E, --conflict-exit-code N  exit status when the lock was not acquired (default 1)
  --ttl SECONDS             the lock's ttl, renewed at two thirds (default 8)
  --max-hold SECONDS        stop renewing after SECONDS: COMMAND is then stopped (default: none)
  --fencing                 draw a fencing token; COMMAND gets it as REDSYNC_FENCE
  --kill-after SECONDS      after a lost lock, SIGKILL COMMAND this long after SIGTERM (default 10)
  --once-per SECONDS        run at most once per SECONDS across all replicas: the first to take the
                            lock records the run; the others exit 0 without running COMMAND
  --prefix P                key prefix (default none: the key is NAME, as go-redsync's)
  -v, --verbose             say how long the lock took, or why it was not taken
  -h, --help                this text

COMMAND's environment gets REDSYNC_LOCK_NAME, REDSYNC_LOCK_KEY (and REDSYNC_FENCE with --fencing).
SIGINT, SIGTERM and SIGHUP are passed on to COMMAND.

exit status: COMMAND's (128 + N when it died of signal N); the conflict code when the lock was not
acquired; 75 when the lock was lost while COMMAND ran (it got SIGTERM, then SIGKILL); 64 usage;
69 Redis unreachable or refusing; 127 COMMAND not found.`;

/** Runs `redsync run` with `argv` (after the command name). @throws UsageError */
export function runCommand(argv: string[]): Promise<number> {
  if (argv[0] === '-h' || argv[0] === '--help') {
    console.log(RUN_USAGE);
    return Promise.resolve(0);
  }
  return runLocked(parseRunArgs(argv, process.env), (line) => console.error(line));
}
