import { connectCommand } from './connect.js';
import { logLine, type AgnhostIo } from './io.js';
import { serveHostnameCommand } from './serve-hostname.js';

/**
 * An agnhost-compatible test tool (kubernetes test/images/agnhost) for lab pods: the subcommands network
 * policy tests use, with the same flags, output and exit codes.
 */

const USAGE = `agnhost: the subset of Kubernetes' agnhost test image that network policy tests use

Usage:
  agnhost [command]

Available Commands:
  connect          Attempts a TCP, UDP or SCTP connection and returns useful errors
  serve-hostname   Serves the hostname
  pause            Pauses (waits for a termination signal)

Examples:
  agnhost serve-hostname --tcp --http=false --port 80
  agnhost serve-hostname --udp --http=false --port 53
  agnhost connect 10.244.0.3:80 --timeout=1s --protocol=tcp
  agnhost connect 10.244.0.3:53 --timeout 1s --protocol=udp
`;

/** `agnhost pause`: wait for a termination signal. A timer keeps the process alive (a bare promise would not). */
async function pause(io: AgnhostIo, signal: AbortSignal | undefined): Promise<number> {
  logLine(io, 'Paused');
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    if (!signal) return await new Promise<number>(() => undefined);
    if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    logLine(io, `Shutting down after receiving signal: ${String(signal.reason ?? 'terminated')}.`);
    return 0;
  } finally {
    clearInterval(keepAlive);
  }
}

/** Run one agnhost command; resolves with its exit code. Long-running commands stop when `signal` aborts. */
export async function runAgnhost(argv: readonly string[], io: AgnhostIo, opts: { signal?: AbortSignal } = {}): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'connect':
      return connectCommand(rest, io);
    case 'serve-hostname':
      return serveHostnameCommand(rest, io, opts);
    case 'pause':
      return pause(io, opts.signal);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(USAGE);
      return 0;
    default:
      io.stderr(`Error: unknown command "${cmd}" for "agnhost"\nRun 'agnhost --help' for usage.\n`);
      return 1;
  }
}
