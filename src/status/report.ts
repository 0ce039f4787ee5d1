import type { AgentStatus } from '../agent/status.js';
import { COMPONENTS, type ComponentName, type ComponentStatus } from './component.js';

/**
 * `podwall status`, the pure part: the facts read from the lab (src/status/collect.ts) judged into a
 * report with one health per line and the list of what is wrong. Exit code and `--wait` follow `healthy`.
 */

export const POLICY_KINDS = ['NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export interface AgentFacts {
  node: string;
  status: AgentStatus | null;
  alive: boolean;
  /** Whether the node's netns holds `inet podwall`; null when not checked (not root). */
  nftTable: boolean | null;
}

export interface StoreFacts {
  path: string;
  exists: boolean;
  /** Set when opening or reading failed. */
  error?: string;
  revision?: number;
  enforcement?: 'podwall' | 'none';
  pods?: { namespace: string; name: string; node?: string; hostNetwork: boolean }[];
  policies?: Record<PolicyKind, number>;
}

export interface StatusFacts {
  prefix: string;
  stateDir: string;
  /** Nodes of the running lab (lab.json); null when no lab runs on this state dir. */
  labNodes: string[] | null;
  store: StoreFacts;
  agents: AgentFacts[];
  components: Record<ComponentName, { status: ComponentStatus; alive: boolean }[]>;
  /** Network namespaces of the prefix that exist (pods' included), for "managed". */
  netns: Set<string>;
  podNetns(namespace: string, name: string): string;
  /** The simulated internet (src/world/world.ts worldStatus); null when not read (not root). */
  world: { netns: string; exists: boolean; addresses: number; dns: { address: string; pid: number | null }; web: { pid: number | null } } | null;
}

export type Health = 'OK' | 'warning' | 'error' | 'disabled';

export interface AgentReport {
  node: string;
  health: Health;
  /** Short state: OK, not running, behind, failed, no status. */
  state: string;
  pid?: number;
  enforcement?: 'podwall' | 'none';
  appliedRevision?: number;
  desiredRevision?: number;
  generation?: number;
  lastApplyMs?: number | null;
  lastApplyKind?: 'full' | 'incremental' | null;
  lastError?: string | null;
  nftTable?: boolean | null;
  /** The agent's flow API, when it serves one (branch flows adds `api` to its status). */
  api?: string;
  updatedAt?: string;
  problems: string[];
}

export interface ComponentReport {
  component: ComponentName;
  title: string;
  health: Health;
  /** disabled / OK / not running / degraded / failed, per instance. */
  instances: { node?: string; health: Health; state: string; pid: number; message?: string; endpoint?: string; details?: ComponentStatus['details'] }[];
}

export interface StatusReport {
  healthy: boolean;
  prefix: string;
  stateDir: string;
  lab: { up: boolean; nodes: string[] };
  store: { health: Health; path: string; reachable: boolean; revision?: number; enforcement?: 'podwall' | 'none'; error?: string };
  agents: AgentReport[];
  components: ComponentReport[];
  pods: { managed: number; total: number; unmanaged: string[] };
  /** The lab's simulated internet: not podwall itself, so a stopped server is a warning, not an error. */
  world: { health: Health; state: string; detail: string };
  policies: Record<PolicyKind, number> & { total: number };
  errors: string[];
  warnings: string[];
}

/** The agent writes `api` as a port number or a URL; either way a URL comes out. */
export function agentApi(status: AgentStatus | null): string | undefined {
  const api = (status as (AgentStatus & { api?: unknown }) | null)?.api;
  if (typeof api === 'number') return `http://127.0.0.1:${api}`;
  if (typeof api === 'string' && api !== '') return /^\d+$/.test(api) ? `http://127.0.0.1:${api}` : api;
  return undefined;
}

function judgeAgent(a: AgentFacts, desired: number | undefined): AgentReport {
  const s = a.status;
  if (!s) return { node: a.node, health: 'error', state: 'no status', problems: [`agent ${a.node}: no status file (never started?)`] };
  const problems: string[] = [];
  let state = 'OK';
  if (!a.alive) {
    state = 'not running';
    problems.push(`agent ${a.node}: not running (pid ${s.pid} is gone); the rules it applied last stay in force, changes are not applied`);
  }
  if (s.lastError !== null) {
    if (state === 'OK') state = 'failed';
    problems.push(`agent ${a.node}: last apply failed: ${s.lastError}`);
  }
  if (desired !== undefined && s.appliedRevision < desired) {
    if (state === 'OK') state = 'behind';
    problems.push(`agent ${a.node}: nft table behind the store: applied revision ${s.appliedRevision}, desired ${desired}`);
  }
  if (a.nftTable === false) {
    if (state === 'OK') state = 'no table';
    problems.push(`agent ${a.node}: nft table inet podwall is missing from the node's netns`);
  }
  const api = agentApi(s);
  return {
    node: a.node, health: problems.length ? 'error' : 'OK', state, pid: s.pid, enforcement: s.enforcement,
    appliedRevision: s.appliedRevision, ...(desired !== undefined ? { desiredRevision: desired } : {}), generation: s.generation,
    lastApplyMs: s.lastApplyMs, lastApplyKind: s.lastApplyKind, lastError: s.lastError, nftTable: a.nftTable,
    ...(api ? { api } : {}), updatedAt: s.updatedAt, problems,
  };
}

function judgeComponent(name: ComponentName, title: string, found: StatusFacts['components'][ComponentName]): ComponentReport {
  const instances = found.map(({ status: s, alive }) => {
    const health: Health = !alive || s.state === 'failed' ? 'error' : s.state === 'degraded' ? 'warning' : 'OK';
    const state = !alive ? 'not running' : s.state === 'ok' ? 'OK' : s.state;
    return {
      ...(s.node ? { node: s.node } : {}), health, state, pid: s.pid,
      ...(s.message ? { message: s.message } : {}), ...(s.endpoint ? { endpoint: s.endpoint } : {}), ...(s.details ? { details: s.details } : {}),
    };
  });
  const rank: Health[] = ['disabled', 'OK', 'warning', 'error'];
  const health = instances.reduce<Health>((h, i) => (rank.indexOf(i.health) > rank.indexOf(h) ? i.health : h), instances.length ? 'OK' : 'disabled');
  return { component: name, title, health, instances };
}

function judgeWorld(w: StatusFacts['world']): StatusReport['world'] {
  if (w === null) return { health: 'disabled', state: 'not checked', detail: 'needs root' };
  if (!w.exists) return { health: 'disabled', state: 'disabled', detail: '' };
  const down = [w.dns.pid === null ? 'DNS server' : '', w.web.pid === null ? 'web server' : ''].filter(Boolean);
  const detail = `${w.netns}, ${w.addresses} addresses, DNS ${w.dns.address} ${w.dns.pid === null ? 'stopped' : `pid ${w.dns.pid}`}, web ${w.web.pid === null ? 'stopped' : `pid ${w.web.pid}`}`;
  return down.length ? { health: 'warning', state: 'degraded', detail: `${down.join(' and ')} stopped (${detail})` } : { health: 'OK', state: 'OK', detail };
}

export function assessStatus(f: StatusFacts, titles: Record<ComponentName, string>): StatusReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  const up = f.labNodes !== null;
  if (!up) errors.push(`no lab runs on ${f.stateDir} (prefix ${f.prefix}): start one with \`podwall lab up\``);

  const storeHealth: Health = f.store.error || !f.store.exists ? 'error' : 'OK';
  if (f.store.error) errors.push(`store ${f.store.path}: ${f.store.error}`);
  else if (!f.store.exists && up) errors.push(`store ${f.store.path}: missing`);

  const agents = f.agents.map((a) => judgeAgent(a, f.store.revision));
  for (const a of agents) errors.push(...a.problems);
  if (f.store.enforcement === 'none') warnings.push('network policy enforcement is off (`podwall lab update --network-policy podwall` turns it on)');

  const components = COMPONENTS.map((c) => judgeComponent(c, titles[c], f.components[c]));
  for (const c of components) {
    for (const i of c.instances) {
      const where = `${c.title}${i.node ? ` ${i.node}` : ''}`;
      if (i.health === 'error') errors.push(`${where}: ${i.state === 'not running' ? `not running (pid ${i.pid} is gone)` : `${i.state}${i.message ? `: ${i.message}` : ''}`}`);
      if (i.health === 'warning') warnings.push(`${where}: ${i.state}${i.message ? `: ${i.message}` : ''}`);
    }
  }

  const liveNodes = new Set(agents.filter((a) => a.state !== 'not running' && a.state !== 'no status').map((a) => a.node));
  const pods = (f.store.pods ?? []).filter((p) => !p.hostNetwork);
  const unmanaged = pods.filter((p) => !(p.node && liveNodes.has(p.node) && f.netns.has(f.podNetns(p.namespace, p.name)))).map((p) => `${p.namespace}/${p.name}`);
  const world = judgeWorld(f.world);
  if (world.health === 'warning') warnings.push(`world: ${world.detail}`);
  const counts = f.store.policies ?? { NetworkPolicy: 0, CiliumNetworkPolicy: 0, CiliumClusterwideNetworkPolicy: 0 };
  return {
    healthy: errors.length === 0,
    prefix: f.prefix, stateDir: f.stateDir,
    lab: { up, nodes: f.labNodes ?? [] },
    store: {
      health: storeHealth, path: f.store.path, reachable: f.store.exists && !f.store.error,
      ...(f.store.revision !== undefined ? { revision: f.store.revision } : {}),
      ...(f.store.enforcement ? { enforcement: f.store.enforcement } : {}), ...(f.store.error ? { error: f.store.error } : {}),
    },
    agents, components, world,
    pods: { managed: pods.length - unmanaged.length, total: pods.length, unmanaged },
    policies: { ...counts, total: counts.NetworkPolicy + counts.CiliumNetworkPolicy + counts.CiliumClusterwideNetworkPolicy },
    errors, warnings,
  };
}
