import type { Labels } from '../api/types.js';
import { buildClusterWithPod } from './cluster-edit.js';
import type { PodInfo } from './cluster.js';
import { podEndpoint, type Endpoint } from './endpoint.js';
import type { Engine } from './engine.js';
import { evaluate, PolicySet, type Decision, type Flow } from './evaluate.js';
import { portsMatch } from './match.js';
import { CILIUM_NS_KEY } from './normalize-cilium.js';
import { shortOrigin, type Peer } from './policy.js';
import type { Selector } from './selector.js';

/** A change that would let a denied flow through, verified by evaluating the flow again. */
export interface Suggestion {
  /** kubectl-style command, e.g. `label pod demo/client app=client`. */
  command: string;
  /** What it would match, e.g. `demo/demo-policy ingress rule 0`. */
  matches: string;
  pod: string;
  labels: Record<string, string | null>;
}

/** Labels to set (string) or remove (null) so that `labels` satisfy `sel`; null when pod labels cannot do it. */
function patchFor(sel: Selector, labels: Labels): Record<string, string | null> | null {
  const patch: Record<string, string | null> = {};
  for (const r of sel.requirements) {
    if (r.key === CILIUM_NS_KEY || r.key.startsWith('io.cilium.') || r.key.startsWith('reserved:')) return null;
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    if (r.op === 'In' && !(has && r.values.has(v!))) patch[r.key] = [...r.values].sort()[0] ?? '';
    if (r.op === 'Exists' && !has) patch[r.key] = 'true';
    if ((r.op === 'NotIn' && has && r.values.has(v!)) || (r.op === 'DoesNotExist' && has)) patch[r.key] = null;
  }
  return patch;
}

function podSelectorOf(peer: Peer): Selector | undefined {
  if (peer.type === 'k8s-pods') return peer.pods;
  if (peer.type === 'cilium-endpoints') return peer.selector;
  return undefined;
}

function relabel(pod: PodInfo, patch: Record<string, string | null>): PodInfo {
  const labels: Labels = { ...pod.labels };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete labels[k];
    else labels[k] = v;
  }
  return { ...pod, labels };
}

function recheck(engine: Engine, flow: Flow, pod: PodInfo, changed: PodInfo): Decision {
  const cluster = buildClusterWithPod(engine.cluster, pod, changed);
  const set = new PolicySet(cluster, engine.policies);
  const swap = (e: Endpoint): Endpoint => (e.kind === 'pod' && e.pod.id === pod.id ? podEndpoint(changed) : e);
  return evaluate(set, { ...flow, src: swap(flow.src), dst: swap(flow.dst) }, { cluster, learnedNames: (p, ip) => engine.dns.learnedNames(p, ip) });
}

/**
 * The smallest relabelling of the peer pod that would let a flow dropped by default deny through,
 * checked against the whole policy set (both sides), or undefined when no such relabelling exists.
 */
export function suggestFix(engine: Engine, flow: Flow, decision: Decision): Suggestion | undefined {
  const side = !decision.egress.allowed ? decision.egress : !decision.ingress.allowed ? decision.ingress : undefined;
  if (!side || side.reason !== 'default-deny') return undefined;
  const subjectEp = side.direction === 'egress' ? flow.src : flow.dst;
  const peerEp = side.direction === 'egress' ? flow.dst : flow.src;
  if (subjectEp.kind !== 'pod' || peerEp.kind !== 'pod') return undefined;
  const candidates: Suggestion[] = [];
  for (const policy of engine.set.selecting(subjectEp.pod)) {
    if (!policy.isolates[side.direction]) continue;
    for (const rule of policy.rules) {
      if (rule.direction !== side.direction || rule.action !== 'allow') continue;
      if (!portsMatch(rule.ports, flow.port, flow.protocol, flow.dst)) continue;
      for (const peer of rule.peers) {
        const sel = podSelectorOf(peer);
        const patch = sel ? patchFor(sel, peerEp.pod.labels) : null;
        if (!patch || Object.keys(patch).length === 0) continue;
        const changed = relabel(peerEp.pod, patch);
        if (!recheck(engine, flow, peerEp.pod, changed).allowed) continue;
        const args = Object.entries(patch).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`));
        const overwrite = Object.entries(patch).some(([k, v]) => v !== null && k in peerEp.pod.labels);
        candidates.push({
          command: `label pod ${peerEp.pod.id} ${args.join(' ')}${overwrite ? ' --overwrite' : ''}`,
          matches: `${shortOrigin(policy.origin)} ${side.direction} rule ${rule.index}`,
          pod: peerEp.pod.id,
          labels: patch,
        });
      }
    }
  }
  candidates.sort((a, b) => Object.keys(a.labels).length - Object.keys(b.labels).length);
  return candidates[0];
}
