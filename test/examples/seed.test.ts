import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/api/load.js';
import { parseHosts } from '../../src/api/hosts.js';
import { buildEngine, type Engine } from '../../src/engine/engine.js';
import { probeEngine } from '../../src/conformance/engine-run.js';
import { podEndpoint } from '../../src/engine/endpoint.js';
import { suggestFix } from '../../src/engine/suggest.js';
import { readSources } from '../../src/cli/input.js';
import { repoRoot } from '../support/conformance-dir.js';

function engineFor(dir: string): Engine {
  const res = loadManifests(readSources([join(repoRoot, 'examples', dir)]));
  expect(res.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
  const answers = parseHosts(readFileSync(join(repoRoot, 'examples/seed/world.hosts'), 'utf8'), 'world.hosts').answers;
  return buildEngine(res.objects.map((o) => o.object), { answers });
}

const verdict = (e: Engine, from: string, to: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP') => probeEngine(e, from, to, port, protocol);

// The seed's expected outcomes, step by step (network-policy-on-aks.ko.md).
describe('the seed examples', () => {
  it('Calico walkthrough: demo-policy denies the unlabelled client, and says which label allows it', () => {
    const e = engineFor('seed');
    expect(verdict(e, 'demo/client', 'demo/server', 80)).toEqual({ allowed: false, reason: 'default-deny' });
    const client = e.cluster.podById.get('demo/client')!;
    const server = e.cluster.podById.get('demo/server')!;
    const flow = { src: podEndpoint(client), dst: podEndpoint(server), port: 80, protocol: 'TCP' as const };
    expect(suggestFix(e, flow, e.evaluate(flow))).toMatchObject({ command: 'label pod demo/client app=client', matches: 'demo/demo-policy ingress rule 0' });
    // demo-policy only restricts the server's ingress.
    expect(verdict(e, 'demo/server', 'demo/client', 80).allowed).toBe(true);
  });

  it('after `kubectl label pod client -n demo app=client` the connection succeeds', () => {
    const e = engineFor('seed-labelled');
    expect(verdict(e, 'demo/client', 'demo/server', 80)).toEqual({ allowed: true, reason: 'allowed-by-rule' });
    expect(verdict(e, 'demo/client', 'demo/server', 81).allowed).toBe(false);
  });

  it('introductory policies: backend accepts frontend only; my-app talks to backend:443 and accepts frontend:80', () => {
    const e = engineFor('seed');
    expect(verdict(e, 'default/frontend', 'default/backend', 8080).allowed).toBe(true);
    expect(verdict(e, 'default/my-app', 'default/backend', 443)).toEqual({ allowed: false, reason: 'default-deny' });
    expect(verdict(e, 'default/frontend', 'default/my-app', 80).allowed).toBe(true);
    expect(verdict(e, 'default/frontend', 'default/my-app', 443).allowed).toBe(false);
    expect(verdict(e, 'default/my-app', 'default/frontend', 80).allowed).toBe(false);
  });

  it("Cilium toFQDNs, verbatim: the pod's lookups are dropped, so example.com stays unreachable", () => {
    const e = engineFor('seed-cilium');
    const curl = e.cluster.podById.get('demo/curl')!;
    expect(e.dns.outcome(curl, 'example.com').status).toBe('dropped');
    expect(verdict(e, 'demo/curl', 'example.com', 443).allowed).toBe(false);
    expect(verdict(e, 'demo/curl', '10.96.0.10', 53, 'UDP').allowed).toBe(false);
  });

  it('with the DNS rule: example.com:443 passes, blocked.com and other ports do not', () => {
    const e = engineFor('seed-cilium-dns');
    expect(verdict(e, 'demo/curl', 'example.com', 443)).toEqual({ allowed: true, reason: 'allowed-by-rule' });
    expect(verdict(e, 'demo/curl', 'api.example.com', 443).allowed).toBe(true);
    expect(verdict(e, 'demo/curl', 'google.com', 443).allowed).toBe(true);
    expect(verdict(e, 'demo/curl', 'blocked.com', 443)).toEqual({ allowed: false, reason: 'default-deny' });
    expect(verdict(e, 'demo/curl', 'sub.api.example.com', 443).allowed).toBe(false);
    expect(verdict(e, 'demo/curl', 'example.com', 80).allowed).toBe(false);
    expect(verdict(e, 'demo/curl', '10.96.0.10', 53, 'UDP').allowed).toBe(true);
  });
});
