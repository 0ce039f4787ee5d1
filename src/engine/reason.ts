import type { Decision, SideVerdict } from './evaluate.js';
import { shortOrigin, originText } from './policy.js';

function ruleName(h: SideVerdict['allowedBy'][number]): string {
  const dir = h.rule.action === 'deny' ? `${h.rule.direction}Deny` : h.rule.direction;
  return `${shortOrigin(h.origin)} ${dir} rule ${h.rule.index}`;
}

/** One line saying why a side decided as it did. */
export function sideSentence(v: SideVerdict): string {
  const who = v.subject ?? 'peer';
  switch (v.reason) {
    case 'not-a-pod': return `${v.direction}: not a pod, no policy applies`;
    case 'no-policy-selects': return `${v.direction}: no policy isolates ${who} for ${v.direction}`;
    case 'same-pod': return `${v.direction}: a pod may always reach itself`;
    case 'host-local': return `${v.direction}: the pod's own node may always reach it`;
    case 'allowed-by-rule': return `${v.direction}: allowed by ${v.allowedBy.map(ruleName).join(', ')}`;
    case 'explicit-deny': return `${v.direction}: denied by ${v.deniedBy.map(ruleName).join(', ')}`;
    case 'default-deny': return `${v.direction}: no rule matched; default deny by ${v.isolatedBy.map(originText).join(', ')}`;
  }
}

/** The deciding side's sentence (the dropping side, else the one whose rule allowed). */
export function decisionSentence(d: Decision): string {
  if (!d.egress.allowed) return sideSentence(d.egress);
  if (!d.ingress.allowed) return sideSentence(d.ingress);
  const parts = [d.egress, d.ingress].filter((v) => v.reason === 'allowed-by-rule' || v.reason === 'same-pod' || v.reason === 'host-local');
  return (parts.length > 0 ? parts : [d.ingress]).map(sideSentence).join('; ');
}
