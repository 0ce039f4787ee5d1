import type { ApiObject, Pod } from '../api/types.js';
import { allocateIp } from './ipam.js';
import { nodeIndex } from './names.js';

export type ScheduleResult = { ok: true; pods: Pod[] } | { ok: false; pod: string; message: string };

/**
 * Pure: give every pod without one a node (the one with the fewest pods) and an address from that node's
 * pod CIDR (or the address its manifest names), the way the scheduler and the CNI would. `existing` is the
 * desired state the pods join.
 */
export function schedulePods(pods: readonly Pod[], existing: readonly ApiObject[]): ScheduleResult {
  const nodes = existing.filter((o) => o.kind === 'Node').map((o) => o.metadata.name).sort((a, b) => nodeIndex(a) - nodeIndex(b));
  const key = (p: Pod) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
  const incoming = new Set(pods.map(key));
  const placed = existing.filter((o): o is Pod => o.kind === 'Pod' && !incoming.has(key(o)));
  const used = new Set(placed.flatMap((p) => (p.status?.podIP ? [p.status.podIP] : [])));
  const load = new Map(nodes.map((n) => [n, placed.filter((p) => p.spec?.nodeName === n).length]));
  const out: Pod[] = [];
  for (const pod of pods) {
    // Host-network pods have no address of their own; placed pods keep their place.
    if (pod.spec?.hostNetwork) {
      out.push(pod);
      continue;
    }
    if (pod.spec?.nodeName && pod.status?.podIP) {
      const ok = allocateIp({ nodeIndex: nodeIndex(pod.spec.nodeName), used, requested: pod.status.podIP });
      if (!ok.ok) return { ok: false, pod: key(pod), message: ok.message };
      used.add(ok.ip);
      out.push(pod);
      continue;
    }
    const node = pod.spec?.nodeName ?? [...load.entries()].sort((a, b) => a[1] - b[1] || nodeIndex(a[0]) - nodeIndex(b[0]))[0]?.[0];
    if (!node) return { ok: false, pod: key(pod), message: 'no node to run it on (is the lab up? `podwall lab up`)' };
    const ip = allocateIp({ nodeIndex: nodeIndex(node), used, ...(pod.status?.podIP ? { requested: pod.status.podIP } : {}) });
    if (!ip.ok) return { ok: false, pod: key(pod), message: ip.message };
    used.add(ip.ip);
    load.set(node, (load.get(node) ?? 0) + 1);
    const hostIP = existing.find((o) => o.kind === 'Node' && o.metadata.name === node) as { status?: { addresses?: { address: string }[] } } | undefined;
    out.push({
      ...pod,
      spec: { ...pod.spec, nodeName: node },
      status: { ...pod.status, phase: 'Running', podIP: ip.ip, podIPs: [{ ip: ip.ip }], ...(hostIP?.status?.addresses?.[0] ? { hostIP: hostIP.status.addresses[0].address } : {}) },
    });
  }
  return { ok: true, pods: out };
}

/**
 * Pure: the objects of an apply, with pods placed as the lab needs them: a pod already stored keeps its
 * node and address when the manifest names none (kubectl apply keeps server-set fields); a new one is
 * scheduled. Without nodes in the desired state (a plain store, no lab) nothing changes.
 */
export function placePods(objects: readonly ApiObject[], existing: readonly ApiObject[]): ScheduleResult & { objects?: ApiObject[] } {
  if (!existing.some((o) => o.kind === 'Node')) return { ok: true, pods: [], objects: [...objects] };
  const stored = new Map(existing.filter((o): o is Pod => o.kind === 'Pod').map((p) => [`${p.metadata.namespace ?? 'default'}/${p.metadata.name}`, p]));
  const pods = objects.filter((o): o is Pod => o.kind === 'Pod').map((p) => {
    const prev = stored.get(`${p.metadata.namespace ?? 'default'}/${p.metadata.name}`);
    if (!prev || p.status?.podIP || !prev.status?.podIP) return p;
    return { ...p, spec: { ...p.spec, nodeName: p.spec?.nodeName ?? prev.spec?.nodeName }, status: { ...prev.status, ...p.status } };
  });
  const placed = schedulePods(pods, existing);
  if (!placed.ok) return placed;
  let i = 0;
  return { ...placed, objects: objects.map((o) => (o.kind === 'Pod' ? placed.pods[i++]! : o)) };
}
