import { describe, expect, it } from 'vitest';
import { allocateIp, podCidr } from './ipam.js';

describe('ipam', () => {
  it('node N owns 10.244.(N-1).0/24', () => {
    expect(podCidr(1)).toBe('10.244.0.0/24');
    expect(podCidr(3)).toBe('10.244.2.0/24');
  });

  it('hands out the next free address from .2 up, filling holes', () => {
    expect(allocateIp({ nodeIndex: 1, used: [] })).toEqual({ ok: true, ip: '10.244.0.2' });
    expect(allocateIp({ nodeIndex: 1, used: ['10.244.0.2', '10.244.0.3'] })).toEqual({ ok: true, ip: '10.244.0.4' });
    expect(allocateIp({ nodeIndex: 1, used: ['10.244.0.3'] })).toEqual({ ok: true, ip: '10.244.0.2' });
    expect(allocateIp({ nodeIndex: 2, used: ['10.244.0.2'] })).toEqual({ ok: true, ip: '10.244.1.2' });
  });

  it('ignores addresses of other nodes and reports exhaustion', () => {
    const full = Array.from({ length: 253 }, (_, i) => `10.244.4.${i + 2}`);
    expect(allocateIp({ nodeIndex: 5, used: full })).toMatchObject({ ok: false, code: 'pool.exhausted' });
    expect(allocateIp({ nodeIndex: 5, used: full.slice(1) })).toEqual({ ok: true, ip: '10.244.4.2' });
  });

  it('honours a requested IP anywhere in 10.244.0.0/16 when it is free', () => {
    expect(allocateIp({ nodeIndex: 1, used: [], requested: '10.244.3.7' })).toEqual({ ok: true, ip: '10.244.3.7' });
    expect(allocateIp({ nodeIndex: 1, used: ['10.244.3.7'], requested: '10.244.3.7' })).toMatchObject({ ok: false, code: 'ip.in-use' });
    expect(allocateIp({ nodeIndex: 1, used: [], requested: '10.245.0.1' })).toMatchObject({ ok: false, code: 'ip.outside-cluster-cidr' });
    expect(allocateIp({ nodeIndex: 1, used: [], requested: '192.168.1.1' })).toMatchObject({ ok: false, code: 'ip.outside-cluster-cidr' });
    expect(allocateIp({ nodeIndex: 1, used: [], requested: 'fd00::1' })).toMatchObject({ ok: false, code: 'ip.invalid' });
    expect(allocateIp({ nodeIndex: 1, used: [], requested: '10.244.1' })).toMatchObject({ ok: false, code: 'ip.invalid' });
    expect(allocateIp({ nodeIndex: 1, used: [], requested: '010.244.0.5' })).toMatchObject({ ok: false, code: 'ip.invalid' });
  });

  it('rejects a node without a pod CIDR', () => {
    expect(allocateIp({ nodeIndex: 0, used: [] })).toMatchObject({ ok: false, code: 'node.invalid' });
  });
});
