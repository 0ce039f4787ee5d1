/**
 * Real kernel: rendered rulesets applied with both executors inside throwaway namespaces, read back
 * and compared; an element diff; a failing transaction that must leave the previous ruleset in force;
 * and real TCP connections between pod namespaces, dropped or accepted as the engine says.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/api/load.js';
import { podEndpoint } from '../../src/engine/endpoint.js';
import { buildEngine, type Engine } from '../../src/engine/engine.js';
import { compile } from '../../src/dataplane/compile.js';
import { diff, plan, tableShape } from '../../src/dataplane/nft/diff.js';
import { NftApplyError } from '../../src/dataplane/nft/errors.js';
import { addonPath, nativeExecutor, processExecutor, type NftExecutor } from '../../src/dataplane/nft/executor.js';
import { parseListing, render } from '../../src/dataplane/nft/render.js';
import { elementKey, type Ruleset } from '../../src/dataplane/ruleset.js';
import { DEFAULT_OPTIONS, syntheticCluster } from '../../bench/synthetic-cluster.js';
import { randomCluster } from '../support/random-cluster.js';
import { addNetns, addNode, addPod, canUseKernel, connect, delNetns, RUN, startServer } from './netns.js';

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: demo-policy, namespace: demo}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 80, protocol: TCP}]
`;

function podYaml(name: string, app: string, ip: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: demo, labels: {app: ${app}}}
spec: {nodeName: node1, containers: [{name: main, ports: [{containerPort: 80}]}]}
status: {podIP: ${ip}, hostIP: 10.0.0.1}
`;
}

const NODE = `apiVersion: v1
kind: Node
metadata: {name: node1}
status: {addresses: [{type: InternalIP, address: 10.0.0.1}]}
`;

function engineOf(...docs: string[]): Engine {
  const loaded = loadManifests([{ file: 'kernel-test.yaml', text: docs.join('---\n') }]);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(JSON.stringify(errors));
  return buildEngine(loaded.objects.map((o) => o.object));
}

const PODS = { client: '10.244.0.10', server: '10.244.0.11', other: '10.244.0.12' };
const base = () => [NODE, POLICY, podYaml('client', 'client', PODS.client), podYaml('server', 'server', PODS.server), podYaml('other', 'other', PODS.other)];

/** What the kernel holds equals the ruleset: same chains (by rule hashes) and sets, same elements. */
function expectKernelHolds(listing: unknown, want: Ruleset) {
  const got = parseListing(listing);
  expect(got).not.toBeNull();
  const [g, w] = [got!.tables[0]!, want.tables[0]!];
  expect(tableShape(g)).toEqual(tableShape(w));
  for (const s of w.sets) {
    const k = g.sets.find((x) => x.name === s.name)!;
    const show = (list: typeof s.elements) => list.map((e) => `${elementKey(e)}${e.value !== undefined ? `:${e.value}` : ''}`).sort();
    expect(show(k.elements), s.name).toEqual(show(s.elements));
  }
}

const kernel = canUseKernel();
const executors: [string, (netns: string) => NftExecutor][] = [
  ['process', (netns) => processExecutor({ netns })],
  ...(addonPath() ? [['native', (netns: string) => nativeExecutor({ netns })] as [string, (netns: string) => NftExecutor]] : []),
];

describe.skipIf(!kernel)('nft executors in a throwaway namespace', () => {
  it('the native addon is built (scripts/setup.sh)', () => {
    expect(addonPath()).not.toBeNull();
  });
  for (const [kind, make] of executors) {
    it(`${kind}: full replace, read back, element diff, failing transaction`, async () => {
      const ns = addNetns(`${RUN}-x${kind[0]}`);
      const ex = make(ns);
      try {
        expect(await ex.list()).toBeNull();
        const first = compile(engineOf(...base()), { node: 'node1', enforcement: 'podwall' });
        await ex.apply(render(first));
        expectKernelHolds(await ex.list(), first);
        // The nft CLI sees the same table.
        expectKernelHolds(await processExecutor({ netns: ns }).list(), first);
        // Same again: nothing to do.
        expect(plan(parseListing(await ex.list()), first).kind).toBe('none');

        const second = compile(engineOf(...base(), podYaml('client2', 'client', '10.244.0.20')), { node: 'node1', enforcement: 'podwall' });
        const p = plan(first, second);
        expect(p.kind).toBe('elements');
        await ex.apply(p.json);
        expectKernelHolds(await ex.list(), second);

        // A transaction that fails half way changes nothing, and the error carries nft's message.
        const broken = diff(second, compile(engineOf(...base()), { node: 'node1', enforcement: 'podwall' }));
        broken.nftables.push({ add: { element: { family: 'inet', table: 'podwall', name: 'no_such_set', elem: [1] } } });
        const err = await ex.apply(broken).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(NftApplyError);
        expect((err as NftApplyError).nftMessage).toMatch(/No such file or directory/);
        expect((err as NftApplyError).input).toContain('no_such_set');
        expectKernelHolds(await ex.list(), second);
      } finally {
        ex.close();
        delNetns(ns);
      }
    });
  }
});

describe.skipIf(!kernel)('bigger rulesets read back exactly', () => {
  it('random clusters and a synthetic 500-pod cluster: listing parses to the compiled ruleset', async () => {
    const ns = addNetns(`${RUN}-big`);
    const ex = nativeOr(ns);
    try {
      const engines = [1, 2, 3, 4, 5].map((seed) => buildEngine(randomCluster(seed)));
      engines.push(buildEngine(syntheticCluster({ ...DEFAULT_OPTIONS, pods: 500, namespaces: 10, nodes: 3, networkPolicies: 300, ciliumPolicies: 150, clusterwidePolicies: 2 }).objects));
      let prev: Ruleset | null = null;
      for (const e of engines) {
        const rs = compile(e, { node: e.cluster.nodes[0]!.name, enforcement: 'podwall' });
        await ex.apply(render(rs));
        expectKernelHolds(await ex.list(), rs);
        if (prev) {
          // And back by diff, whatever kind of change it takes.
          await ex.apply(diff(rs, prev));
          expectKernelHolds(await ex.list(), prev);
        }
        prev = rs;
      }
    } finally {
      ex.close();
      delNetns(ns);
    }
  }, 30_000);
});

describe.skipIf(!kernel)('real packets through a compiled ruleset', () => {
  const node = `${RUN}-n`;
  const ns = { client: `${RUN}-a`, server: `${RUN}-b`, other: `${RUN}-c` };
  /** A pod the ruleset does not know yet (created, not applied): fail closed. */
  const unknown = { ns: `${RUN}-d`, ip: '10.244.0.13' };
  const children: ChildProcess[] = [];
  let engine: Engine;

  beforeAll(async () => {
    addNode(node, '10.0.0.1');
    addPod(node, ns.client, PODS.client, 1);
    addPod(node, ns.server, PODS.server, 2);
    addPod(node, ns.other, PODS.other, 3);
    addPod(node, unknown.ns, unknown.ip, 4);
    engine = engineOf(...base());
    const ex = nativeOr(node);
    try {
      await ex.apply(render(compile(engine, { node: 'node1', enforcement: 'podwall' })));
    } finally {
      ex.close();
    }
    children.push(await startServer(ns.server, PODS.server, [80, 81]), await startServer(ns.other, PODS.other, [80]), await startServer(node, '10.0.0.1', [8080]));
  }, 30_000);

  afterAll(() => {
    for (const c of children) c.kill();
    for (const n of [ns.client, ns.server, ns.other, unknown.ns, node]) delNetns(n);
  });

  const verdict = (from: keyof typeof PODS, to: keyof typeof PODS, port: number) => {
    const pod = (n: string) => engine.cluster.podById.get(`demo/${n}`)!;
    return engine.evaluate({ src: podEndpoint(pod(from)), dst: podEndpoint(pod(to)), port, protocol: 'TCP' }).allowed;
  };

  it('TCP connections pass or drop as the engine decides, replies included', async () => {
    const cases: [keyof typeof PODS, keyof typeof PODS, number][] = [
      ['client', 'server', 80], ['other', 'server', 80], ['client', 'server', 81], ['server', 'other', 80], ['client', 'other', 80],
    ];
    const [fromUnknown, ...results] = await Promise.all([
      connect(unknown.ns, PODS.other, 80), ...cases.map(([a, b, port]) => connect(ns[a], PODS[b], port)),
    ]);
    // other is not isolated, but a pod the ruleset does not know is dropped until its rules exist.
    expect(fromUnknown).toBe('timeout');
    const got = cases.map(([a, b, port], i) => `${a}->${b}:${port} ${results[i]}`);
    const want = cases.map(([a, b, port]) => `${a}->${b}:${port} ${verdict(a, b, port) ? 'ok' : 'timeout'}`);
    expect(got).toEqual(want);
    expect(want).toContain('client->server:80 ok');
    expect(want).toContain('other->server:80 timeout');
    // A pod talking to its own node goes through the input hook: no egress policy here, so it passes.
    expect(await connect(ns.other, '10.0.0.1', 8080)).toBe('ok');
  }, 20_000);
});

function nativeOr(netns: string): NftExecutor {
  return addonPath() ? nativeExecutor({ netns }) : processExecutor({ netns });
}
