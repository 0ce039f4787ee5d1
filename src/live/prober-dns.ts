import { createSocket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';

/** A pod's lookup of a name for live conformance runs (`dns: true` cases look names up before their probes). */

export function dnsQuery(name: string, id = Math.floor(Math.random() * 65536)): Buffer {
  return dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
}

/** Look `name` up at server:53 over UDP: the rcode and A records, `timeout`, or the socket error's code. */
export async function resolveName(server: string, name: string, timeoutMs: number): Promise<{ outcome: 'connected' | 'timeout' | 'refused' | 'error'; detail: string }> {
  const sock = createSocket('udp4');
  const id = Math.floor(Math.random() * 65536);
  return new Promise((resolve) => {
    const finish = (outcome: 'connected' | 'timeout' | 'refused' | 'error', detail: string) => {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      try { sock.close(); } catch { /* closed */ }
      resolve({ outcome, detail });
    };
    const timer = setTimeout(() => finish('timeout', 'no answer'), timeoutMs);
    sock.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? 'refused' : 'error', e.code ?? e.message));
    sock.on('message', (m) => {
      try {
        const p = dnsPacket.decode(m) as { id?: number; rcode?: string; answers?: { type: string; data: unknown }[] };
        if (p.id !== id) return;
        finish('connected', `${p.rcode ?? 'NOERROR'} ${(p.answers ?? []).filter((a) => a.type === 'A').map((a) => String(a.data)).join(',')}`.trim());
      } catch {
        finish('error', 'malformed answer');
      }
    });
    sock.send(dnsQuery(name, id), 53, server);
  });
}
