import { arr, int, nonEmpty, obj, str, type Rule, type RuleContext } from '../context.js';
import { portNameProblem } from '../formats.js';
import { ciliumRules, portRules, ports, type PortRef } from './cilium-walk.js';

/**
 * L4 checks of Cilium rules, after pkg/policy/api/rule_validation.go (PortRule.Validate, PortDenyRule.Validate,
 * PortProtocol.Validate) and the CRD schema of PortProtocol (endPort: int32, 0-65535).
 */

/** maxPorts: "too many ports, the max is 40" (also the CRD's maxItems). */
export const MAX_PORTS = 40;

function hasDnsRules(ref: PortRef): boolean {
  return nonEmpty(obj(ref.portRule.portRule.rules)?.dns);
}

/** The numeric value of a port, or undefined for a name; reports PW1208/PW1209/PW1103 on bad text. */
function checkPortText(ctx: RuleContext, ref: PortRef): number | undefined {
  const text = str(ref.port.port);
  const at = [...ref.path, 'port'];
  if (text === undefined) return undefined; // absent or a number: the schema reports it (PW1103, PW1105)
  if (text === '') {
    ctx.report('PW1103', ref.path, { field: 'port' });
    return undefined;
  }
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value > 65535) ctx.report('PW1208', at, { field: 'port', value, min: 0, max: 65535 });
    return value;
  }
  // Port names are IANA service names, compared case-insensitively (iana.IsSvcName).
  const problem = portNameProblem(text, true);
  if (problem) ctx.report('PW1209', at, { value: text, problem });
  return undefined;
}

/**
 * port: numeric text 0-65535 or a port name; endPort (0 = unset, Go's zero value) only with a numeric port,
 * >= port, and no port ranges under DNS rules ("DNS rules do not support port ranges").
 */
export const ciliumPorts: Rule = function ciliumPorts(ctx) {
  for (const ref of ports(ctx.root)) {
    const port = checkPortText(ctx, ref);
    const end = int(ref.port.endPort);
    if (end === undefined || end === 0) continue;
    const at = [...ref.path, 'endPort'];
    if (end < 0 || end > 65535) ctx.report('PW1208', at, { field: 'endPort', value: end, min: 0, max: 65535 });
    if (port === undefined) {
      if (typeof ref.port.port === 'string' && ref.port.port !== '') ctx.report('PW1210', at, { reason: 'named-port' });
      continue;
    }
    if (end < port) ctx.report('PW1203', at, { port, endPort: end });
    if (end > port && hasDnsRules(ref)) ctx.report('PW1317', at, {});
  }
};

export const ciliumPortCount: Rule = function ciliumPortCount(ctx) {
  for (const { portRule, path } of portRules(ctx.root)) {
    const count = arr(portRule.ports).length;
    if (count > MAX_PORTS) ctx.report('PW1310', [...path, 'ports'], { count, max: MAX_PORTS });
  }
};

/** "The ICMPs block may only be present without ToPorts. Define a separate rule to use ToPorts." */
export const ciliumIcmpWithPorts: Rule = function ciliumIcmpWithPorts(ctx) {
  for (const { rule, path } of ciliumRules(ctx.root)) {
    if (nonEmpty(rule.icmps) && nonEmpty(rule.toPorts)) ctx.report('PW1318', [...path, 'icmps'], {});
  }
};

export const CILIUM_PORT_RULES: readonly Rule[] = [ciliumPorts, ciliumPortCount, ciliumIcmpWithPorts];
