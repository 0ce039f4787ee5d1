import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { proxyRules, ProxyRulesMemo } from '../../src/dataplane/dns-rules.js';
import { NodePlanner } from '../../src/agent/plan.js';
import { redirectElements, renderDnsRedirect } from '../../src/dataplane/dns-redirect.js';
import { DnsCache } from '../../src/fqdn/cache.js';
import { desiredElements, elementCommands } from '../../src/fqdn/elements.js';
import { checkQuery, errorReply, questionName, readAnswer } from '../../src/fqdn/message.js';
import { engine } from '../support/engine-fixture.js';
import { randomCluster } from '../support/random-cluster.js';
import { buildEngine } from '../../src/engine/engine.js';
import type { ApiObject } from '../../src/api/types.js';

const CNP = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: fqdn, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}}]
    toPorts: [{ports: [{port: '53', protocol: ANY}], rules: {dns: [{matchPattern: '*.example.com'}]}}]
  - toFQDNs: [{matchName: api.example.com}, {matchPattern: '**.example.com'}]
    toPorts: [{ports: [{port: '443', protocol: TCP}, {port: '8000', endPort: 8002, protocol: TCP}]}]
`;

describe('proxy rules compiled from the engine', () => {
  const e = engine(CNP);
  const rules = proxyRules(e, { node: 'node1', revision: 3, enforcement: 'podwall' });
  const a = Object.entries(rules.pods).find(([, p]) => p.pod === 'x/a')!;

  it('redirects only pods whose DNS an L7 rule covers, to the Service address and the backend pod', () => {
    expect(Object.values(rules.pods).map((p) => p.pod)).toEqual(['x/a']);
    expect(rules.listeners.map((l) => [l.destination, l.port, l.upstream])).toEqual([['10.96.0.10', 15300, '10.0.9.53'], ['10.0.9.53', 15301, '10.0.9.53']]);
    expect(a[1].dns[0]).toEqual({ destination: '10.96.0.10', destinationPort: 53, protocols: ['UDP', 'TCP'], patterns: [{ matchPattern: '*.example.com' }], by: [{ kind: 'CiliumNetworkPolicy', namespace: 'x', name: 'fqdn', rule: 0 }] });
  });

  it('gives each toFQDNs selector its ports, ranges expanded', () => {
    expect(a[1].fqdns.map((g) => g.selector)).toEqual([{ matchName: 'api.example.com' }, { matchPattern: '**.example.com' }]);
    expect(a[1].fqdns[0]!.ports.map((p) => p.port)).toEqual([443, 8000, 8001, 8002]);
  });

  it('keeps proxy ports across changes; nothing at all with enforcement off', () => {
    const again = proxyRules(e, { node: 'node1', revision: 4, enforcement: 'podwall', prev: { ...rules, listeners: [{ ...rules.listeners[0]!, port: 15310 }] } });
    expect(again.listeners.find((l) => l.destination === '10.96.0.10')!.port).toBe(15310);
    expect(proxyRules(e, { node: 'node1', revision: 4, enforcement: 'none' }).pods).toEqual({});
  });

  it('renders the redirect table: one element per pod, destination and protocol', () => {
    expect(redirectElements(rules)).toHaveLength(4);
    const cmds = renderDnsRedirect(rules, '10.0.0.1');
    expect(JSON.stringify(cmds)).toContain('"dnat":{"addr":"10.0.0.1"');
    expect(cmds.slice(0, 2)).toEqual([{ add: { table: { family: 'ip', name: 'podwall_dns' } } }, { delete: { table: { family: 'ip', name: 'podwall_dns' } } }]);
  });
});

describe('cache and elements', () => {
  const rules = proxyRules(engine(CNP), { node: 'node1', revision: 1, enforcement: 'podwall' });
  const podIp = Object.keys(rules.pods)[0]!;

  it('an element granted by two names takes the later expiry and stays while one grants it', () => {
    const c = new DnsCache({ maxIpsPerName: 50 });
    c.record({ podIp, pod: 'x/a', name: 'api.example.com', ips: ['198.18.0.11'], ttl: 10, now: 0 });
    c.record({ podIp, pod: 'x/a', name: 'www.api.example.com', ips: ['198.18.0.11'], ttl: 100, now: 0 });
    const d = desiredElements(c.list(), rules).get(`${podIp} 198.18.0.11 TCP 443`);
    expect(d?.expiresAtSec).toBe(100);
    c.expire(50_000);
    expect(desiredElements(c.list(), rules).has(`${podIp} 198.18.0.11 TCP 443`)).toBe(true);
    c.expire(100_000);
    expect(c.size).toBe(0);
  });

  it('a name no selector matches grants nothing', () => {
    const c = new DnsCache({ maxIpsPerName: 50 });
    c.record({ podIp, pod: 'x/a', name: 'example.org', ips: ['198.18.0.99'], ttl: 10, now: 0 });
    expect(desiredElements(c.list(), rules).size).toBe(0);
  });

  it('the per-name cap evicts the oldest unused IP first, never one of the current answer', () => {
    const c = new DnsCache({ maxIpsPerName: 2 });
    c.record({ podIp, pod: 'x/a', name: 'rot.example.com', ips: ['198.18.1.1'], ttl: 60, now: 0 });
    c.record({ podIp, pod: 'x/a', name: 'rot.example.com', ips: ['198.18.1.2'], ttl: 60, now: 1000 });
    const inUse = (_p: string, ip: string) => ip === '198.18.1.1';
    const { evicted } = c.record({ podIp, pod: 'x/a', name: 'rot.example.com', ips: ['198.18.1.3'], ttl: 60, now: 2000 }, inUse);
    expect(evicted.map((x) => x.ip)).toEqual(['198.18.1.2']);
    expect(c.list()[0]!.ips.map((x) => x.ip).sort()).toEqual(['198.18.1.1', '198.18.1.3']);
  });

  it('persists and restores only live entries, marked restored', () => {
    const c = new DnsCache({ maxIpsPerName: 50 });
    c.record({ podIp, pod: 'x/a', name: 'a.example.com', ips: ['198.18.0.1'], ttl: 10, now: 0 });
    c.record({ podIp, pod: 'x/a', name: 'b.example.com', ips: ['198.18.0.2'], ttl: 100, now: 0 });
    const back = new DnsCache({ maxIpsPerName: 50 });
    expect(back.load(JSON.parse(JSON.stringify(c.toJSON())), 50_000)).toBe(1);
    expect(back.list().map((e) => [e.name, e.source])).toEqual([['b.example.com', 'restored']]);
    expect(new DnsCache({ maxIpsPerName: 5 }).load({ entries: [{ bogus: 1 }, null] }, 0)).toBe(0);
  });

  it('element timeouts are at least one second (TTL 0 still lets the next connect through)', () => {
    const cmds = elementCommands([{ key: 'k', podIp: '10.244.0.2', ip: '198.18.0.1', protocol: 'TCP', port: 443, expiresAtSec: 100 }], [], 100);
    expect(JSON.stringify(cmds)).toContain('"timeout":1');
  });
});

describe('DNS messages', () => {
  const q = (name: string, extra: Partial<dnsPacket.Packet> = {}) => dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }], ...extra });

  it('takes a query case-insensitively, with EDNS0', () => {
    const r = checkQuery(q('API.Example.COM', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 }] as dnsPacket.Answer[] }));
    expect(r).toMatchObject({ ok: true, query: { name: 'api.example.com', id: 7 } });
  });

  it('drops responses, several questions, bad labels and oversized names', () => {
    const resp = Buffer.from(q('example.com'));
    resp[2]! |= 0x80;
    expect(checkQuery(resp)).toMatchObject({ ok: false, reason: 'not-a-query' });
    const two = Buffer.from(q('example.com'));
    two.writeUInt16BE(2, 4);
    expect(checkQuery(two)).toMatchObject({ ok: false, reason: 'bad-question' });
    const long = Buffer.concat([Buffer.from(q('a.b')).subarray(0, 12), ...Array.from({ length: 5 }, () => Buffer.from([63, ...Buffer.alloc(63, 97)])), Buffer.from([0, 0, 1, 0, 1])]);
    expect(questionName(long)).toBeNull();
    expect(checkQuery(Buffer.alloc(5))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('REFUSED echoes the question and the ID', () => {
    const r = dnsPacket.decode(errorReply(q("blocked.com"), "REFUSED")!) as unknown as dnsPacket.Packet & { rcode: string };
    expect(r.rcode).toBe('REFUSED');
    expect(r.id).toBe(7);
    expect(r.questions?.[0]?.name).toBe('blocked.com');
  });

  it('follows a CNAME chain in any order; the smallest TTL on the way counts', () => {
    const a = dnsPacket.encode({
      id: 7, type: 'response', questions: [{ type: 'A', name: 'www.example.com' }],
      answers: [
        { type: 'A', name: 'edge.cdn.net', ttl: 300, data: '198.18.5.5' },
        { type: 'CNAME', name: 'www.example.com', ttl: 30, data: 'edge.cdn.net' },
        { type: 'A', name: 'unrelated.org', ttl: 300, data: '198.18.6.6' },
      ],
    });
    expect(readAnswer(a)).toMatchObject({ name: 'www.example.com', ipv4: ['198.18.5.5'], ttl: 30, truncated: false });
  });
});

describe('proxy rules per pod class', () => {
  const dnsPolicy = (name: string, selector: Record<string, string>, pattern: string): ApiObject => ({
    apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: { name },
    spec: {
      endpointSelector: { matchLabels: selector },
      egress: [{ toEntities: ['cluster'], toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: pattern }] } }] }],
    },
  } as ApiObject);

  it('decides once per identity (and again only when it changed) and gives what deciding per pod gives (30 random clusters, both nodes)', () => {
    let proxied = 0;
    let reused = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const objects = [...randomCluster(seed), dnsPolicy('dns-web', { app: 'web' }, '*.example.com'), dnsPolicy('dns-front', { tier: 'front' }, '*')];
      // Then one pod relabelled, then a second one and a namespaced policy added; the planner's policy cache keeps the other Policy objects.
      const pods = objects.flatMap((o, i) => (o.kind === 'Pod' ? [i] : []));
      const relabel = (list: ApiObject[], at: number, labels: Record<string, string>) => list.map((o, i) => (i === at ? { ...o, metadata: { ...o.metadata, labels } } as ApiObject : o));
      const second = relabel(objects, pods[0]!, { app: 'web', tier: 'front' });
      const third = [...relabel(second, pods[1]!, { app: 'db' }), { ...dnsPolicy('dns-db', { app: 'db' }, '*'), kind: 'CiliumNetworkPolicy', metadata: { name: 'dns-db', namespace: 'n1' } } as ApiObject];
      for (const node of ['n1', 'n2']) {
        const planner = new NodePlanner(node);
        const memo = new ProxyRulesMemo();
        let prev = null;
        for (const state of [objects, second, third]) {
          const p = planner.plan(prev, { revision: 1, objects: state, enforcement: 'podwall' });
          prev = p.next;
          const keys = new Map(p.ids.list.map((i) => [i.id, i.key]));
          const opts = { node, revision: 1, enforcement: 'podwall' as const };
          const perPod = proxyRules(buildEngine(state), opts);
          const before = new Map(memo.byClass);
          expect(proxyRules(p.engine, { ...opts, classOf: (pod) => keys.get(p.ids.ofPod.get(pod.id)!), memo })).toEqual(perPod);
          reused += [...memo.byClass].filter(([k, v]) => before.get(k) === v).length;
          proxied += Object.keys(perPod.pods).length;
        }
      }
    }
    expect(proxied).toBeGreaterThan(60);
    expect(reused).toBeGreaterThan(60);
  });
});
