import { BitSet } from '../engine/bitset.js';
import type { Engine } from '../engine/engine.js';
import { sideElements } from './elements.js';
import type { Identities, Identity } from './identity.js';
import type { ProtocolRanges } from './ports.js';
import type { Element } from './ruleset.js';
import { isLocalPod, ruleBitsOf, ruleMask, sideContext, subjectView, type SideTable } from './sides.js';

/**
 * The flows an explicit egress deny rule refuses, per local pod class: `egress_deny`, looked up before
 * the `fqdn` set. The `egress` set already has denies subtracted, but the DNS proxy adds toFQDNs
 * addresses at run time without knowing about denies; without this set an `egressDeny` (toCIDR,
 * toEntities world) could be bypassed by a toFQDNs name answering into it. Deny takes precedence, as in
 * Cilium (and the engine).
 *
 * Computed from scratch each pass, but only for classes whose policies have egress deny rules (few), so
 * the common case costs a scan of the local classes and nothing more.
 */
export function egressDenyElements(engine: Engine, ids: Identities, ranges: readonly ProtocolRanges[]): Element[] {
  const subjects = ids.list.filter((i) => isLocalPod(i) && hasEgressDeny(engine, i));
  if (subjects.length === 0) return [];
  const ctx = sideContext(engine, ids, ranges);
  const tables = subjects.map((ident): SideTable => {
    const v = subjectView(ctx, ident, 'egress');
    const bits = ruleBitsOf(ctx, v);
    const denied = ranges.map(({ protocol, ranges: list }) => list.map(({ from: port }) => {
      const deny = new BitSet(ctx.n);
      v.rules.forEach((r, k) => {
        if (r.action !== 'deny') return;
        const m = ruleMask(r, 'egress', protocol, port, ident.rep, bits[k]!, ctx.named);
        if (m) deny.or(m);
      });
      deny.clear(0);
      return deny;
    }));
    return { subject: ident.id, direction: 'egress', allowed: denied, open: false };
  });
  return sideElements(tables, ranges, ids);
}

function hasEgressDeny(engine: Engine, ident: Identity): boolean {
  if (ident.rep.kind !== 'pod') return false;
  return engine.set.selecting(ident.rep.pod).some((p) => p.rules.some((r) => r.direction === 'egress' && r.action === 'deny'));
}
