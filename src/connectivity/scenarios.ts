import type { ApiObject, CiliumRule, NetworkPolicy } from '../api/types.js';

/**
 * The scenarios of `podwall connectivity test`, after Cilium's (cilium-cli connectivity/tests): each names
 * the policies it applies in the test namespace, the probes it makes and what each must see. Declarative:
 * a new scenario is one entry here; `requires` makes it skip, with the reason, on a lab that lacks a part.
 */

/** Endpoints the test deploys (src/connectivity/deploy.ts) or finds in the lab. */
export type PodName = 'client' | 'client2';
export type Target =
  | { kind: 'pod'; pod: 'echo' | 'echo-other' }
  | { kind: 'host' }
  | { kind: 'world' }
  /** A DNS name, looked up by the probe through the cluster DNS (and the DNS proxy). */
  | { kind: 'name'; name: string };

/**
 * allowed: the connection is made (for the world, a refusal also proves the packet got through);
 * dropped: TIMEOUT; dns-refused: the lookup fails (the DNS proxy refused the name).
 */
export type Expectation = 'allowed' | 'dropped' | 'dns-refused';

export interface ProbeSpec {
  from: PodName;
  to: Target;
  port: number;
  expect: Expectation;
}

/** What a lab must have for a scenario to run. */
export type Requirement = 'world' | 'dns-proxy';

export const REQUIREMENT_MISSING: Record<Requirement, string> = {
  world: 'the lab has no simulated internet (netns <prefix>-world)',
  'dns-proxy': 'the lab runs no DNS proxy (no live dnsproxy-<node>.json status)',
};

/** What scenarios may refer to: names and addresses of the deployed test. */
export interface ScenarioEnv {
  namespace: string;
  otherNamespace: string;
  ips: { client: string; client2: string; echo: string; 'echo-other': string };
  world: boolean;
}

export interface Scenario {
  name: string;
  description: string;
  requires?: Requirement[];
  policies(env: ScenarioEnv): ApiObject[];
  probes(env: ScenarioEnv): ProbeSpec[];
}

/** Ports: echo serves 8080 (named `http`) and 8081; echo-other and the host serve 8080. */
export const ECHO_PORT = 8080;
export const ECHO_PORT_2 = 8081;
/** World probes aim at HTTPS; with nothing listening, a refusal still shows the packet was let through. */
export const WORLD_PORT = 443;

const echo: Target = { kind: 'pod', pod: 'echo' };
const echoOther: Target = { kind: 'pod', pod: 'echo-other' };
const host: Target = { kind: 'host' };
const world: Target = { kind: 'world' };
const p = (from: PodName, to: Target, expect: Expectation, port = ECHO_PORT): ProbeSpec => ({ from, to, port, expect });
const worldProbe = (env: ScenarioEnv, expect: Expectation): ProbeSpec[] => (env.world ? [p('client', world, expect, WORLD_PORT)] : []);

function np(name: string, env: ScenarioEnv, spec: NetworkPolicy['spec']): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: env.namespace }, spec };
}

function cnp(name: string, env: ScenarioEnv, spec: CiliumRule): ApiObject {
  return { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name, namespace: env.namespace }, spec };
}

const clientSel = { matchLabels: { name: 'client' } };
const clientsSel = { matchLabels: { kind: 'client' } };
const echoSel = { matchLabels: { kind: 'echo' } };

/** Egress to the cluster DNS on 53 with an L7 DNS rule (what every toFQDNs policy needs). */
function dnsEgress(patterns: { matchName?: string; matchPattern?: string }[]): CiliumRule['egress'] {
  return [{
    toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
    toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }, { port: '53', protocol: 'TCP' }], rules: { dns: patterns } }],
  }];
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'no-policies',
    description: 'without policies every pod reaches every other pod, the host and the world',
    policies: () => [],
    probes: (env) => [p('client', echo, 'allowed'), p('client2', echo, 'allowed'), p('client', echoOther, 'allowed'), p('client', host, 'allowed'), ...worldProbe(env, 'allowed')],
  },
  {
    name: 'all-ingress-deny',
    description: 'a NetworkPolicy selecting every pod with no ingress rule isolates the namespace for ingress',
    policies: (env) => [np('all-ingress-deny', env, { podSelector: {}, policyTypes: ['Ingress'] })],
    probes: () => [p('client', echo, 'dropped'), p('client2', echo, 'dropped'), p('client', echoOther, 'allowed')],
  },
  {
    name: 'all-egress-deny',
    description: 'a NetworkPolicy selecting every pod with no egress rule isolates the namespace for egress',
    policies: (env) => [np('all-egress-deny', env, { podSelector: {}, policyTypes: ['Egress'] })],
    probes: (env) => [p('client', echo, 'dropped'), p('client', echoOther, 'dropped'), p('client', host, 'dropped'), ...worldProbe(env, 'dropped')],
  },
  {
    name: 'client-ingress-from-label',
    description: 'echo accepts ingress only from pods labelled name=client',
    policies: (env) => [np('client-ingress-from-label', env, { podSelector: echoSel, ingress: [{ from: [{ podSelector: clientSel }] }] })],
    probes: () => [p('client', echo, 'allowed'), p('client2', echo, 'dropped')],
  },
  {
    name: 'client-egress-to-label',
    description: 'clients may send only to pods labelled kind=echo of their own namespace (CiliumNetworkPolicy)',
    policies: (env) => [cnp('client-egress-to-label', env, { endpointSelector: clientsSel, egress: [{ toEndpoints: [echoSel] }] })],
    probes: () => [p('client', echo, 'allowed'), p('client2', echo, 'allowed'), p('client', echoOther, 'dropped'), p('client', host, 'dropped')],
  },
  {
    name: 'egress-to-cidr',
    description: 'client may send to the pod CIDR except echo-other (ipBlock with except)',
    policies: (env) => [np('egress-to-cidr', env, {
      podSelector: clientSel, policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16', except: [`${env.ips['echo-other']}/32`] } }] }],
    })],
    probes: () => [p('client', echo, 'allowed'), p('client', echoOther, 'dropped'), p('client2', echoOther, 'allowed')],
  },
  {
    name: 'to-entities-world',
    description: 'client may send to the world entity only',
    requires: ['world'],
    policies: (env) => [cnp('to-entities-world', env, { endpointSelector: clientSel, egress: [{ toEntities: ['world'] }] })],
    probes: () => [p('client', world, 'allowed', WORLD_PORT), p('client', echo, 'dropped')],
  },
  {
    name: 'cluster-entity',
    description: 'client may send to the cluster entity: every pod of every namespace, not the world',
    policies: (env) => [cnp('cluster-entity', env, { endpointSelector: clientSel, egress: [{ toEntities: ['cluster'] }] })],
    probes: (env) => [p('client', echo, 'allowed'), p('client', echoOther, 'allowed'), ...worldProbe(env, 'dropped')],
  },
  {
    name: 'host-entity',
    description: 'client may send to its node (the host entity) only',
    policies: (env) => [cnp('host-entity', env, { endpointSelector: clientSel, egress: [{ toEntities: ['host'] }] })],
    probes: () => [p('client', host, 'allowed'), p('client', echo, 'dropped')],
  },
  {
    name: 'named-port',
    description: 'echo accepts clients on its named port http (8080) only',
    policies: (env) => [np('named-port', env, { podSelector: echoSel, ingress: [{ from: [{ podSelector: clientsSel }], ports: [{ port: 'http' }] }] })],
    probes: () => [p('client', echo, 'allowed', ECHO_PORT), p('client', echo, 'dropped', ECHO_PORT_2)],
  },
  {
    name: 'port-range',
    description: 'echo accepts clients on 8081-8090 only (endPort)',
    policies: (env) => [np('port-range', env, { podSelector: echoSel, ingress: [{ from: [{ podSelector: clientsSel }], ports: [{ port: ECHO_PORT_2, endPort: 8090 }] }] })],
    probes: () => [p('client', echo, 'allowed', ECHO_PORT_2), p('client', echo, 'dropped', ECHO_PORT)],
  },
  {
    name: 'deny-precedence',
    description: 'an ingressDeny of client2 wins over the allow of every client',
    policies: (env) => [cnp('deny-precedence', env, {
      endpointSelector: echoSel, ingress: [{ fromEndpoints: [clientsSel] }], ingressDeny: [{ fromEndpoints: [{ matchLabels: { name: 'client2' } }] }],
    })],
    probes: () => [p('client', echo, 'allowed'), p('client2', echo, 'dropped')],
  },
  {
    name: 'dns-only',
    description: 'client may look names up (DNS rule *) but reach nothing else',
    requires: ['world', 'dns-proxy'],
    policies: (env) => [cnp('dns-only', env, { endpointSelector: clientSel, egress: dnsEgress([{ matchPattern: '*' }]) })],
    probes: () => [p('client', { kind: 'name', name: 'example.com' }, 'dropped', WORLD_PORT)],
  },
  {
    name: 'to-fqdns',
    description: 'client may reach example.com:443 (toFQDNs) and no other name',
    requires: ['world', 'dns-proxy'],
    policies: (env) => [cnp('to-fqdns', env, {
      endpointSelector: clientSel,
      egress: [...dnsEgress([{ matchPattern: '*' }])!, { toFQDNs: [{ matchName: 'example.com' }], toPorts: [{ ports: [{ port: String(WORLD_PORT), protocol: 'TCP' }] }] }],
    })],
    probes: () => [p('client', { kind: 'name', name: 'example.com' }, 'allowed', WORLD_PORT), p('client', { kind: 'name', name: 'blocked.com' }, 'dropped', WORLD_PORT)],
  },
  {
    name: 'to-fqdns-refused',
    description: 'a name outside the DNS rule is refused by the DNS proxy',
    requires: ['dns-proxy'],
    policies: (env) => [cnp('to-fqdns-refused', env, {
      endpointSelector: clientSel,
      egress: [...dnsEgress([{ matchName: 'example.com' }])!, { toFQDNs: [{ matchName: 'example.com' }], toPorts: [{ ports: [{ port: String(WORLD_PORT), protocol: 'TCP' }] }] }],
    })],
    probes: () => [p('client', { kind: 'name', name: 'blocked.com' }, 'dns-refused', WORLD_PORT)],
  },
];

/** `--test REGEX`: scenarios whose name matches; a leading `!` selects those that do not. */
export function selectScenarios(all: readonly Scenario[], pattern: string | undefined): Scenario[] {
  if (!pattern) return [...all];
  const negate = pattern.startsWith('!');
  const re = new RegExp(negate ? pattern.slice(1) : pattern);
  return all.filter((s) => re.test(s.name) !== negate);
}
