/**
 * Throwaway network namespaces for the real-kernel tests, all named `pwd-<run>-<role>` and removed by
 * exact name. A small lab: one node namespace, pod namespaces joined by veth pairs with static,
 * permanent neighbour entries both ways (docs/lab.md: no ARP), default route via 169.254.1.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export const RUN = `pwd-${process.pid.toString(36)}`;

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function ip(...args: string[]): string {
  return sh('ip', args);
}

export function inNs(ns: string, ...args: string[]): string {
  return sh('ip', ['netns', 'exec', ns, ...args]);
}

export function addNetns(name: string): string {
  ip('netns', 'add', name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return name;
}

export function delNetns(name: string): void {
  try {
    ip('netns', 'del', name);
  } catch {
    // already gone
  }
}

/** Whether this machine lets us make namespaces and nft tables (root with nft): the kernel tests need it. */
export function canUseKernel(): boolean {
  const probe = `${RUN}-probe`;
  try {
    addNetns(probe);
    inNs(probe, 'nft', 'list', 'tables');
    return true;
  } catch {
    return false;
  } finally {
    delNetns(probe);
  }
}

const mac = (n: number, side: number) => `02:00:00:00:${n.toString(16).padStart(2, '0')}:0${side}`;

export interface LabPod {
  ns: string;
  ip: string;
}

/** A pod namespace wired to the node namespace (docs/lab.md "Addresses"). */
export function addPod(node: string, ns: string, podIp: string, n: number): LabPod {
  addNetns(ns);
  const hostIf = `${ns.replace(/-/g, '').slice(0, 11)}h${n}`.slice(-15);
  ip('-n', node, 'link', 'add', hostIf, 'address', mac(n, 1), 'type', 'veth', 'peer', 'name', 'eth0', 'address', mac(n, 2), 'netns', ns);
  inNs(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1');
  ip('-n', ns, 'addr', 'add', `${podIp}/32`, 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
  ip('-n', ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
  ip('-n', ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0');
  ip('-n', ns, 'neigh', 'replace', '169.254.1.1', 'lladdr', mac(n, 1), 'dev', 'eth0', 'nud', 'permanent');
  ip('-n', node, 'link', 'set', hostIf, 'up');
  ip('-n', node, 'route', 'add', `${podIp}/32`, 'dev', hostIf);
  ip('-n', node, 'neigh', 'replace', podIp, 'lladdr', mac(n, 2), 'dev', hostIf, 'nud', 'permanent');
  return { ns, ip: podIp };
}

/** The node namespace: its address on lo, forwarding on. */
export function addNode(ns: string, address: string): string {
  addNetns(ns);
  ip('-n', ns, 'addr', 'add', `${address}/32`, 'dev', 'lo');
  inNs(ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  return ns;
}

const SERVER = `
const net = require('node:net');
const [host, ...ports] = process.argv.slice(1);
let ready = 0;
for (const port of ports) {
  net.createServer((s) => s.on('data', () => s.end('pong'))).listen(Number(port), host, () => {
    if (++ready === ports.length) console.log('listening');
  });
}`;

/** TCP servers answering `pong` in a namespace; resolves once they listen. */
export function startServer(ns: string, host: string, ports: number[]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, host, ...ports.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server in ${ns} did not start`)), 10_000);
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`server in ${ns} exited with ${code}`)));
  });
}

const CLIENT = `
const net = require('node:net');
const [host, port, ms] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) });
const done = (r) => { console.log(r); s.destroy(); process.exit(0); };
s.setTimeout(Number(ms), () => done('timeout'));
s.on('connect', () => s.write('ping'));
s.on('data', (d) => done(String(d) === 'pong' ? 'ok' : 'bad-reply'));
s.on('error', (e) => done('error ' + e.code));`;

/** One real TCP exchange from a namespace: `ok` (connected and the reply came back), `timeout` (dropped), `error ...`. */
export function connect(ns: string, host: string, port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', CLIENT, host, String(port), String(timeoutMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', () => resolve(out.trim() || 'no-output'));
  });
}
