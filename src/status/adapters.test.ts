import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../agent/status.js';
import { dnsProxyFromPidFile, flowReaderStatus } from './adapters.js';

describe('components that report their own way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podwall-adapters-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the flow reader from the agent status file (branch flows: `flows`)', () => {
    const agent: AgentStatus = {
      node: 'node1', pid: 10, appliedRevision: 1, seenRevision: 1, generation: 1, enforcement: 'podwall',
      lastApplyMs: 1, lastApplyKind: 'full', lastError: null, updatedAt: 'now',
    };
    expect(flowReaderStatus(agent)).toBeUndefined();
    const withFlows = { ...agent, flows: { api: 4245, reader: { running: true, pid: 11, lastError: null }, ringSize: 4096, flows: 3, seen: 3, lost: 0 } };
    expect(flowReaderStatus(withFlows as AgentStatus)).toMatchObject({ component: 'flows', node: 'node1', pid: 11, state: 'ok', endpoint: 'http://127.0.0.1:4245', details: { lost: 0 } });
    expect(flowReaderStatus({ ...withFlows, flows: { reader: { running: false, pid: null, lastError: 'tcpdump exited' } } } as AgentStatus))
      .toMatchObject({ state: 'failed', pid: 10, message: 'tcpdump exited' });
  });

  it('the DNS proxy from its pid file (branch proxy): alive only while that process runs', async () => {
    expect(dnsProxyFromPidFile(dir, 'node1')).toBeUndefined();
    // A process whose command line names dns-proxy, as the real one's does.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'dns-proxy'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'dns-proxy-node1.pid'), `${child.pid}\n`);
      expect(dnsProxyFromPidFile(dir, 'node1')).toMatchObject({ alive: true, status: { component: 'dnsproxy', node: 'node1', pid: child.pid } });
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    expect(dnsProxyFromPidFile(dir, 'node1')?.alive).toBe(false);
    writeFileSync(join(dir, 'dns-proxy-node1.pid'), `${process.pid}\n`); // a reused pid: not the proxy
    expect(dnsProxyFromPidFile(dir, 'node1')?.alive).toBe(false);
  });
});
