import { connect } from 'node:net';

/**
 * The verdict prober of bench:apply, run inside the client pod's netns:
 * `node dist/bench/probe.js IP PORT INTERVAL_MS TIMEOUT_MS`. Every INTERVAL_MS it opens a new TCP
 * connection (its own source port, so the firewall judges it afresh) without waiting for earlier ones,
 * and prints `<send time> <outcome>` per probe once decided: `1` connected, `0` no answer within
 * TIMEOUT_MS (the SYN was dropped), `e` any error (e.g. refused). The send time is CLOCK_MONOTONIC in
 * ms (process.hrtime), the clock the benchmark reads too. A connected probe is reset, not closed, so
 * 1,000 probes a second leave no TIME_WAIT sockets to exhaust the ports. Runs until killed.
 */

const [ip = '', portText = '', intervalText = '1', timeoutText = '250'] = process.argv.slice(2);
const port = Number(portText);
const intervalMs = Number(intervalText);
const timeoutMs = Number(timeoutText);
if (!ip || !(port > 0) || !(intervalMs > 0) || !(timeoutMs > 0)) {
  process.stderr.write('usage: probe IP PORT INTERVAL_MS TIMEOUT_MS\n');
  process.exit(2);
}

const mono = () => Number(process.hrtime.bigint()) / 1e6;
let pending: string[] = [];
const flush = () => {
  if (pending.length === 0) return;
  process.stdout.write(pending.join(''));
  pending = [];
};

function probe(): void {
  const sent = mono();
  const s = connect({ host: ip, port });
  let done = false;
  const finish = (outcome: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    pending.push(`${sent.toFixed(3)} ${outcome}\n`);
    if (outcome === '1') s.resetAndDestroy();
    else s.destroy();
  };
  // The decision waits for the poll phase: a connection the kernel completed while this process was not
  // scheduled is reported there, before setImmediate runs, so a busy machine does not pass for a drop.
  const timer = setTimeout(() => setImmediate(() => finish('0')), timeoutMs);
  s.once('connect', () => finish('1'));
  s.on('error', () => finish('e'));
}

setInterval(probe, intervalMs);
setInterval(flush, 5);
process.stdout.on('error', () => process.exit(0));
