import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipBatch, ipJson } from '../lab/ip-command.js';
import type { LabContext } from '../lab/names.js';
import { fabricLink } from '../lab/names.js';
import type { LabNode } from '../lab/node.js';
import { netnsExists, netnsInode, processNetnsInode } from '../lab/netns.js';
import { POD_GATEWAY } from '../lab/pod-network.js';
import { labBinDir } from '../lab/supervisor.js';
import { waitFor } from '../lab/wait.js';
import { formatDiagnostic } from '../shared/diagnostic.js';
import { cidrContainsIp, parseCidr } from '../shared/ip.js';
import { IoError } from '../shared/errors.js';
import { caFiles, createLabCa } from './ca.js';
import { WORLD_DNS_ADDRESS } from './dns-server.js';
import { loadZone, WORLD_V4, zoneAddresses, type Zone } from './zone.js';

/**
 * The simulated internet, part of every lab (docs/lab.md "The simulated internet and cluster DNS"): one
 * network namespace `<prefix>-world` holding the world DNS server's address and every zone address (each a
 * /32 on its `lo`), wired to node1 by a veth pair and routed as the pods are (static permanent neighbours,
 * no ARP). node1 routes 198.18.0.0/15 into it, the other nodes route it via node1; the world routes the lab
 * (10.0.0.0/24, 10.244.0.0/16) back via node1 and nothing else: it has no route to the machine's network.
 * Two supervised processes run inside: the DNS server and the web servers.
 */

/** The world side is reached through this next hop; the node side answers for the pods' gateway address. */
const WORLD_NEXT_HOP = '169.254.2.1';
const WORLD_MAC = '02:77:6f:72:6c:64';
const NODE_MAC = '02:77:6f:72:6c:65';
const WORLD_NODE = 'node1';
const LAB_ROUTES = ['10.0.0.0/24', '10.244.0.0/16'];

export type WorldService = 'dns' | 'web';
export const WORLD_SERVICES: readonly WorldService[] = ['dns', 'web'];

export function worldNetns(prefix: string): string {
  return `${prefix}-world`;
}

/** Where the world keeps its files in the state dir. */
export function worldFiles(ctx: LabContext) {
  const dir = join(ctx.stateDir, 'world');
  return {
    dir,
    /** The zone the running world serves (a copy of the file `lab up` was given). */
    zone: join(dir, 'zone.yaml'),
    ...caFiles(dir),
    pid: (s: WorldService) => join(ctx.stateDir, `world-${s}.pid`),
    log: (s: WorldService) => join(ctx.stateDir, `world-${s}.log`),
  };
}

/** The repository's default zone, lab/world.yaml. */
export function defaultZoneFile(): string {
  return join(labBinDir(), '..', 'lab', 'world.yaml');
}

/** Load and validate a zone file; IoError listing every diagnostic when it has errors. */
export function readZone(file: string): Zone {
  if (!existsSync(file)) throw new IoError(`zone file ${file} not found`);
  const { zone, diagnostics } = loadZone(file);
  if (!zone) throw new IoError(`invalid zone file:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  return zone;
}

const inWorldRange = (ip: string) => cidrContainsIp(parseCidr(WORLD_V4)!, ip);

/** Create the world netns and wire it to the nodes (node1 directly, the others through node1). */
export async function createWorldNetwork(nodes: readonly LabNode[], addresses: readonly string[], ctx: LabContext): Promise<void> {
  const netns = worldNetns(ctx.prefix);
  const first = nodes.find((n) => n.name === WORLD_NODE);
  if (!first) throw new IoError(`the world is wired to ${WORLD_NODE}, which the lab lacks`);
  if (netnsExists(netns)) throw new IoError(`${netns} already exists: run \`podwall lab down\` first`);
  const nodeIf = `${ctx.prefix}-world`;
  await ipBatch([
    ['netns', 'add', netns],
    ['netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1',
      'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'],
    ['link', 'add', nodeIf, 'address', NODE_MAC, 'netns', first.netns, 'type', 'veth', 'peer', 'name', 'eth0', 'address', WORLD_MAC, 'netns', netns],
  ]);
  await ipBatch([
    ['link', 'set', 'lo', 'up'],
    ['link', 'set', 'eth0', 'up'],
    ['neigh', 'replace', POD_GATEWAY, 'lladdr', NODE_MAC, 'dev', 'eth0', 'nud', 'permanent'],
    ['route', 'add', POD_GATEWAY, 'dev', 'eth0', 'scope', 'link'],
    ...LAB_ROUTES.map((r) => ['route', 'add', r, 'via', POD_GATEWAY, 'dev', 'eth0']),
  ], { netns });
  await ipBatch([
    ['link', 'set', nodeIf, 'up'],
    ['neigh', 'replace', WORLD_NEXT_HOP, 'lladdr', WORLD_MAC, 'dev', nodeIf, 'nud', 'permanent'],
    ['route', 'replace', WORLD_V4, 'via', WORLD_NEXT_HOP, 'dev', nodeIf, 'onlink', 'src', first.ip],
  ], { netns: first.netns });
  for (const n of nodes) {
    if (n === first) continue;
    await ipBatch([['route', 'replace', WORLD_V4, 'via', first.ip, 'dev', fabricLink(first.name, ctx.prefix), 'onlink', 'src', n.ip]], { netns: n.netns });
  }
  await addWorldAddresses(nodes, [WORLD_DNS_ADDRESS, ...addresses], ctx);
}

/**
 * Give the world more addresses (live conformance adds the outside addresses a case folder names). Addresses
 * outside 198.18.0.0/15 also get a /32 route on every node. Idempotent.
 */
export async function addWorldAddresses(nodes: readonly LabNode[], addresses: readonly string[], ctx: LabContext): Promise<void> {
  const netns = worldNetns(ctx.prefix);
  if (!netnsExists(netns)) throw new IoError(`the lab has no world (${netns}): run \`podwall lab up\``);
  await ipBatch(addresses.map((a) => ['addr', 'replace', `${a}/32`, 'dev', 'lo']), { netns });
  const outside = addresses.filter((a) => !inWorldRange(a));
  if (outside.length === 0) return;
  const first = nodes.find((n) => n.name === WORLD_NODE)!;
  for (const n of nodes) {
    const via = n === first ? ['via', WORLD_NEXT_HOP, 'dev', `${ctx.prefix}-world`] : ['via', first.ip, 'dev', fabricLink(first.name, ctx.prefix)];
    await ipBatch(outside.map((a) => ['route', 'replace', `${a}/32`, ...via, 'onlink', 'src', n.ip]), { netns: n.netns });
  }
}

function serviceArgv(s: WorldService, ctx: LabContext): string[] {
  const f = worldFiles(ctx);
  return s === 'dns'
    ? ['world', 'dns', '--zone', f.zone, '--address', WORLD_DNS_ADDRESS]
    : ['world', 'web', '--zone', f.zone, '--cert', f.serverCert, '--key', f.serverKey];
}

/** The pid of a world service when it runs inside the world netns (guards against pid reuse). */
export function worldServicePid(s: WorldService, ctx: LabContext): number | undefined {
  try {
    const pid = Number(readFileSync(worldFiles(ctx).pid(s), 'utf8').trim());
    const ino = netnsInode(worldNetns(ctx.prefix));
    return Number.isInteger(pid) && pid > 0 && ino !== undefined && processNetnsInode(pid) === ino ? pid : undefined;
  } catch {
    return undefined;
  }
}

const READY: Record<WorldService, string> = { dns: 'world dns: serving', web: 'world web: serving' };

/** Start one world service (detached, in the world netns) and wait until it serves. */
export async function startWorldService(s: WorldService, ctx: LabContext): Promise<number> {
  const running = worldServicePid(s, ctx);
  if (running !== undefined) return running;
  const f = worldFiles(ctx);
  const log = openSync(f.log(s), 'a');
  const start = existsSync(f.log(s)) ? readFileSync(f.log(s)).length : 0;
  let pid: number;
  try {
    const child = spawn('ip', ['netns', 'exec', worldNetns(ctx.prefix), process.execPath, join(labBinDir(), 'podwall.js'), ...serviceArgv(s, ctx)], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', PODWALL_LAB_PREFIX: ctx.prefix, PODWALL_STATE_DIR: ctx.stateDir },
    });
    child.unref();
    if (child.pid === undefined) throw new IoError(`cannot start the world's ${s} server`);
    pid = child.pid;
    writeFileSync(f.pid(s), `${pid}\n`);
  } finally {
    closeSync(log);
  }
  const tail = () => readFileSync(f.log(s)).subarray(start).toString();
  await waitFor(() => {
    if (tail().includes(READY[s])) return true;
    if (!existsSync(`/proc/${pid}`)) throw new IoError(`the world's ${s} server ended at start:\n${tail().trim()}`);
    return false;
  }, { timeoutMs: 15_000, what: `the world's ${s} server to serve` });
  return pid;
}

/** Stop one world service (SIGTERM, then SIGKILL). Returns whether it was running. */
export async function stopWorldService(s: WorldService, ctx: LabContext): Promise<boolean> {
  const pid = worldServicePid(s, ctx);
  rmSync(worldFiles(ctx).pid(s), { force: true });
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  await waitFor(() => !existsSync(`/proc/${pid}`) || /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), { timeoutMs: 3000 })
    .catch(() => process.kill(pid, 'SIGKILL'));
  return true;
}

/**
 * `lab up`: copy and validate the zone, make the CA and server certificate, create the world netns and
 * start its DNS and web servers. Returns the zone.
 */
export async function createWorld(nodes: readonly LabNode[], zoneFile: string, ctx: LabContext): Promise<Zone> {
  const zone = readZone(zoneFile);
  const f = worldFiles(ctx);
  mkdirSync(f.dir, { recursive: true, mode: 0o755 });
  copyFileSync(zoneFile, f.zone);
  const addresses = zoneAddresses(zone);
  await Promise.all([
    createLabCa(f.dir, [...zone.names.keys()], [WORLD_DNS_ADDRESS, ...addresses], ctx.prefix),
    createWorldNetwork(nodes, addresses, ctx),
  ]);
  await Promise.all(WORLD_SERVICES.map((s) => startWorldService(s, ctx)));
  return zone;
}

export interface WorldStatus {
  netns: string;
  exists: boolean;
  /** Addresses on the world's `lo` (the DNS server's and every zone address). */
  addresses: number;
  dns: { address: string; pid: number | null };
  web: { pid: number | null };
  zone: string;
}

/** `lab status`: the world as the kernel and its pid files have it. */
export async function worldStatus(ctx: LabContext): Promise<WorldStatus> {
  const netns = worldNetns(ctx.prefix);
  const exists = netnsExists(netns);
  const addrs = exists ? await ipJson<{ addr_info?: unknown[] }[]>(['addr', 'show', 'dev', 'lo'], { netns }) : [];
  return {
    netns, exists,
    addresses: Math.max(0, (addrs[0]?.addr_info?.length ?? 1) - 1),
    dns: { address: WORLD_DNS_ADDRESS, pid: worldServicePid('dns', ctx) ?? null },
    web: { pid: worldServicePid('web', ctx) ?? null },
    zone: worldFiles(ctx).zone,
  };
}
