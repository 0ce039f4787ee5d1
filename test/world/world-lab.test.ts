import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_DNS_POD, CLUSTER_DNS_POD_IP } from '../../src/lab/cluster-dns.js';
import { runProcess } from '../../src/lab/ip-command.js';
import { nodeNetns, podNetns } from '../../src/lab/names.js';
import { listNetns, pidsInNetns } from '../../src/lab/netns.js';
import { ETC_NETNS, podResolvConfPath } from '../../src/lab/resolv.js';
import { execInPodCapture } from '../../src/lab/supervisor.js';
import { worldNetns } from '../../src/world/world.js';
import { agentProcesses, labCli } from '../support/lab-cli.js';
import { destroyTestLab, isRoot, requireAgnhostBuilt, testLab } from '../support/lab.js';
import { repoRoot } from '../support/conformance-dir.js';

// The simulated internet and the cluster DNS in a real two-node lab, through the CLI: the world's DNS and
// web servers, the cluster DNS pod behind the kube-dns Service's DNAT, a pod on each node resolving and
// fetching with Debian's own getent and curl. Prefix pwz<tag> belongs to this file only.

const ofPrefix = (prefix: string): string[] => listNetns().filter((n) => n.startsWith(`${prefix}-`)).sort();

describe.skipIf(!isRoot)('the simulated internet and cluster DNS (real kernel, two nodes)', () => {
  const lab = testLab('pwz');
  const podwall = labCli(lab);
  const a = { namespace: 'demo', name: 'a' };
  const b = { namespace: 'demo', name: 'b' };
  const inPod = (pod: { namespace: string; name: string }, argv: string[]) => execInPodCapture(pod, argv, {}, lab);
  /** A raw DNS exchange from inside a pod, through the project's own client (UDP, TCP on TC). */
  const dnsFrom = async (pod: typeof a, server: string, name: string, type: string, udpSize = 0) => {
    const script = `import('${join(repoRoot, 'dist/src/dns/client.js')}').then(async (c) => {
      const r = await c.query({ address: '${server}', port: 53 }, '${name}', '${type}', ${udpSize ? `{ udpSize: ${udpSize} }` : '{}'});
      console.log(JSON.stringify({ transport: r.transport, tc: r.udpTruncated, rcode: r.packet.rcode, answers: r.packet.answers.map((x) => x.type + ' ' + x.data) }));
    })`;
    const r = await inPod(pod, ['node', '-e', script]);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as { transport: string; tc: boolean; rcode: string; answers: string[] };
  };

  beforeAll(() => {
    requireAgnhostBuilt();
    const up = podwall(['lab', 'up', '--nodes', '2'], 60_000);
    expect(up, up.stderr).toMatchObject({ code: 0 });
    expect(up.stderr).toContain(`lab up: world: ${lab.prefix}-world, DNS 198.18.0.2`);
    expect(up.stderr).toContain('lab up: cluster DNS: kube-system/kube-dns 10.96.0.10 -> pod kube-system/coredns 10.244.0.53');
    expect(podwall(['create', 'namespace', 'demo']).code).toBe(0);
    // a on node1 (beside the cluster DNS pod), b on node2 (reaches the world and the DNS pod through node1).
    expect(podwall(['run', 'a', '-n', 'demo', '--node', 'node1']).code).toBe(0);
    expect(podwall(['run', 'b', '-n', 'demo', '--node', 'node2']).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await destroyTestLab(lab);
    expect(agentProcesses(lab.prefix)).toEqual([]);
  });

  it('every pod gets the Kubernetes resolv.conf, and `ip netns exec` shows it as /etc/resolv.conf', async () => {
    const want = 'nameserver 10.96.0.10\nsearch demo.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n';
    expect(readFileSync(podResolvConfPath(podNetns('demo', 'a', lab.prefix)), 'utf8')).toBe(want);
    expect((await inPod(b, ['cat', '/etc/resolv.conf'])).stdout).toBe(want);
  });

  it('the world DNS server answers A, AAAA, CNAME chains, NXDOMAIN, and TC then TCP for a big answer', async () => {
    expect(await dnsFrom(a, '198.18.0.2', 'EXAMPLE.com', 'A')).toMatchObject({ rcode: 'NOERROR', answers: ['A 198.18.0.10'] });
    expect((await dnsFrom(b, '198.18.0.2', 'chain.example.com', 'A')).answers).toEqual(['CNAME www.example.com', 'CNAME cdn.example.net', 'A 198.18.0.14']);
    expect((await dnsFrom(b, '198.18.0.2', 'dual.example.com', 'AAAA')).answers).toEqual(['AAAA 2001:2::16']);
    expect(await dnsFrom(a, '198.18.0.2', 'nowhere.example.com', 'A')).toMatchObject({ rcode: 'NXDOMAIN', answers: [] });
    const big = await dnsFrom(b, '198.18.0.2', 'big.example.com', 'A');
    expect(big).toMatchObject({ transport: 'tcp', tc: true });
    expect(big.answers).toHaveLength(40);
    expect((await dnsFrom(b, '198.18.0.2', 'big.example.com', 'A', 4096)).transport).toBe('udp');
  });

  it('the cluster DNS (via the kube-dns ClusterIP) answers cluster names and forwards world names, from both nodes', async () => {
    for (const pod of [a, b]) {
      const r = await inPod(pod, ['getent', 'hosts', 'kube-dns.kube-system', '10-244-0-53.kube-system.pod.cluster.local', 'chain.example.com']);
      expect(r.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
        '10.96.0.10 kube-dns.kube-system.svc.cluster.local', '10.244.0.53 10-244-0-53.kube-system.pod.cluster.local', '198.18.0.14 cdn.example.net',
      ]);
    }
    expect(await dnsFrom(b, '10.96.0.10', 'nothere.demo.svc.cluster.local', 'A')).toMatchObject({ rcode: 'NXDOMAIN' });
    // Forwarded and truncated: the stub retries over TCP to the ClusterIP, the cluster DNS over TCP to the world.
    const big = await dnsFrom(b, '10.96.0.10', 'big.example.com', 'A');
    expect(big).toMatchObject({ transport: 'tcp', tc: true });
    expect(big.answers).toHaveLength(40);
    // The backend pod itself answers too (the DNAT only rewrites the destination).
    expect((await dnsFrom(a, CLUSTER_DNS_POD_IP, 'example.com', 'A')).answers).toEqual(['A 198.18.0.10']);
  });

  it('each node DNATs the kube-dns ClusterIP to the backend pod in ip podwall_svc, for pods and for the node itself', async () => {
    for (const node of ['node1', 'node2']) {
      // The node's own query: the output hook's DNAT (a route to the dummy link svc0 gets it there).
      const q = await runProcess('ip', ['netns', 'exec', nodeNetns(node, lab.prefix), process.execPath, '-e',
        `import('${join(repoRoot, 'dist/src/dns/client.js')}').then((c) => c.query({ address: '10.96.0.10', port: 53 }, 'kube-dns.kube-system.svc.cluster.local', 'A')).then((r) => console.log(r.packet.answers.map((a) => a.data).join()))`]);
      expect(q.stdout.trim(), q.stderr).toBe('10.96.0.10');
      const r = await runProcess('ip', ['netns', 'exec', nodeNetns(node, lab.prefix), 'nft', 'list', 'table', 'ip', 'podwall_svc']);
      expect(r.stdout).toContain(`ip daddr 10.96.0.10 udp dport 53 dnat to ${CLUSTER_DNS_POD_IP}:53`);
      expect(r.stdout).toContain('type nat hook prerouting priority dstnat');
    }
  });

  it("Debian's curl fetches https://example.com inside a pod (lab CA trusted), on both nodes", async () => {
    for (const pod of [a, b]) {
      const r = await inPod(pod, ['curl', '-sS', '-I', '--max-time', '10', 'https://example.com']);
      expect(r.stdout.split('\r\n')[0], r.stderr).toBe('HTTP/1.1 200 OK');
    }
    const body = await inPod(b, ['curl', '-sS', '--max-time', '10', 'https://www.example.com/']);
    expect(body.stdout).toContain('hello from www.example.com (198.18.0.14, https)');
    expect((await inPod(a, ['curl', '-sS', '--max-time', '10', 'http://blocked.com/'])).stdout).toContain('hello from blocked.com');
  });

  it('lab world stop dns: world names stop resolving (cluster names do not); start dns: they resolve again', async () => {
    expect(podwall(['lab', 'world', 'stop', 'dns'])).toMatchObject({ code: 0, stderr: 'lab world: dns: stopped\n' });
    const failed = await inPod(a, ['node', '-e', `import('${join(repoRoot, 'dist/src/dns/client.js')}').then((c) => c.query({ address: '198.18.0.2', port: 53 }, 'example.com', 'A', { timeoutMs: 500 })).then(() => console.log('answered'), (e) => console.log('failed: ' + e.message))`]);
    expect(failed.stdout).toMatch(/^failed: no DNS answer from 198\.18\.0\.2:53 over UDP/);
    expect((await dnsFrom(b, '10.96.0.10', 'kube-dns.kube-system.svc.cluster.local', 'A')).answers).toEqual(['A 10.96.0.10']);
    expect(podwall(['lab', 'world', 'status']).stdout).toContain('dns 198.18.0.2:53 not running');
    expect(podwall(['lab', 'world', 'start', 'dns'])).toMatchObject({ code: 0, stderr: expect.stringMatching(/^lab world: dns: running \(pid \d+\)\n$/) });
    expect((await dnsFrom(b, '10.96.0.10', 'example.com', 'A')).answers).toEqual(['A 198.18.0.10']);
  });

  it('lab status shows the world; lab down removes the world, the DNS pod, every resolv.conf and the state', async () => {
    const st = podwall(['lab', 'status']);
    expect(st.stdout).toMatch(new RegExp(`world ${lab.prefix}-world: \\d+ addresses; DNS 198\\.18\\.0\\.2 running \\(pid \\d+\\); web running`));
    expect(st.stdout).toContain('inet podwall, ip podwall_svc');
    expect(ofPrefix(lab.prefix)).toContain(worldNetns(lab.prefix));
    expect(ofPrefix(lab.prefix)).toContain(podNetns(CLUSTER_DNS_POD.namespace, CLUSTER_DNS_POD.name, lab.prefix));
    const down = podwall(['lab', 'down']);
    expect(down.code).toBe(0);
    expect(down.stderr).toMatch(/lab down: removed 6 netns, \d+ processes, 7 pid files, 3 pod resolv\.conf dirs of prefix/);
    expect(ofPrefix(lab.prefix)).toEqual([]);
    expect([...pidsInNetns([worldNetns(lab.prefix)]).values()].flat()).toEqual([]);
    expect(existsSync(ETC_NETNS) ? readdirSync(ETC_NETNS).filter((d) => d.startsWith(`${lab.prefix}-`)) : []).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
  });
});
