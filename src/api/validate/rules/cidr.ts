import type { Path } from '../../source.js';
import { cidrContainsCidr, parseCidr, type Cidr } from '../../../shared/ip.js';
import { arr, type RuleContext } from '../context.js';

/** Parse a CIDR at `path`, reporting PW1211 when it is not a valid IPv4 or IPv6 prefix. */
export function checkCidr(ctx: RuleContext, value: unknown, path: Path): Cidr | null {
  if (typeof value !== 'string') return null;
  const cidr = parseCidr(value);
  if (!cidr) ctx.report('PW1211', path, { value });
  return cidr;
}

/**
 * `except` entries: valid CIDRs inside `outer`, same family. Kubernetes wants a strict subset (longer prefix,
 * ValidateIPBlock: "must be a strict subset of `cidr`"); Cilium accepts an equal prefix
 * (CIDRRule.Validate: prefix.Bits() > except.Bits() || !prefix.Contains(except.Addr())).
 */
export function checkExcept(ctx: RuleContext, outer: Cidr, except: unknown, path: Path, strict: boolean): void {
  arr(except).forEach((e, i) => {
    const inner = checkCidr(ctx, e, [...path, i]);
    if (!inner) return;
    const inside = cidrContainsCidr(outer, inner) && (!strict || inner.prefix > outer.prefix);
    if (!inside) ctx.report('PW1212', [...path, i], { except: inner.text, cidr: outer.text, strict });
  });
}
