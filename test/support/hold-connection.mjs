// Inside a pod: open a TCP connection to an echo server and prove it works, record that in STATE, wait until
// FLAG exists (the test creates it once the address's fqdn element has expired), then prove the same
// connection still carries data. Prints `still-open` or `stalled`.
// Usage: node hold-connection.mjs HOST PORT STATE FLAG
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';

const [host, port, state, flag] = process.argv.slice(2);
const socket = net.connect(Number(port), host);
const echoed = (text) => new Promise((resolve) => {
  let got = '';
  const timer = setTimeout(() => resolve(false), 3000);
  const onData = (d) => {
    got += d.toString();
    if (got.includes(text)) { clearTimeout(timer); socket.off('data', onData); resolve(true); }
  };
  socket.on('data', onData);
  socket.write(text);
});
const flagged = () => new Promise((resolve) => {
  const deadline = Date.now() + 20_000;
  const tick = () => (existsSync(flag) ? resolve(true) : Date.now() > deadline ? resolve(false) : setTimeout(tick, 50));
  tick();
});

socket.once('error', (e) => { console.log(`stalled: ${e.message}`); process.exit(1); });
socket.once('connect', async () => {
  if (!(await echoed('first'))) { console.log('stalled: no first echo'); process.exit(1); }
  writeFileSync(state, 'connected');
  if (!(await flagged())) { console.log('stalled: no flag'); process.exit(1); }
  const ok = await echoed('second');
  console.log(ok ? 'still-open' : 'stalled');
  socket.destroy();
  process.exit(ok ? 0 : 1);
});
