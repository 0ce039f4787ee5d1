import type { Protocol } from './cluster.js';
import type { Engine } from './engine.js';
import type { Decision, SideReason } from './evaluate.js';
import { buildMatrix, type Matrix, type PortProto } from './matrix.js';
import { defaultPorts } from './ports.js';
import { decisionSentence } from './reason.js';

/** One side's verdict for a pod pair and port. */
export interface VerdictSide {
  allowed: boolean;
  reason: SideReason;
  /** The deciding side's sentence (decisionSentence). */
  explanation: string;
}

export interface VerdictChange {
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
  old: VerdictSide;
  new: VerdictSide;
}

export interface VerdictDiff {
  ports: PortProto[];
  /** Pods (namespace/name) present on both sides: the pairs compared. */
  compared: string[];
  /** Pods only in the new input. */
  added: string[];
  /** Pods only in the old input. */
  removed: string[];
  /** Changed verdicts, by source, destination, then port order. */
  changes: VerdictChange[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The ports both inputs would probe by default (defaultPorts of the union; 80/TCP only when both have none). */
export function diffPorts(oldEngine: Engine, newEngine: Engine): PortProto[] {
  const pods = [...oldEngine.cluster.pods, ...newEngine.cluster.pods];
  return defaultPorts({ ...oldEngine.cluster, pods }, [...oldEngine.policies, ...newEngine.policies]);
}

/**
 * A matrix decision with the consulted pods named as the pair really is: matrices decide on class
 * representatives, which are equivalent for every rule but may be other pods.
 */
function side(m: Matrix, i: number, j: number, from: string, to: string): VerdictSide {
  const d: Decision = m.decision(i, j);
  const named: Decision = {
    ...d,
    egress: { ...d.egress, subject: d.egress.subject === null ? null : from },
    ingress: { ...d.ingress, subject: d.ingress.subject === null ? null : to },
  };
  return { allowed: m.allowed(i, j), reason: d.reason, explanation: decisionSentence(named) };
}

/**
 * Which ordered pod pairs change verdict between two policy sets: pods are matched by namespace/name,
 * each side is decided on its own cluster and policies (one matrix per port and side), and only pairs
 * present on both sides are compared. A pod to itself is always allowed, so self pairs never change.
 *
 * @example
 * const ports = diffPorts(oldEngine, newEngine);
 * const lines = diffVerdicts(oldEngine, newEngine, ports).changes
 *   .map((c) => `${c.from} -> ${c.to} ${c.port}/${c.protocol}: ${c.old.allowed} -> ${c.new.allowed} (${c.new.explanation})`);
 */
export function diffVerdicts(oldEngine: Engine, newEngine: Engine, ports: readonly PortProto[]): VerdictDiff {
  const index = (e: Engine) => new Map(e.cluster.pods.map((p, i) => [p.id, i] as const));
  const oldIdx = index(oldEngine);
  const newIdx = index(newEngine);
  const compared = [...oldIdx.keys()].filter((id) => newIdx.has(id)).sort(byText);
  const added = [...newIdx.keys()].filter((id) => !oldIdx.has(id)).sort(byText);
  const removed = [...oldIdx.keys()].filter((id) => !newIdx.has(id)).sort(byText);
  const pairs = compared.map((id) => [id, oldIdx.get(id)!, newIdx.get(id)!] as const);
  const changes: VerdictChange[] = [];
  for (const pp of ports) {
    if (pairs.length < 2) break;
    const mo = buildMatrix(oldEngine, pp);
    const mn = buildMatrix(newEngine, pp);
    for (const [from, io, inew] of pairs) {
      for (const [to, jo, jnew] of pairs) {
        if (from === to || mo.allowed(io, jo) === mn.allowed(inew, jnew)) continue;
        changes.push({ from, to, ...pp, old: side(mo, io, jo, from, to), new: side(mn, inew, jnew, from, to) });
      }
    }
  }
  const portOrder = new Map(ports.map((p, k) => [`${p.port}/${p.protocol}`, k]));
  const order = (c: VerdictChange) => portOrder.get(`${c.port}/${c.protocol}`) ?? 0;
  changes.sort((a, b) => byText(a.from, b.from) || byText(a.to, b.to) || order(a) - order(b));
  return { ports: [...ports], compared, added, removed, changes };
}
