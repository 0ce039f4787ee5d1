import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/api/types.js';
import { createExecutor } from '../../src/dataplane/nft/executor.js';
import { renderServices, serviceRules, SVC_TABLE } from '../../src/dataplane/services.js';
import { buildClusterIndex, clusterLookup, inClusterZone } from '../../src/dns/cluster-index.js';
import { runProcess } from '../../src/lab/ip-command.js';
import { netnsExists } from '../../src/lab/netns.js';
import { isRoot, testPrefix } from '../support/lab.js';

// Services (kube-proxy-style DNAT rules, pure, then applied to a real kernel) and the cluster DNS's view of
// the desired state (pure). Netns pwy<tag>-svc belongs to this file only.

const pod = (ns: string, name: string, ip: string, labels: Record<string, string>, ports: unknown[] = []): ApiObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels },
  spec: { nodeName: 'node1', containers: [{ name: 'c', ports }] }, status: { phase: 'Running', podIP: ip },
} as unknown as ApiObject);
const svc = (ns: string, name: string, spec: unknown): ApiObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec } as unknown as ApiObject);

const objects: ApiObject[] = [
  pod('kube-system', 'coredns', '10.244.0.53', { 'k8s-app': 'kube-dns' }),
  pod('demo', 'web-1', '10.244.0.7', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]),
  pod('demo', 'web-2', '10.244.1.7', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]),
  pod('demo', 'other', '10.244.0.9', { app: 'other' }),
  svc('kube-system', 'kube-dns', { clusterIP: '10.96.0.10', selector: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }),
  svc('demo', 'web', { clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] }),
  svc('demo', 'headless', { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] }),
  svc('demo', 'empty', { clusterIP: '10.96.0.30', selector: { app: 'nobody' }, ports: [{ port: 80 }] }),
];

describe('Service DNAT rules (pure)', () => {
  it('one rule per ClusterIP, protocol and port with its backends; named target ports resolved; no backends, no rule', () => {
    expect(serviceRules(objects)).toEqual([
      { service: 'kube-system/kube-dns', clusterIP: '10.96.0.10', protocol: 'tcp', port: 53, targetPort: 53, backends: ['10.244.0.53'] },
      { service: 'kube-system/kube-dns', clusterIP: '10.96.0.10', protocol: 'udp', port: 53, targetPort: 53, backends: ['10.244.0.53'] },
      { service: 'demo/web', clusterIP: '10.96.0.20', protocol: 'tcp', port: 80, targetPort: 8080, backends: ['10.244.0.7', '10.244.1.7'] },
    ]);
  });
});

describe('cluster DNS names (pure)', () => {
  const index = buildClusterIndex(objects);
  it('services, headless services, pods by dashed address; NXDOMAIN for the rest of cluster.local', () => {
    expect(clusterLookup(index, 'kube-dns.kube-system.svc.cluster.local', 'A')).toEqual({ rcode: 'NOERROR', a: ['10.96.0.10'] });
    expect(clusterLookup(index, 'WEB.demo.svc.cluster.local.', 'A')).toEqual({ rcode: 'NOERROR', a: ['10.96.0.20'] });
    expect(clusterLookup(index, 'headless.demo.svc.cluster.local', 'A')).toEqual({ rcode: 'NOERROR', a: ['10.244.0.7', '10.244.1.7'] });
    expect(clusterLookup(index, 'web.demo.svc.cluster.local', 'AAAA')).toEqual({ rcode: 'NOERROR', a: [] });
    expect(clusterLookup(index, '10-244-0-9.demo.pod.cluster.local', 'A')).toEqual({ rcode: 'NOERROR', a: ['10.244.0.9'] });
    expect(clusterLookup(index, '10-244-0-9.other.pod.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(clusterLookup(index, 'example.com.demo.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(clusterLookup(index, 'nope.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(inClusterZone('example.com')).toBe(false);
    expect(inClusterZone('a.Cluster.Local.')).toBe(true);
  });
});

describe.skipIf(!isRoot)('Service DNAT table in a real netns', () => {
  const netns = `${testPrefix('pwy')}-svc`;
  beforeAll(async () => {
    if (netnsExists(netns)) await runProcess('ip', ['netns', 'del', netns]);
    expect((await runProcess('ip', ['netns', 'add', netns])).code).toBe(0);
  });
  afterAll(async () => {
    await runProcess('ip', ['netns', 'del', netns]);
    expect(netnsExists(netns)).toBe(false);
  });

  it('applies atomically, replaces itself, and lists as documented (random pick among several backends)', async () => {
    const ex = createExecutor({ netns, table: SVC_TABLE });
    try {
      await ex.apply(renderServices(serviceRules(objects)));
      await ex.apply(renderServices(serviceRules(objects))); // a second full replace is fine
      const r = await runProcess('ip', ['netns', 'exec', netns, 'nft', 'list', 'table', 'ip', 'podwall_svc']);
      expect(r.stdout).toContain('type nat hook prerouting priority dstnat; policy accept;');
      expect(r.stdout).toContain('type nat hook output priority -100; policy accept;');
      expect(r.stdout).toContain('ip daddr 10.96.0.10 udp dport 53 dnat to 10.244.0.53:53 comment "kube-system/kube-dns"');
      expect(r.stdout).toContain('ip daddr 10.96.0.20 tcp dport 80 dnat to numgen random mod 2 map { 0 : 10.244.0.7, 1 : 10.244.1.7 }:8080');
      await ex.apply(renderServices([]));
      const empty = await runProcess('ip', ['netns', 'exec', netns, 'nft', 'list', 'table', 'ip', 'podwall_svc']);
      expect(empty.stdout).not.toContain('dnat');
    } finally {
      ex.close();
    }
  });
});
