import type { Path } from '../../source.js';
import { isIp } from '../../../shared/ip.js';
import { arr, obj, str, type Obj, type Rule, type RuleContext } from '../context.js';
import { portNameProblem } from '../formats.js';
import { checkCidr } from './cidr.js';

/**
 * Values podwall reads from Pods, Services, Nodes and CIDR groups: addresses, CIDRs and ports, as the API
 * server validates them (pkg/apis/core/validation: validateContainerPorts, ValidateService, ValidateNode).
 */

function section(ctx: RuleContext, key: string): Obj | undefined {
  return obj(ctx.root[key]);
}

function checkIp(ctx: RuleContext, value: unknown, path: Path): void {
  if (typeof value === 'string' && !isIp(value)) ctx.report('PW1216', path, { value });
}

function checkPortNumber(ctx: RuleContext, value: unknown, path: Path, field: string): void {
  if (typeof value === 'number' && Number.isInteger(value) && (value < 1 || value > 65535)) {
    ctx.report('PW1208', path, { field, value, min: 1, max: 65535 });
  }
}

function checkPortName(ctx: RuleContext, value: unknown, path: Path): void {
  if (typeof value !== 'string') return;
  const problem = portNameProblem(value);
  if (problem) ctx.report('PW1209', path, { value, problem });
}

export const podAddresses: Rule = function podAddresses(ctx) {
  const status = section(ctx, 'status');
  checkIp(ctx, status?.podIP, ['status', 'podIP']);
  checkIp(ctx, status?.hostIP, ['status', 'hostIP']);
  arr(status?.podIPs).forEach((p, i) => checkIp(ctx, obj(p)?.ip, ['status', 'podIPs', i, 'ip']));
};

/** Named container ports are what NetworkPolicy port names resolve to: IANA names, 1-65535. */
export const podContainerPorts: Rule = function podContainerPorts(ctx) {
  arr(section(ctx, 'spec')?.containers).forEach((c, i) => {
    arr(obj(c)?.ports).forEach((p, j) => {
      const port = obj(p);
      const path = ['spec', 'containers', i, 'ports', j];
      checkPortNumber(ctx, port?.containerPort, [...path, 'containerPort'], 'containerPort');
      checkPortName(ctx, port?.name, [...path, 'name']);
    });
  });
};

/** clusterIP is an address, or "None" for a headless Service (empty means "allocate one"). */
export const serviceValues: Rule = function serviceValues(ctx) {
  const spec = section(ctx, 'spec');
  const checkClusterIp = (v: unknown, path: Path) => {
    if (v !== 'None' && v !== '') checkIp(ctx, v, path);
  };
  checkClusterIp(spec?.clusterIP, ['spec', 'clusterIP']);
  arr(spec?.clusterIPs).forEach((v, i) => checkClusterIp(v, ['spec', 'clusterIPs', i]));
  arr(spec?.ports).forEach((p, i) => {
    const port = obj(p);
    const path = ['spec', 'ports', i];
    checkPortNumber(ctx, port?.port, [...path, 'port'], 'port');
    checkPortNumber(ctx, port?.targetPort, [...path, 'targetPort'], 'targetPort');
    checkPortName(ctx, port?.targetPort, [...path, 'targetPort']);
  });
};

/** podCIDR(s) are CIDRs; InternalIP and ExternalIP addresses are IPs (Hostname and *DNS entries are names). */
export const nodeValues: Rule = function nodeValues(ctx) {
  const spec = section(ctx, 'spec');
  checkCidr(ctx, spec?.podCIDR, ['spec', 'podCIDR']);
  arr(spec?.podCIDRs).forEach((c, i) => checkCidr(ctx, c, ['spec', 'podCIDRs', i]));
  arr(section(ctx, 'status')?.addresses).forEach((a, i) => {
    const type = str(obj(a)?.type);
    if (type === 'InternalIP' || type === 'ExternalIP') checkIp(ctx, obj(a)?.address, ['status', 'addresses', i, 'address']);
  });
};

/** CiliumCIDRGroup spec.externalCIDRs: each a CIDR. */
export const cidrGroupCidrs: Rule = function cidrGroupCidrs(ctx) {
  arr(section(ctx, 'spec')?.externalCIDRs).forEach((c, i) => checkCidr(ctx, c, ['spec', 'externalCIDRs', i]));
};
