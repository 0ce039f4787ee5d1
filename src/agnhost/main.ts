import { runAgnhost } from './agnhost.js';
import { processIo } from './io.js';

// The `agnhost` program (bin/agnhost). SIGTERM and SIGINT end long-running commands cleanly.
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort('terminated'));
process.once('SIGINT', () => stop.abort('interrupt'));
// This module is loaded by a dynamic import, so a command that stopped waiting on anything would otherwise end the
// process with exit 0, which a probe would read as success.
const guard = (): void => {
  process.stderr.write('OTHER: agnhost ended without a result (internal error)\n');
  process.exit(1);
};
process.once('beforeExit', guard);
const code = await runAgnhost(process.argv.slice(2), processIo(), { signal: stop.signal });
process.off('beforeExit', guard);
// Exit now: open sockets of a stopped server, or a stray timer, must not keep the process alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
