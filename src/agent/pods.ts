import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiObject, Pod } from '../api/types.js';
import type { LabContext } from '../lab/names.js';
import { podStateDir } from '../lab/names.js';
import { activatePod, createPodNetwork, deletePodNetwork, podNet, type PodNet } from '../lab/pod-network.js';
import { podProcessState, startPod, stopPod } from '../lab/supervisor.js';
import { netnsExists } from '../lab/netns.js';

/** A pod this node runs, as the desired state says. */
export interface LocalPod {
  key: string;
  namespace: string;
  name: string;
  ip: string;
  argv: string[];
}

/** The pod's command as `kubectl run --command -- ...` stores it; a pod without one just waits. */
function podArgv(p: Pod): string[] {
  const c = p.spec?.containers?.[0] as { command?: string[]; args?: string[] } | undefined;
  const argv = [...(c?.command ?? []), ...(c?.args ?? [])];
  return argv.length > 0 ? argv : ['agnhost', 'pause'];
}

/** Pure: the pods of `node` that have an address (the scheduler assigned both). Host-network pods have no netns of their own. */
export function localPods(objects: readonly ApiObject[], node: string): LocalPod[] {
  return objects.flatMap((o) => {
    if (o.kind !== 'Pod' || o.spec?.nodeName !== node || o.spec?.hostNetwork || !o.status?.podIP) return [];
    const namespace = o.metadata.namespace ?? 'default';
    return [{ key: `${namespace}/${o.metadata.name}`, namespace, name: o.metadata.name, ip: o.status.podIP, argv: podArgv(o) }];
  });
}

const OWNER = 'node';
const SIGNATURE = 'spec.json';

/**
 * Creates and removes the node's pods (the kubelet/CNI part of the agent). Ordering keeps pods fail closed:
 * `prepare` makes new pods' networks with the link down, the caller applies the rules that name them,
 * then `complete` brings the links up and starts the processes.
 */
export class PodReconciler {
  private pending: { pod: LocalPod; net: PodNet }[] = [];
  /** The pods this node runs; read from the state directory once, then kept up to date here (the agent is their only writer). */
  private known: Map<string, LocalPod> | null = null;

  constructor(private readonly node: string, private readonly ctx: LabContext) {}

  private existing(): Map<string, LocalPod> {
    this.known ??= this.scan();
    return this.known;
  }

  /** Pods whose state directory says this node made them (survives an agent restart). */
  private scan(): Map<string, LocalPod> {
    const dir = join(this.ctx.stateDir, 'pods');
    const out = new Map<string, LocalPod>();
    if (!existsSync(dir)) return out;
    for (const entry of readdirSync(dir)) {
      const owner = join(dir, entry, OWNER);
      const sig = join(dir, entry, SIGNATURE);
      if (!existsSync(owner) || readFileSync(owner, 'utf8').trim() !== this.node || !existsSync(sig)) continue;
      const pod = JSON.parse(readFileSync(sig, 'utf8')) as LocalPod;
      out.set(pod.key, pod);
    }
    return out;
  }

  async prepare(desired: readonly LocalPod[]): Promise<void> {
    const have = this.existing();
    const want = new Map(desired.map((p) => [p.key, p]));
    for (const [key, pod] of have) {
      const w = want.get(key);
      if (!w || w.ip !== pod.ip || w.argv.join('\0') !== pod.argv.join('\0')) await this.remove(pod);
    }
    const now = this.existing();
    // Pods made by a pass whose rules failed to apply are still waiting for `complete`: keep them.
    this.pending = this.pending.filter((p) => now.has(p.pod.key));
    for (const pod of desired) {
      if (now.has(pod.key)) continue;
      const spec = { namespace: pod.namespace, name: pod.name, node: this.node, ip: pod.ip };
      if (netnsExists(podNet(spec, this.ctx).netns)) await deletePodNetwork(spec, this.ctx);
      const net = await createPodNetwork(spec, this.ctx);
      const dir = podStateDir(this.ctx, pod.namespace, pod.name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, OWNER), `${this.node}\n`);
      writeFileSync(join(dir, SIGNATURE), JSON.stringify(pod));
      now.set(pod.key, pod);
      this.pending.push({ pod, net });
    }
  }

  /** After the rules naming the new pods are in force: links up, processes started. */
  async complete(): Promise<void> {
    for (const { pod, net } of this.pending) {
      await activatePod(net, this.ctx);
      if (podProcessState(pod, this.ctx).state !== 'running') await startPod({ ...pod }, pod.argv, {}, this.ctx);
    }
    this.pending = [];
  }

  private async remove(pod: LocalPod): Promise<void> {
    await stopPod(pod, { graceMs: 2000 }, this.ctx).catch(() => false);
    await deletePodNetwork({ namespace: pod.namespace, name: pod.name, node: this.node, ip: pod.ip }, this.ctx);
    rmSync(podStateDir(this.ctx, pod.namespace, pod.name), { recursive: true, force: true });
    this.known?.delete(pod.key);
  }
}
