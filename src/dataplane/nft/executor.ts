import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAMILY, TABLE } from '../ruleset.js';
import { NftApplyError } from './errors.js';
import type { NftJson } from './render.js';

/** Applies nft JSON transactions in one network namespace, one at a time. */
export interface NftExecutor {
  readonly kind: 'native' | 'process';
  /** Apply one transaction, all or nothing. Throws NftApplyError with nft's message and the JSON. */
  apply(json: NftJson | string): Promise<void>;
  /** The current table as nft JSON (`nft -j list table inet podwall`), or null when there is none. */
  list(): Promise<unknown | null>;
  /** A read-only listing as nft JSON, e.g. `['list', 'chain', 'inet', 'podwall', 'egress_check']`; null when it does not exist. */
  query(words: readonly string[]): Promise<unknown | null>;
  close(): void;
}

export interface ExecutorOptions {
  /**
   * A named network namespace (`ip netns` name) to act in instead of the current one. The native
   * executor binds its netlink socket there once; the process executor runs `ip netns exec`.
   */
  netns?: string;
  /** The table `list` reads; default `inet podwall`. */
  table?: { family: string; name: string };
  /**
   * Listings without set elements (`nft -t`): for reading rules and counters. nft 1.0.6 reads every
   * element of the table into its cache for any listing all the same, but a terse listing of the whole
   * table costs about what one chain's costs (66 ms against 62 ms at 12,000 elements) and parses small.
   */
  terse?: boolean;
}

const ADDON = 'native/build/Release/podwall_nft.node';

interface Addon {
  open(netnsPath?: string): unknown;
  /** Listings without set elements; absent in an addon built before it (the caller falls back). */
  terse?(handle: unknown): void;
  run(handle: unknown, text: string): Promise<{ rc: number; output: string; error: string }>;
  close(handle: unknown): void;
}

/** Where the built addon is: $PODWALL_NFT_ADDON, or native/ of the checkout this file runs from (src/ or dist/src/). */
export function addonPath(): string | null {
  if (process.env.PODWALL_NFT_ADDON) return existsSync(process.env.PODWALL_NFT_ADDON) ? process.env.PODWALL_NFT_ADDON : null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const p = join(dir, ADDON);
    if (existsSync(p)) return p;
  }
  return null;
}

let addon: Addon | null = null;
function loadAddon(): Addon {
  if (!addon) {
    const path = addonPath();
    if (!path) throw new Error(`the libnftables addon is not built (${ADDON}): run scripts/setup.sh`);
    addon = createRequire(import.meta.url)(path) as Addon;
  }
  return addon;
}

/** One command at a time per handle: later calls wait for earlier ones. */
function serial() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const next = tail.then(task, task);
    tail = next.catch(() => undefined);
    return next;
  };
}

const text = (json: NftJson | string) => (typeof json === 'string' ? json : JSON.stringify(json));
/** An empty transaction (a plan of kind `none`) needs no round trip to the kernel. */
const isEmpty = (json: NftJson | string) => typeof json !== 'string' && json.nftables.length === 0;
const listCommand = (opts: ExecutorOptions) => ['list', 'table', opts.table?.family ?? FAMILY, opts.table?.name ?? TABLE];
const isMissing = (message: string) => /No such file or directory/.test(message);

/**
 * libnftables through the native addon: one nft context (and netlink socket) for the executor's life,
 * commands on the libuv thread pool.
 */
export function nativeExecutor(opts: ExecutorOptions = {}): NftExecutor {
  const lib = loadAddon();
  const handle = lib.open(opts.netns ? `/run/netns/${opts.netns}` : undefined);
  if (opts.terse) {
    if (!lib.terse) throw new Error('the libnftables addon predates terse listings: run scripts/setup.sh');
    lib.terse(handle);
  }
  const queue = serial();
  let closed = false;
  const run = (input: string) => {
    if (closed) return Promise.reject(new Error('nft executor is closed'));
    return queue(() => lib.run(handle, input));
  };
  return {
    kind: 'native',
    async apply(json) {
      if (isEmpty(json)) return;
      const input = text(json);
      const r = await run(input);
      if (r.rc !== 0) throw new NftApplyError(r.error || `nft returned ${r.rc}`, input);
    },
    list() {
      return this.query(listCommand(opts));
    },
    async query(words) {
      const cmd = words.join(' ');
      const r = await run(cmd);
      if (r.rc !== 0) {
        if (isMissing(r.error)) return null;
        throw new NftApplyError(r.error, cmd);
      }
      return JSON.parse(r.output);
    },
    close() {
      if (closed) return;
      closed = true;
      void queue(async () => lib.close(handle));
    },
  };
}

function spawnNft(args: string[], input: string | null, netns?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, argv] = netns ? ['ip', ['netns', 'exec', netns, 'nft', ...args]] : ['nft', args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv as string[], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined); // nft may exit before reading everything; its stderr says why
    child.stdin.end(input ?? '');
  });
}

/**
 * `nft -j -f` per transaction: the fallback when the addon is not built. nft opens `-f -` as the path
 * /dev/stdin, which fails on the socket pairs Node gives a child for stdio (ENXIO), so the
 * transaction goes through a private temporary file instead.
 */
export function processExecutor(opts: ExecutorOptions = {}): NftExecutor {
  const queue = serial();
  return {
    kind: 'process',
    async apply(json) {
      if (isEmpty(json)) return;
      const input = text(json);
      const r = await queue(async () => {
        const dir = mkdtempSync(join(tmpdir(), 'podwall-nft-'));
        try {
          const file = join(dir, 'transaction.json');
          writeFileSync(file, input, { mode: 0o600 });
          return await spawnNft(['-j', '-f', file], null, opts.netns);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
      if (r.code !== 0) throw new NftApplyError(r.stderr || `nft exited with ${r.code}`, input);
    },
    list() {
      return this.query(listCommand(opts));
    },
    async query(words) {
      const args = [...(opts.terse ? ['-t'] : []), '-j', ...words];
      const r = await queue(() => spawnNft(args, null, opts.netns));
      if (r.code !== 0) {
        if (isMissing(r.stderr)) return null;
        throw new NftApplyError(r.stderr, `nft ${args.join(' ')}`);
      }
      return JSON.parse(r.stdout);
    },
    close() {},
  };
}

/**
 * The default executor: the native addon (measured faster, see bench/nft-apply.ts), or the `nft`
 * process when the addon is not built or `prefer: 'process'`.
 */
export function createExecutor(opts: ExecutorOptions & { prefer?: 'native' | 'process' } = {}): NftExecutor {
  if (opts.prefer !== 'process' && addonPath() !== null) return nativeExecutor(opts);
  return processExecutor(opts);
}
