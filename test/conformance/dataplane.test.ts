import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCase, planFlow, serverCommand, worldAddresses } from '../../src/conformance/live-plan.js';
import { caseName, flowId, formatLiveCase, type LiveFlowResult, type LiveRunResult } from '../../src/conformance/live-report.js';
import { buildCluster } from '../../src/engine/cluster.js';
import { runSuiteOnDataplane } from '../../src/live/live-run.js';
import { conformanceRoot, loadSuite } from '../support/conformance-dir.js';
import { destroyTestLab, isRoot, requireAgnhostBuilt, testLab } from '../support/lab.js';
import { KNOWN_DISAGREEMENTS } from './known-disagreements.js';

// The shared conformance cases with real packets: each folder's cluster in a one-node lab (pods as network
// namespaces, the agent enforcing with nftables), every probe a real TCP connection or UDP request/reply,
// compared with the case's expected verdict and with the engine's for the same store content.
// Prefix pwc belongs to this file only.

const k8s = loadSuite(join(conformanceRoot, 'k8s-e2e'));
const cilium = loadSuite(join(conformanceRoot, 'cilium'));

const known = (file: string): string[] => KNOWN_DISAGREEMENTS.filter((k) => k.case === `${caseName(file)}.yaml`).map((k) => k.flow);
const text = (f: LiveFlowResult): string => `${flowId(f)}: expected ${f.expected}, engine ${f.engine}, dataplane ${f.measured} ${f.detail ?? ''}`;

/** Differences from the expected verdicts (except the known ones), from the engine, and setup errors: all must be empty. */
function problems(res: LiveRunResult): { vsExpected: string[]; vsEngine: string[]; errors: string[] } {
  return {
    vsExpected: res.cases.flatMap((c) => c.vsExpected.filter((f) => !known(c.file).includes(flowId(f))).map((f) => `${c.name} ${text(f)}`)),
    vsEngine: res.cases.flatMap((c) => c.vsEngine.map((f) => `${c.name} ${text(f)}`)),
    errors: res.cases.flatMap((c) => c.errors.map((f) => `${c.name} ${text(f)}`)),
  };
}

describe('live planning (pure)', () => {
  const cluster = buildCluster([...cilium.cluster]);
  const node1 = new Set(['node1']);

  it('serves each probed port once, TCP and UDP as needed, or pauses', () => {
    expect(serverCommand([{ port: 81, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }, { port: 80, protocol: 'TCP' }])).toEqual([
      'sh', '-c', 'agnhost serve-hostname --tcp --udp --http=false --port 80 & agnhost serve-hostname --tcp --http=false --port 81 & wait',
    ]);
    expect(serverCommand([])).toEqual(['agnhost', 'pause']);
  });

  it('places each end in a netns, and skips what the lab cannot do with the reason', () => {
    expect(planFlow(cluster, node1, 'default/client', 'host', 'TCP')).toEqual({
      ok: true, src: { kind: 'pod', pod: 'default/client', ip: '10.244.0.11' }, dst: { kind: 'host', node: 'node1', ip: '10.0.0.1' },
    });
    expect(planFlow(cluster, node1, 'default/client', '198.18.0.30', 'TCP')).toMatchObject({ ok: true, dst: { kind: 'world', ip: '198.18.0.30' } });
    expect(planFlow(cluster, node1, 'default/client', '10.244.0.12', 'TCP')).toMatchObject({ ok: true, dst: { kind: 'pod', pod: 'default/server' } });
    expect(planFlow(cluster, node1, 'default/client', 'default/server', 'SCTP')).toMatchObject({ ok: false, skip: { kind: 'sctp' } });
    expect(planFlow(cluster, node1, 'default/client', 'example.com', 'TCP')).toMatchObject({ ok: false, skip: { kind: 'dns' } });
    // A ClusterIP with one backend: probed at the ClusterIP (the nodes DNAT it), served by the backend pod.
    expect(planFlow(cluster, node1, 'default/client', '10.96.0.10', 'UDP', undefined, 53)).toEqual({
      ok: true, src: { kind: 'pod', pod: 'default/client', ip: '10.244.0.11' }, dst: { kind: 'pod', pod: 'kube-system/coredns', ip: '10.96.0.10' },
    });
    expect(planFlow(cluster, node1, 'default/client', '10.96.0.10', 'UDP', undefined, 54)).toMatchObject({ ok: false, skip: { kind: 'service' } });
    // After a lookup (dns: true) the address is reachable only through what the DNS proxy learned.
    expect(planFlow(cluster, node1, 'default/client', '198.18.0.30', 'TCP', new Set(['198.18.0.30']))).toMatchObject({ ok: false, skip: { kind: 'dns' } });
  });

  it('puts every outside address the folder names in the world', () => {
    const flows = cilium.cases.flatMap((c) => planCase(c, cluster, node1, cilium.answers));
    expect(worldAddresses(flows, cilium.answers, cluster)).toEqual(['10.1.2.3', '198.18.0.10', '198.18.0.11', '198.18.0.12', '198.18.0.20', '198.18.0.30', '198.18.0.50']);
  });
});

describe.skipIf(!isRoot)('shared conformance cases on the dataplane (real lab)', () => {
  const lab = testLab('pwc');

  beforeAll(() => requireAgnhostBuilt());
  afterAll(() => destroyTestLab(lab));

  it('k8s-e2e: every probe agrees with the expected verdict and with the engine; SCTP is skipped, never passed', async () => {
    const res = await runSuiteOnDataplane(k8s, { ctx: lab });
    console.info(`k8s-e2e on the dataplane: ${res.passed} passed, ${res.failed} failed, ${res.skipped} skipped; `
      + `${res.probes.made} probes, ${res.probes.skipped} skipped; ${JSON.stringify(res.timings)}`);
    expect(res.cases.map((c) => c.name)).toEqual(k8s.cases.map((c) => caseName(c.file)));
    expect(problems(res), res.cases.map((c) => formatLiveCase(c)).join('')).toEqual({ vsExpected: [], vsEngine: [], errors: [] });
    expect(res.failed).toBe(0);
    const flows = res.cases.flatMap((c) => c.flows);
    const sctp = flows.filter((f) => f.protocol === 'SCTP');
    expect(sctp.length).toBeGreaterThan(0);
    expect(sctp.every((f) => f.measured === 'skipped' && f.skipKind === 'sctp')).toBe(true);
    expect(res.probes.skippedByKind).toEqual({ sctp: sctp.length });
    // The SCTP-only cases are skipped, not passed; everything else was probed for real, allowed and denied alike.
    const sctpOnly = res.cases.filter((c) => c.flows.every((f) => f.protocol === 'SCTP')).map((c) => c.name);
    expect(sctpOnly.length).toBeGreaterThan(0);
    expect(res.cases.filter((c) => c.status === 'skipped').map((c) => c.name)).toEqual(sctpOnly);
    expect(res.passed + res.skipped).toBe(res.cases.length);
    const probed = flows.filter((f) => f.measured === 'allowed' || f.measured === 'denied');
    expect(probed.length).toBe(flows.length - sctp.length);
    expect(probed.some((f) => f.measured === 'denied' && f.protocol === 'UDP')).toBe(true);
    expect(probed.some((f) => f.measured === 'allowed' && f.protocol === 'UDP')).toBe(true);
  }, 300_000);

  it('cilium: no failure among the probes the lab can make (pods, the host, world addresses)', async () => {
    const res = await runSuiteOnDataplane(cilium, { ctx: lab });
    console.info(`cilium on the dataplane: ${res.passed} passed, ${res.failed} failed, ${res.skipped} skipped; `
      + `${res.probes.made} probes, skipped ${JSON.stringify(res.probes.skippedByKind)}; ${JSON.stringify(res.timings)}`);
    expect(problems(res), res.cases.map((c) => formatLiveCase(c)).join('')).toEqual({ vsExpected: [], vsEngine: [], errors: [] });
    const flows = res.cases.flatMap((c) => c.flows);
    // Skipped flows are DNS names (or what they resolved to) and the ClusterIP: the lab has no DNS proxy or Service proxy yet.
    expect(flows.filter((f) => f.measured === 'skipped' && f.skipKind !== 'dns' && f.skipKind !== 'service')).toEqual([]);
    // The host and the world were really probed.
    expect(flows.filter((f) => f.measured !== 'skipped' && (f.to === 'host' || f.to === '10.0.0.1')).length).toBeGreaterThanOrEqual(2);
    expect(flows.filter((f) => f.measured !== 'skipped' && f.to.startsWith('198.18.')).length).toBeGreaterThanOrEqual(10);
    // The one known disagreement: the dataplane, like the engine, follows the docs (see known-disagreements.ts).
    const knownFlows = res.cases.flatMap((c) => c.vsExpected.filter((f) => known(c.file).includes(flowId(f))));
    expect(knownFlows.map((f) => ({ flow: flowId(f), measured: f.measured, engine: f.engine }))).toEqual(
      KNOWN_DISAGREEMENTS.map((k) => ({ flow: k.flow, measured: 'allowed', engine: true })),
    );
  }, 300_000);
});
