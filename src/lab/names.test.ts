import { describe, expect, it } from 'vitest';
import { InternalError, UsageError } from '../shared/errors.js';
import { batchLine } from './ip-command.js';
import { isLabLink, isLabNetns, isPodNetns, labContext, netnsNode, nodeNetns, podHash, podHostIf, podMacs, podNetns, podStateDir } from './names.js';

describe('lab names', () => {
  it('reads prefix and state dir from the environment, validated', () => {
    expect(labContext({})).toEqual({ prefix: 'pw', stateDir: '/run/podwall/pw' });
    expect(labContext({ PODWALL_LAB_PREFIX: 'pwt1', PODWALL_STATE_DIR: '/tmp/x/' })).toEqual({ prefix: 'pwt1', stateDir: '/tmp/x' });
    for (const bad of ['', 'PW', '1pw', 'pw-1', 'toolong7', 'p w']) expect(() => labContext({ PODWALL_LAB_PREFIX: bad })).toThrow(UsageError);
    expect(() => labContext({ PODWALL_STATE_DIR: 'relative' })).toThrow(UsageError);
  });

  it('names pods by an 8-hex hash of namespace/name, within IFNAMSIZ', () => {
    const h = podHash('demo', 'client');
    expect(h).toMatch(/^[0-9a-f]{8}$/);
    expect(podHash('demo', 'client')).toBe(h);
    expect(podHash('demo', 'server')).not.toBe(h);
    expect(podNetns('demo', 'client', 'pw')).toBe(`pw-p${h}`);
    expect(podHostIf('demo', 'client', 'pwabcd')).toHaveLength(14);
    expect(nodeNetns('node2', 'pw')).toBe('pw-node2');
    expect(() => podHash('Demo', 'client')).toThrow(UsageError);
    expect(() => podHash('demo', '../etc')).toThrow(UsageError);
    expect(podStateDir({ prefix: 'pw', stateDir: '/s' }, 'demo', 'client')).toBe('/s/pods/demo_client');
  });

  it('derives stable, unicast, locally administered MACs', () => {
    const m = podMacs('demo', 'client');
    expect(m).toEqual(podMacs('demo', 'client'));
    expect(m.pod).not.toBe(m.host);
    for (const mac of [m.pod, m.host]) {
      expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      const first = parseInt(mac.slice(0, 2), 16);
      expect(first & 1).toBe(0); // unicast
      expect(first & 2).toBe(2); // locally administered
    }
  });

  it('recognises objects of a prefix by exact shape, never those of a longer prefix', () => {
    expect(isLabNetns('pw-node1', 'pw')).toBe(true);
    expect(isLabNetns('pwt1-node1', 'pw')).toBe(false);
    expect(netnsNode('pw-node1', 'pw')).toBe('node1');
    expect(netnsNode('pw-p0123abcd', 'pw')).toBeUndefined();
    expect(isPodNetns('pw-p0123abcd', 'pw')).toBe(true);
    expect(isLabLink('pw0123abcd', 'pw')).toBe(true);
    expect(isLabLink('pw-n2', 'pw')).toBe(true);
    expect(isLabLink('pwa0123abcd', 'pw')).toBe(false);
    expect(isLabLink('pwt10123abcd', 'pw')).toBe(false);
    expect(isLabLink('eth0', 'pw')).toBe(false);
  });

  it('refuses ip batch tokens that ip would re-interpret', () => {
    expect(batchLine(['link', 'add', 'pw0123abcd', 'address', '0a:58:01:02:03:04'])).toBe('link add pw0123abcd address 0a:58:01:02:03:04');
    for (const bad of ['a b', '"x"', '#c', 'x\ny', '']) expect(() => batchLine(['link', bad])).toThrow(InternalError);
  });
});
