import { describe, expect, it } from 'vitest';
import { parseDuration, parseFlags } from './flags.js';
import { CONNECT_FLAGS, splitHostPort } from './connect.js';
import { SERVE_HOSTNAME_FLAGS } from './serve-hostname.js';

describe('Go durations', () => {
  it.each([
    ['3s', 3000], ['500ms', 500], ['1m30s', 90_000], ['1.5s', 1500], ['0', 0], ['2h', 7_200_000], ['100us', 0.1], ['.5s', 500],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['3', '', 's', '3x', '1s2'])('%j is invalid', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('pflag-style flags', () => {
  it('takes --name=value and --name value, and positional arguments around them', () => {
    expect(parseFlags(['10.0.0.1:80', '--timeout=3s', '--protocol', 'udp'], CONNECT_FLAGS)).toEqual({
      ok: true, args: ['10.0.0.1:80'], flags: { timeout: 3000, protocol: 'udp', 'udp-data': 'hostname', 'sctp-data': 'hostname' },
    });
    expect(parseFlags(['--timeout', '3s', 'h:1'], CONNECT_FLAGS)).toMatchObject({ ok: true, args: ['h:1'], flags: { timeout: 3000 } });
  });

  it('reads booleans as --flag, --flag=true and --flag=false', () => {
    expect(parseFlags(['--tcp', '--http=false', '--port', '80'], SERVE_HOSTNAME_FLAGS)).toMatchObject({ ok: true, flags: { tcp: true, udp: false, http: false, port: 80 } });
    expect(parseFlags([], SERVE_HOSTNAME_FLAGS)).toMatchObject({ ok: true, flags: { http: true, port: 9376 } });
  });

  it('rejects unknown flags, missing values and bad values like cobra', () => {
    expect(parseFlags(['--nope'], CONNECT_FLAGS)).toEqual({ ok: false, error: 'unknown flag: --nope' });
    expect(parseFlags(['--timeout'], CONNECT_FLAGS)).toEqual({ ok: false, error: 'flag needs an argument: --timeout' });
    expect(parseFlags(['--timeout=3'], CONNECT_FLAGS)).toMatchObject({ ok: false, error: expect.stringContaining('invalid duration') });
    expect(parseFlags(['--http=maybe'], SERVE_HOSTNAME_FLAGS)).toMatchObject({ ok: false, error: expect.stringContaining('ParseBool') });
  });

  it('splits host:port like net.SplitHostPort', () => {
    expect(splitHostPort('10.0.0.1:80')).toEqual({ host: '10.0.0.1', port: '80' });
    expect(splitHostPort('[::1]:80')).toEqual({ host: '::1', port: '80' });
    expect(splitHostPort('10.0.0.1')).toEqual({ error: 'address 10.0.0.1: missing port in address' });
    expect(splitHostPort('::1:80')).toMatchObject({ error: expect.stringContaining('too many colons') });
  });
});
