import { describe, expect, it } from 'vitest';
import { termsOf } from '../../src/cli/commands/observe.js';
import { compileFilter, FilterError, parseTime, type FilterTerm } from '../../src/flows/filter.js';
import type { Flow, FlowEndpoint } from '../../src/flows/flow.js';

const pod = (ns: string, name: string, ip: string, port: number, labels: string[]): FlowEndpoint => ({ ip, port, kind: 'pod', namespace: ns, pod: name, labels, node: 'node1' });

function flow(src: FlowEndpoint, dst: FlowEndpoint, over: Partial<Flow> = {}): Flow {
  return {
    seq: 1, time: '2026-11-25T13:02:33.123Z', node: 'node1', type: 'L3_L4', source: src, destination: dst,
    l4: { protocol: 'TCP', tcpFlags: ['SYN'] }, trafficDirection: 'INGRESS', verdict: 'DROPPED', dropReason: 'POLICY_DENIED',
    policies: [], reason: 'r', ...over,
  };
}

const client = pod('demo', 'client-7f', '10.244.0.3', 38000, ['run=client']);
const server = pod('demo', 'server', '10.244.0.2', 80, ['app=server']);
const other = pod('default', 'web', '10.244.1.5', 8080, ['app=web']);
const world: FlowEndpoint = { ip: '198.18.0.10', port: 443, kind: 'world', names: ['www.example.com'] };
const host: FlowEndpoint = { ip: '10.0.0.1', kind: 'host', node: 'node1' };

const FLOWS = {
  drop: flow(client, server),
  allow: flow(client, server, { verdict: 'FORWARDED', dropReason: undefined, l4: { protocol: 'TCP', tcpFlags: ['SYN'] } }),
  web: flow(server, other, { trafficDirection: 'EGRESS', verdict: 'FORWARDED', l4: { protocol: 'UDP' } }),
  out: flow(client, world, { trafficDirection: 'EGRESS' }),
  probe: flow(host, server, { verdict: 'FORWARDED', time: '2026-11-25T13:10:00.000Z' }),
  dns: flow(client, world, { type: 'L7', verdict: 'FORWARDED', l4: { protocol: 'UDP' }, l7: { dns: { query: 'www.example.com.', qtype: 'A', rcode: 'NOERROR', ips: ['198.18.0.10'] } } }),
};
type Name = keyof typeof FLOWS;

function pick(terms: FilterTerm[], ns?: string): Name[] {
  const keep = compileFilter(terms, ns);
  return (Object.keys(FLOWS) as Name[]).filter((k) => keep(FLOWS[k]));
}

describe('observe filters (hubble observe semantics)', () => {
  it('pods by [namespace/]name prefix, either end or one end; default namespace from -n, else default', () => {
    expect(pick([{ key: 'pod', value: 'demo/client' }])).toEqual(['drop', 'allow', 'out', 'dns']);
    expect(pick([{ key: 'to-pod', value: 'demo/server' }])).toEqual(['drop', 'allow', 'probe']);
    expect(pick([{ key: 'from-pod', value: 'demo/' }])).toEqual(['drop', 'allow', 'web', 'out', 'dns']);
    expect(pick([{ key: 'pod', value: 'web' }])).toEqual(['web']);
    expect(pick([{ key: 'pod', value: 'server' }], 'demo')).toEqual(['drop', 'allow', 'web', 'probe']);
    expect(pick([{ key: 'pod', value: 'server' }])).toEqual([]);
  });

  it('same flag ORs, different flags AND, --not excludes', () => {
    expect(pick([{ key: 'to-pod', value: 'demo/server' }, { key: 'to-pod', value: 'default/web' }])).toEqual(['drop', 'allow', 'web', 'probe']);
    expect(pick([{ key: 'to-pod', value: 'demo/server' }, { key: 'verdict', value: 'DROPPED' }])).toEqual(['drop']);
    expect(pick([{ key: 'to-pod', value: 'demo/server' }, { key: 'verdict', value: 'FORWARDED', not: true }])).toEqual(['drop']);
    expect(pick([{ key: 'namespace', value: 'demo', not: true }])).toEqual([]);
    expect(pick([{ key: 'namespace', value: 'default' }])).toEqual(['web']);
  });

  it('labels in selector syntax, k8s: prefixes, reserved identities of non-pods', () => {
    expect(pick([{ key: 'to-label', value: 'app=server' }])).toEqual(['drop', 'allow', 'probe']);
    expect(pick([{ key: 'from-label', value: 'k8s:run' }])).toEqual(['drop', 'allow', 'out', 'dns']);
    expect(pick([{ key: 'label', value: 'reserved:world' }])).toEqual(['out', 'dns']);
    expect(pick([{ key: 'from-label', value: 'reserved:host' }])).toEqual(['probe']);
    expect(pick([{ key: 'label', value: 'app in (web,nothing)' }])).toEqual(['web']);
    expect(pick([{ key: 'to-label', value: 'k8s:io.kubernetes.pod.namespace=default' }])).toEqual(['web']);
  });

  it('IPs exact or CIDR, FQDNs with wildcards, ports, protocols, types, verdicts, nodes, flags, time', () => {
    expect(pick([{ key: 'ip', value: '10.244.0.2' }])).toEqual(['drop', 'allow', 'web', 'probe']);
    expect(pick([{ key: 'to-ip', value: '10.244.0.0/16' }])).toEqual(['drop', 'allow', 'web', 'probe']);
    expect(pick([{ key: 'from-ip', value: '10.0.0.1' }])).toEqual(['probe']);
    expect(pick([{ key: 'to-fqdn', value: '*.example.com' }])).toEqual(['out', 'dns']);
    expect(pick([{ key: 'fqdn', value: 'example.com' }])).toEqual([]);
    expect(pick([{ key: 'to-port', value: '8080' }])).toEqual(['web']);
    expect(pick([{ key: 'port', value: '38000' }])).toEqual(['drop', 'allow', 'out', 'dns']);
    expect(pick([{ key: 'protocol', value: 'udp' }])).toEqual(['web', 'dns']);
    expect(pick([{ key: 'protocol', value: 'dns' }])).toEqual(['dns']);
    expect(pick([{ key: 'type', value: 'l7' }])).toEqual(['dns']);
    expect(pick([{ key: 'type', value: 'drop' }])).toEqual(['drop', 'out']);
    expect(pick([{ key: 'verdict', value: 'dropped' }])).toEqual(['drop', 'out']);
    expect(pick([{ key: 'node-name', value: 'node*' }])).toHaveLength(6);
    expect(pick([{ key: 'tcp-flags', value: 'syn' }])).toEqual(['drop', 'allow', 'out', 'probe']);
    expect(pick([{ key: 'since', value: '2026-11-25T13:05:00Z' }])).toEqual(['probe']);
    expect(pick([{ key: 'until', value: '2026-11-25T13:05:00Z' }])).toHaveLength(5);
  });

  it('bad values are FilterErrors naming the flag', () => {
    expect(() => compileFilter([{ key: 'verdict', value: 'MAYBE' }])).toThrow(FilterError);
    expect(() => compileFilter([{ key: 'ip', value: '10.0.0.300' }])).toThrow(/--ip: not an IP/);
    expect(() => compileFilter([{ key: 'port', value: '70000' }])).toThrow(/--port/);
    expect(() => compileFilter([{ key: 'label', value: 'a=(b' }])).toThrow(/--label/);
    expect(() => compileFilter([{ key: 'type', value: 'trace:to-endpoint' }])).toThrow(/--type/);
  });

  it('relative and absolute times', () => {
    const now = Date.parse('2026-11-25T13:00:00Z');
    expect(parseTime('since', '30s', now)).toBe(now - 30_000);
    expect(parseTime('since', '1h30m', now)).toBe(now - 5_400_000);
    expect(parseTime('since', '2026-11-25T12:00:00Z', now)).toBe(now - 3_600_000);
    expect(() => parseTime('since', 'yesterday', now)).toThrow(/--since/);
  });

  it('observe reads filter flags in order, --not applying to the next one', () => {
    expect(termsOf(['--last', '5', '--to-pod', 'demo/server', '--not', '--verdict=FORWARDED', '-n', 'demo', '-o', 'json'])).toEqual([
      { key: 'to-pod', value: 'demo/server' }, { key: 'verdict', value: 'FORWARDED', not: true }, { key: 'namespace', value: 'demo' },
    ]);
    expect(() => termsOf(['--pod'])).toThrow(/needs a value/);
    expect(() => termsOf(['--pod', 'a', '--not'])).toThrow(/--not/);
  });
});
