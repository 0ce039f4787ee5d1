import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runAgnhost } from './agnhost.js';
import type { AgnhostIo } from './io.js';

// In-process, on loopback: fast checks of outputs and exit codes. The real pod-to-pod checks are in test/agnhost.

function capture(env: NodeJS.ProcessEnv = {}): AgnhostIo & { out: string; err: string } {
  const io = { out: '', err: '', env, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  s.close();
  await once(s, 'close');
  return port;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('agnhost connect (loopback)', () => {
  it('TCP: success prints nothing and exits 0; a closed port is REFUSED', async () => {
    const server = createServer((c) => c.end()).listen(0, '127.0.0.1');
    cleanups.push(() => server.close());
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    let io = capture();
    expect(await runAgnhost(['connect', `127.0.0.1:${port}`, '--timeout=2s'], io)).toBe(0);
    expect(io.err + io.out).toBe('');
    io = capture();
    expect(await runAgnhost(['connect', `127.0.0.1:${await freePort()}`, '--timeout', '2s'], io)).toBe(1);
    expect(io.err).toBe('REFUSED\n');
  });

  it('UDP: a reply is success, ICMP port unreachable is REFUSED, silence is TIMEOUT', async () => {
    const echo = createSocket('udp4');
    const silent = createSocket('udp4');
    cleanups.push(() => echo.close(), () => silent.close());
    echo.on('message', (m, r) => echo.send('pod', r.port, r.address));
    echo.bind(0, '127.0.0.1');
    silent.bind(0, '127.0.0.1');
    await Promise.all([once(echo, 'listening'), once(silent, 'listening')]);
    let io = capture();
    expect(await runAgnhost(['connect', `127.0.0.1:${echo.address().port}`, '--protocol=udp', '--timeout=2s'], io)).toBe(0);
    expect(io.err).toBe('');
    io = capture();
    expect(await runAgnhost(['connect', `127.0.0.1:${await freePort()}`, '--protocol=udp', '--timeout=2s'], io)).toBe(1);
    expect(io.err).toMatch(/^REFUSED: read udp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: read: connection refused\n$/);
    io = capture();
    expect(await runAgnhost(['connect', `127.0.0.1:${silent.address().port}`, '--protocol=udp', '--timeout=200ms'], io)).toBe(1);
    expect(io.err).toMatch(/^TIMEOUT: read udp .* i\/o timeout\n$/);
  });

  it('SCTP, bad addresses, unknown hosts and bad flags give agnhost\'s prefixes', async () => {
    const cases: [string[], RegExp][] = [
      [['connect', '127.0.0.1:80', '--protocol=sctp'], /^OTHER: SCTP not supported by this kernel\n$|^OTHER: SCTP is not supported by this agnhost/],
      [['connect', '127.0.0.1'], /^UNKNOWN: address 127\.0\.0\.1: missing port in address\n$/],
      [['connect', 'no-such-host.invalid:80', '--timeout=1s'], /^DNS: /],
      [['connect', '127.0.0.1:80', '--timeout=soon'], /^Error: invalid argument "soon"/],
      [['connect'], /^Error: accepts 1 arg\(s\), received 0\n$/],
      [['frobnicate'], /^Error: unknown command "frobnicate"/],
    ];
    for (const [argv, want] of cases) {
      const io = capture();
      expect(await runAgnhost(argv, io), argv.join(' ')).toBe(1);
      expect(io.err).toMatch(want);
    }
  });
});

describe('agnhost serve-hostname (loopback)', () => {
  it('serves POD_NAME over TCP and UDP, and over HTTP by default', async () => {
    const stop = new AbortController();
    const port = await freePort();
    const io = capture({ POD_NAME: 'web-0' });
    const done = runAgnhost(['serve-hostname', '--tcp', '--udp', '--http=false', `--port=${port}`], io, { signal: stop.signal });
    cleanups.push(() => stop.abort());
    await expect.poll(() => io.err).toContain(`Serving on port ${port}.`);
    const tcp = await new Promise<string>((resolve, reject) => {
      let got = '';
      connect(port, '127.0.0.1').on('data', (d) => (got += d)).on('end', () => resolve(got)).on('error', reject);
    });
    expect(tcp).toBe('web-0');
    const udp = createSocket('udp4');
    cleanups.push(() => udp.close());
    udp.send('hostname\n', port, '127.0.0.1');
    const [msg] = (await once(udp, 'message')) as [Buffer];
    expect(msg.toString()).toBe('web-0');
    stop.abort('terminated');
    expect(await done).toBe(0);
    expect(io.err).toMatch(/TCP request from 127\.0\.0\.1:\d+/);

    const stop2 = new AbortController();
    const io2 = capture({ POD_NAME: 'web-1' });
    const done2 = runAgnhost(['serve-hostname', '--port', String(port)], io2, { signal: stop2.signal });
    await expect.poll(() => io2.err).toContain('Serving on port');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('web-1');
    stop2.abort();
    expect(await done2).toBe(0);
  });

  it('refuses TCP/UDP together with HTTP, as agnhost does', async () => {
    const io = capture();
    expect(await runAgnhost(['serve-hostname', '--tcp'], io)).toBe(1);
    expect(io.err).toContain("Can't server TCP/UDP mode and HTTP mode at the same time");
  });
});
