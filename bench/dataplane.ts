/**
 * bench:dataplane: what podwall's ruleset costs real packets. A client and a server pod (TCP 80) amid
 * 1,000 pods and 1,000 NetworkPolicies with 10,000 peer entries (bench/two-pods.ts), under four
 * rulesets, each in the netns of its own lab node with its own pair of real pods, so that all four stay
 * in place and the measurements can alternate quickly:
 *   a   node1: no nft table at all (no conntrack either)
 *   a0  node2: podwall's table compiled from the same pods with no policies (conntrack, identity map, sets)
 *   b   node3: podwall's table compiled from the 1,000 policies (engine → compile → render, applied with the executor)
 *   c   node4: the same policies compiled the naive way (bench/naive-chain.ts): one rule per policy peer in a
 *       linear chain after the same `ct state established,related accept`, the flow's allowing rule last
 * With BENCH_DIAG=1, two diagnostic variants of b (connection rate only) show where b's extra cost goes:
 *   b_open  node5: b with the two measured pods in the *_open sets (their egress/ingress set lookups skipped)
 *   b_tiny  node6: b with the egress and ingress sets cut down to the one element the flow matches
 *   a_ct    node7: only `ct state established,related accept` in a forward chain: what conntrack itself
 *           costs, the floor under any stateful ruleset
 * (the crowd then spreads over seven nodes instead of four, for every ruleset alike).
 * Measured, in many short rounds that rotate the order (the machine is shared: paired, adjacent runs see
 * the same background load): the new-connection rate (ab, no keep-alive: connect, request, one-byte
 * response, close, against the one-thread C server bench/tiny-httpd.c) and bulk throughput (iperf3, one
 * TCP stream). Ratios are medians of the per-round ratios. Deterministic inputs; bounded (fixed counts,
 * `timeout` around every load tool).
 * Progress on stderr; the last stdout line: `bench:dataplane conn_rate_a=… ratio_b_a=… ratio_b_c=… tput_ratio_b_a=…`.
 *
 * Run as root: `npm run bench:dataplane` (env: BENCH_ROUNDS, BENCH_IPERF_ROUNDS, BENCH_CONNS, BENCH_CONCURRENCY).
 */
import { compile, compileDetailed, type Compiled } from '../src/dataplane/compile.js';
import { createExecutor } from '../src/dataplane/nft/executor.js';
import { render, stringify } from '../src/dataplane/nft/render.js';
import { shardSetDirection } from '../src/dataplane/shards.js';
import { elementCounts, FAMILY, rule, TABLE, type Component, type Element, type NamedSet, type Ruleset } from '../src/dataplane/ruleset.js';
import { buildEngine } from '../src/engine/engine.js';
import { podEndpoint } from '../src/engine/endpoint.js';
import { activatePod, createPodNetwork, labUp, nodeNetns, type PodNet } from '../src/lab/index.js';
import { BenchLab, buildTinyHttpd, cpuMs, loadText, median, out, progress, tcpCheck } from './lab-bench.js';
import { matchingRules, naiveChain, naiveSize, renderNaive } from './naive-chain.js';
import { CLIENT, IPERF_PORT, NAMESPACE, onNode as onNodeOf, PORT, SERVER, TWO_POD_DEFAULTS, twoPodCluster } from './two-pods.js';

const say = progress('dataplane');
const envInt = (name: string, dflt: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
};
const ROUNDS = envInt('BENCH_ROUNDS', 15);
const IPERF_ROUNDS = envInt('BENCH_IPERF_ROUNDS', 6);
const CONNS = envInt('BENCH_CONNS', 8_000);
/** The naive chain is ~20× slower per connection: fewer connections keep its runs as short as the others'. */
const CONNS_C = Math.max(200, Math.round(CONNS / 15));
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 4);
/** A port the server does not listen on and no policy allows: refused without rules, dropped with them. */
const DENIED_PORT = 8080;
const ALL = ['a', 'a0', 'b', 'c', 'b_open', 'b_tiny', 'a_ct'] as const;
type Config = (typeof ALL)[number];
const DIAG = process.env.BENCH_DIAG === '1';
const CONFIGS: readonly Config[] = DIAG ? ALL : ALL.slice(0, 4);
const NODE_OF: Record<Config, number> = { a: 1, a0: 2, b: 3, c: 4, b_open: 5, b_tiny: 6, a_ct: 7 };
/** The measured pods on `node`; the crowd spreads over as many nodes as there are rulesets. */
const onNode = (node: number) => onNodeOf(node, { ...TWO_POD_DEFAULTS, nodes: CONFIGS.length });
/** What an unallowed port does under each ruleset: dropped where policy is enforced, refused where it is not. */
const DENIED: Record<Config, 'timeout' | 'refused'> = { a: 'refused', a0: 'refused', b: 'timeout', c: 'timeout', b_open: 'refused', b_tiny: 'timeout', a_ct: 'refused' };

interface Path { cfg: Config; client: PodNet; server: PodNet; httpdPid: number; what: string }
interface ConnSample { rate: number; conns: number; serverMs: number; clientMs: number }

/** b changed for a diagnostic config: the measured pods open (no policy-set lookups), or policy sets of one element. */
function diagnostic(cfg: Config, c: Compiled, client: string, server: string): Ruleset {
  const [cid, sid] = [c.ids.ofPod.get(client)!, c.ids.ofPod.get(server)!];
  const covers = (k: Component | undefined, id: number) => (typeof k === 'number' ? k === id : k !== undefined && k[0] <= id && id <= k[1]);
  const flow = (e: Element) => covers(e.key[0], cid) && covers(e.key[1], sid) && e.key[2] === 6 && covers(e.key[3], PORT);
  const t = c.ruleset.tables[0]!;
  const sets = t.sets.map((s): NamedSet => {
    if (cfg === 'b_open' && (s.name === 'egress_open' || s.name === 'ingress_open')) return { ...s, elements: [{ key: [s.name === 'egress_open' ? cid : sid] }] };
    if (cfg === 'b_tiny' && shardSetDirection(s.name)) return { ...s, elements: s.elements.filter(flow) };
    return s;
  });
  return { tables: [{ ...t, sets }] };
}

/** The ruleset of one config (nft JSON or syntax; null: none) with the self-checks that make it what the issue asks for. */
function ruleset(cfg: Config): { text: string | null; what: string } {
  const opts = onNode(NODE_OF[cfg]);
  const node = `node${opts.node}`;
  const objects = twoPodCluster(opts);
  if (cfg === 'a') return { text: null, what: 'no nft table' };
  if (cfg === 'a_ct') {
    const established = rule('replies and related packets', [{ type: 'ct-state', states: ['established', 'related'] }], { type: 'accept' });
    const rs: Ruleset = { tables: [{ family: FAMILY, name: TABLE, sets: [], chains: [{ name: 'forward', hook: 'forward', priority: 0, policy: 'accept', rules: [established] }] }] };
    return { text: stringify(render(rs)), what: 'conntrack only (ct state established,related accept)' };
  }
  if (cfg === 'a0') {
    const rs = compile(buildEngine(objects.filter((o) => o.kind !== 'NetworkPolicy')), { node, enforcement: 'podwall' });
    return { text: stringify(render(rs)), what: `podwall table, no policies (${Object.values(elementCounts(rs)).reduce((x, y) => x + y, 0)} elements)` };
  }
  let t = performance.now();
  const engine = buildEngine(objects);
  const buildMs = performance.now() - t;
  const pod = (name: string) => podEndpoint(engine.cluster.podById.get(`${NAMESPACE}/${name}`)!);
  if (!engine.evaluate({ src: pod(CLIENT), dst: pod(SERVER), port: PORT, protocol: 'TCP' }).allowed) throw new Error('self-check: the engine denies the measured flow');
  if (cfg !== 'c') {
    t = performance.now();
    const compiled = compileDetailed(engine, { node, enforcement: 'podwall' });
    const compileMs = performance.now() - t;
    if (cfg === 'b') {
      const peers = engine.policies.reduce((n, p) => n + p.rules.reduce((m, r) => m + r.peers.length, 0), 0);
      say(`b: ${engine.policies.length} policies, ${peers} peer entries, ${engine.cluster.pods.length} pods; engine ${buildMs.toFixed(0)} ms, compile ${compileMs.toFixed(0)} ms`);
    }
    const rs = cfg === 'b' ? compiled.ruleset : diagnostic(cfg, compiled, `${NAMESPACE}/${CLIENT}`, `${NAMESPACE}/${SERVER}`);
    const counts = elementCounts(rs);
    return { text: stringify(render(rs)), what: `${cfg === 'b' ? 'podwall table' : `diagnostic (${cfg})`}: ${Object.values(counts).reduce((x, y) => x + y, 0)} set elements ${JSON.stringify(counts)}` };
  }
  const naive = naiveChain(engine, node);
  const hits = matchingRules(naive, opts.clientIp, opts.serverIp, PORT);
  const lastOf = (d: string) => naive.rules.map((r, i) => (r.direction === d ? i : -1)).filter((i) => i >= 0).pop();
  if (hits.length !== 2 || hits[0]!.index !== lastOf('egress') || hits[1]!.index !== lastOf('ingress')) {
    throw new Error(`self-check: the measured flow must match only the last rule of each naive chain (matched ${hits.map((h) => h.index).join(',')})`);
  }
  const text = renderNaive(naive);
  const size = naiveSize(text);
  return { text, what: `naive chains: ${size.rules} rules (${naive.rules.length} peer rules), ${size.sets} named address sets; the flow matches rules #${hits.map((h) => h.index + 1).join(' and #')}` };
}

/** One node's pods, servers and ruleset; checks that the ruleset really enforces. */
async function setUp(lab: BenchLab, cfg: Config, httpd: string): Promise<Path> {
  const opts = onNode(NODE_OF[cfg]);
  const node = `node${opts.node}`;
  const rs = ruleset(cfg);
  const spec = (name: string, ip: string) => ({ namespace: NAMESPACE, name: `${name}-${cfg.replace('_', '-')}`, node, ip });
  const client = await createPodNetwork(spec(CLIENT, opts.clientIp), lab.ctx);
  const server = await createPodNetwork(spec(SERVER, opts.serverIp), lab.ctx);
  await activatePod(client, lab.ctx);
  await activatePod(server, lab.ctx);
  const http = lab.spawnIn(server.netns, [httpd, String(PORT)]);
  lab.spawnIn(server.netns, ['iperf3', '-s', '-p', String(IPERF_PORT)]);
  for (let i = 0; (await tcpCheck(lab, client.netns, server.ip, PORT)) !== 'open'; i++) {
    if (i > 50) throw new Error(`${cfg}: the server pod does not answer`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const t = performance.now();
  if (rs.text !== null) {
    const ex = createExecutor({ netns: nodeNetns(node, lab.ctx.prefix) });
    try {
      await ex.apply(rs.text);
    } finally {
      ex.close();
    }
  }
  const ms = performance.now() - t;
  // Port 80 open; an unallowed port dropped (b, c) or refused (a, a0).
  const [open, other] = [await tcpCheck(lab, client.netns, server.ip, PORT), await tcpCheck(lab, client.netns, server.ip, DENIED_PORT, 0.5)];
  const want = DENIED[cfg];
  say(`${cfg} on ${node}: ${rs.what}; applied in ${ms.toFixed(0)} ms; :${PORT} ${open}, :${DENIED_PORT} ${other} (want open, ${want})`);
  if (open !== 'open' || other !== want) throw new Error(`ruleset ${cfg} does not behave as compiled`);
  return { cfg, client, server, httpdPid: http.pid!, what: rs.what };
}

function parseAb(text: string): { rate: number; complete: number; failed: number } {
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  return { rate: num(/Requests per second:\s+([\d.]+)/), complete: num(/Complete requests:\s+(\d+)/), failed: num(/Failed requests:\s+(\d+)/) };
}

async function connRate(lab: BenchLab, p: Path): Promise<ConnSample> {
  const n = p.cfg === 'c' ? CONNS_C : CONNS;
  const cpu0 = cpuMs(p.httpdPid);
  // `times` after ab: the shell's and then its children's (ab's) user and system time.
  const script = `ab -q -n ${n} -c ${CONCURRENCY} -s 5 -r http://${p.server.ip}:${PORT}/ ; times`;
  const r = await lab.runIn(p.client.netns, ['timeout', '60', 'bash', '-c', script]);
  const ab = parseAb(r.stdout);
  if (r.code !== 0 || !(ab.rate > 0) || ab.complete !== n || ab.failed !== 0) {
    throw new Error(`ab failed (exit ${r.code}, ${ab.complete} complete, ${ab.failed} failed): ${r.stderr.trim() || r.stdout.slice(-400)}`);
  }
  const times = [...r.stdout.matchAll(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/g)].pop();
  const childMs = times ? (Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4])) * 1000 : NaN;
  return { rate: ab.rate, conns: n, serverMs: cpuMs(p.httpdPid) - cpu0, clientMs: childMs };
}

async function throughput(lab: BenchLab, p: Path): Promise<number> {
  const r = await lab.runIn(p.client.netns, ['timeout', '20', 'iperf3', '-c', p.server.ip, '-p', String(IPERF_PORT), '-t', '2', '-O', '1', '-J']);
  let bps = NaN;
  try {
    bps = (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
  } catch {
    /* reported below */
  }
  if (!(bps > 0)) throw new Error(`iperf3 failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.slice(-400)}`);
  return bps / 1e9;
}

/** `rounds` rounds over all paths, the order rotating each round; one value per path per round. */
async function rounds<T>(n: number, paths: readonly Path[], measure: (p: Path) => Promise<T>, show: (p: Path, v: T) => string): Promise<Map<Config, T[]>> {
  const res = new Map<Config, T[]>(paths.map((p) => [p.cfg, []]));
  for (let round = 0; round < n; round++) {
    const line: string[] = [];
    for (let i = 0; i < paths.length; i++) {
      const p = paths[(i + round) % paths.length]!;
      const v = await measure(p);
      res.get(p.cfg)!.push(v);
      line.push(`${p.cfg} ${show(p, v)}`);
    }
    say(`round ${round + 1}/${n}: ${line.join(', ')}; load ${loadText()}`);
  }
  return res;
}

/** Median over rounds of x/y within the same round (adjacent runs: the same background load). */
const pairedRatio = (xs: readonly number[], ys: readonly number[]) => median(xs.map((x, i) => x / ys[i]!));
const span = (xs: readonly number[], d: number) => `${Math.min(...xs).toFixed(d)}…${Math.max(...xs).toFixed(d)}`;

async function main(lab: BenchLab): Promise<number> {
  const load0 = loadText();
  say(`load average ${load0}; ab ${ROUNDS} rounds × ${CONFIGS.length} rulesets (${CONNS} connections, ${CONNS_C} for c; concurrency ${CONCURRENCY}), iperf3 ${IPERF_ROUNDS} rounds × 2 s`);
  const httpd = buildTinyHttpd(lab.ctx.stateDir);
  await labUp({ nodes: CONFIGS.length, startAgents: false, world: false, onProgress: (l) => say(`lab: ${l}`) }, lab.ctx);
  const paths: Path[] = [];
  for (const cfg of CONFIGS) paths.push(await setUp(lab, cfg, httpd));
  const conn = await rounds(ROUNDS, paths, (p) => connRate(lab, p), (_, v) => `${v.rate.toFixed(0)}/s`);
  // The diagnostic variants admit port 80 only (b_tiny), and are about connections anyway.
  const tput = await rounds(IPERF_ROUNDS, paths.filter((p) => ALL.indexOf(p.cfg) < 4), (p) => throughput(lab, p), (_, v) => `${v.toFixed(2)} Gbit/s`);
  const rates = (c: Config) => conn.get(c)!.map((s) => s.rate);
  const gbps = (c: Config) => tput.get(c) ?? [];
  const load1 = loadText();
  out(`podwall dataplane benchmark (node ${process.version}; medians of ${ROUNDS} ab and ${IPERF_ROUNDS} iperf3 rounds; load average ${load0} at start, ${load1} at end)`);
  for (const p of paths) {
    const c = p.cfg;
    // CPU per connection over all rounds (the clock-tick resolution of one short run is too coarse).
    const sum = (k: 'conns' | 'serverMs' | 'clientMs') => conn.get(c)!.reduce((n, s) => n + s[k], 0);
    const us = (k: 'serverMs' | 'clientMs') => ((sum(k) * 1000) / sum('conns')).toFixed(1);
    const tp = gbps(c).length > 0 ? `${median(gbps(c)).toFixed(2)} Gbit/s (${span(gbps(c), 2)})` : 'no iperf3';
    out(`  ${c.padEnd(6)}  ${median(rates(c)).toFixed(0).padStart(6)} conn/s (${span(rates(c), 0)})  ${tp}`
      + `  CPU/conn: server ${us('serverMs')} µs, ab ${us('clientMs')} µs   ${p.what}`);
  }
  const r = {
    ba: pairedRatio(rates('b'), rates('a')), ba0: pairedRatio(rates('b'), rates('a0')), a0a: pairedRatio(rates('a0'), rates('a')),
    bc: pairedRatio(rates('b'), rates('c')), tba: pairedRatio(gbps('b'), gbps('a')), tba0: pairedRatio(gbps('b'), gbps('a0')),
  };
  const f = (x: number, d = 2) => x.toFixed(d);
  if (DIAG) out(`  diagnostic paired ratios: b_open/b ${f(pairedRatio(rates('b_open'), rates('b')))}, b_tiny/b ${f(pairedRatio(rates('b_tiny'), rates('b')))}, a0/b ${f(pairedRatio(rates('a0'), rates('b')))}, a_ct/a ${f(pairedRatio(rates('a_ct'), rates('a')))} (conntrack alone), b/a_ct ${f(pairedRatio(rates('b'), rates('a_ct')))}`);
  out(`  paired ratios: conn rate b/a ${f(r.ba)} (goal >= 0.9), b/a0 ${f(r.ba0)}, a0/a ${f(r.a0a)} (conntrack and the table alone), b/c ${f(r.bc)} (goal >= 3); `
    + `throughput b/a ${f(r.tba)} (goal >= 0.9), b/a0 ${f(r.tba0)}`);
  const rate = (c: Config) => median(rates(c));
  const tp = (c: Config) => median(gbps(c));
  out(`bench:dataplane conn_rate_a=${f(rate('a'), 0)} conn_rate_a0=${f(rate('a0'), 0)} conn_rate_b=${f(rate('b'), 0)} conn_rate_c=${f(rate('c'), 0)}`
    + ` tput_a_gbps=${f(tp('a'))} tput_a0_gbps=${f(tp('a0'))} tput_b_gbps=${f(tp('b'))} tput_c_gbps=${f(tp('c'))}`
    + ` ratio_b_a=${f(r.ba)} ratio_b_a0=${f(r.ba0)} ratio_b_c=${f(r.bc)} tput_ratio_b_a=${f(r.tba)} tput_ratio_b_a0=${f(r.tba0)} load1=${load1.split(' ')[0]}`);
  return 0;
}

process.exitCode = await new BenchLab('dataplane', say).run(main);
