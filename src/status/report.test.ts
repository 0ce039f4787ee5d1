import { describe, expect, it } from 'vitest';
import type { AgentStatus } from '../agent/status.js';
import { COMPONENT_TITLES, type ComponentStatus } from './component.js';
import { formatStatus } from './format.js';
import { assessStatus, type StatusFacts } from './report.js';

const agent = (over: Partial<AgentStatus> = {}): AgentStatus => ({
  node: 'node1', pid: 100, appliedRevision: 7, seenRevision: 7, generation: 3, enforcement: 'podwall',
  lastApplyMs: 12, lastApplyKind: 'incremental', lastError: null, updatedAt: '2026-11-25T16:00:00.000Z', ...over,
});

function facts(over: Partial<StatusFacts> = {}): StatusFacts {
  return {
    prefix: 'pw', stateDir: '/run/podwall/pw', labNodes: ['node1'],
    store: {
      path: '/run/podwall/pw/store.db', exists: true, revision: 7, enforcement: 'podwall',
      pods: [{ namespace: 'demo', name: 'a', node: 'node1', hostNetwork: false }, { namespace: 'demo', name: 'b', node: 'node1', hostNetwork: false }],
      policies: { NetworkPolicy: 1, CiliumNetworkPolicy: 2, CiliumClusterwideNetworkPolicy: 0 },
    },
    agents: [{ node: 'node1', status: agent(), alive: true, nftTable: true }],
    components: { dnsproxy: [], flows: [], ui: [] },
    netns: new Set(['pw-node1', 'pw-a', 'pw-b']),
    podNetns: (_ns, name) => `pw-${name}`,
    world: { netns: 'pw-world', exists: true, addresses: 12, dns: { address: '198.18.0.2', pid: 300 }, web: { pid: 301 } },
    ...over,
  };
}

describe('podwall status: judging the facts', () => {
  it('a converged lab is healthy; absent components are disabled', () => {
    const r = assessStatus(facts(), COMPONENT_TITLES);
    expect(r.healthy).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.components.map((c) => c.health)).toEqual(['disabled', 'disabled', 'disabled']);
    expect(r.pods).toEqual({ managed: 2, total: 2, unmanaged: [] });
    expect(r.policies.total).toBe(3);
    const text = formatStatus(r, false);
    expect(text).toMatch(/^podwall:\s+OK/m);
    expect(text).toMatch(/^ {2}node1:\s+OK\s+pid 100, enforcement podwall, revision 7\/7, generation 3, last apply 12 ms \(incremental\)/m);
    expect(text).toMatch(/^DNS proxy:\s+disabled$/m);
    expect(text).toMatch(/^World:\s+OK\s+pw-world, 12 addresses, DNS 198\.18\.0\.2 pid 300, web pid 301$/m);
    expect(text).toMatch(/^Cluster Pods:\s+2\/2\s+managed by podwall$/m);
    expect(text).not.toContain('\u001b[');
  });

  it('a dead agent, a table behind the store or a failed apply is unhealthy, each said', () => {
    const dead = assessStatus(facts({ agents: [{ node: 'node1', status: agent(), alive: false, nftTable: true }] }), COMPONENT_TITLES);
    expect(dead.healthy).toBe(false);
    expect(dead.errors[0]).toMatch(/^agent node1: not running \(pid 100 is gone\)/);
    expect(dead.pods.managed).toBe(0);
    const behind = assessStatus(facts({ agents: [{ node: 'node1', status: agent({ appliedRevision: 5 }), alive: true, nftTable: true }] }), COMPONENT_TITLES);
    expect(behind.errors).toEqual(['agent node1: nft table behind the store: applied revision 5, desired 7']);
    const failed = assessStatus(facts({ agents: [{ node: 'node1', status: agent({ lastError: 'nft: No such file' }), alive: true, nftTable: true }] }), COMPONENT_TITLES);
    expect(failed.agents[0]!.state).toBe('failed');
    expect(failed.errors).toEqual(['agent node1: last apply failed: nft: No such file']);
    expect(assessStatus(facts({ labNodes: null, agents: [] }), COMPONENT_TITLES).healthy).toBe(false);
  });

  it('a stopped world server (the DNS outage demo) is a warning: the lab stays healthy', () => {
    const r = assessStatus(facts({ world: { netns: 'pw-world', exists: true, addresses: 12, dns: { address: '198.18.0.2', pid: null }, web: { pid: 301 } } }), COMPONENT_TITLES);
    expect(r.healthy).toBe(true);
    expect(r.warnings).toEqual(['world: DNS server stopped (pw-world, 12 addresses, DNS 198.18.0.2 stopped, web pid 301)']);
    expect(formatStatus(r, false)).toMatch(/^World:\s+degraded\s+DNS server stopped/m);
    expect(assessStatus(facts({ world: { netns: 'pw-world', exists: false, addresses: 0, dns: { address: '198.18.0.2', pid: null }, web: { pid: null } } }), COMPONENT_TITLES).world.state).toBe('disabled');
  });

  it('components report through status files: live ones OK, dead ones not running', () => {
    const s: ComponentStatus = { component: 'dnsproxy', node: 'node1', pid: 200, state: 'ok', message: '3 names cached', updatedAt: 'x' };
    const ok = assessStatus(facts({ components: { dnsproxy: [{ status: s, alive: true }], flows: [], ui: [] } }), COMPONENT_TITLES);
    expect(ok.healthy).toBe(true);
    expect(formatStatus(ok, false)).toMatch(/^ {2}node1:\s+OK\s+pid 200, 3 names cached$/m);
    const dead = assessStatus(facts({ components: { dnsproxy: [{ status: s, alive: false }], flows: [], ui: [] } }), COMPONENT_TITLES);
    expect(dead.errors).toEqual(['DNS proxy node1: not running (pid 200 is gone)']);
  });
});
