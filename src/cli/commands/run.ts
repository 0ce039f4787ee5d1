import { Command } from 'commander';
import type { ContainerPort, Pod } from '../../api/types.js';
import { nameProblem } from '../../api/validate/formats.js';
import { execInPod } from '../../lab/supervisor.js';
import { schedulePods } from '../../lab/schedule.js';
import { BUILTIN_NAMESPACES } from '../../store/index.js';
import { EXIT, ExitError, UsageError } from '../../shared/errors.js';
import { waitForLab } from '../lab-sync.js';
import { addStoreOption, withStore, type StoreFlags } from '../store-access.js';
import { writeOut } from '../write.js';
import { agnhostArgv } from './exec.js';

interface RunFlags extends StoreFlags {
  namespace: string;
  labels?: string;
  port?: string;
  image?: string;
  command?: boolean;
  stdin?: boolean;
  tty?: boolean;
  rm?: boolean;
  node?: string;
}

/** `a=b,c=d` → labels; kubectl's --labels syntax. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid label "${part}": expected key=value`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function podManifest(name: string, opts: RunFlags, argv: string[]): Pod {
  const ports: ContainerPort[] = opts.port ? [{ containerPort: Number(opts.port) }] : [];
  if (opts.port && !(Number(opts.port) >= 1 && Number(opts.port) <= 65535)) throw new UsageError(`--port must be 1-65535 (got ${opts.port})`);
  const labels = parseLabels(opts.labels);
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: opts.namespace, labels: Object.keys(labels).length > 0 ? labels : { run: name } },
    spec: {
      ...(opts.node ? { nodeName: opts.node } : {}),
      containers: [{ name, ...(opts.image ? { image: opts.image } : {}), ...(argv.length ? { command: agnhostArgv(argv) } : {}), ...(ports.length ? { ports } : {}) }],
    } as Pod['spec'],
  };
}

/** kubectl run: write the pod (scheduled: node and address), wait until its node runs it under its policies. */
export async function runPod(name: string, argv: string[], opts: RunFlags): Promise<Pod> {
  const problem = nameProblem(name, 'dns1123-subdomain');
  if (problem) throw new ExitError(EXIT.diagnostics, `The Pod "${name}" is invalid: metadata.name: ${problem}`);
  // -it starts a waiting pod and attaches the command to the terminal, as `kubectl run -it` attaches to it.
  const podArgv = opts.stdin && opts.tty ? ['agnhost', 'pause'] : argv;
  const pod = podManifest(name, opts, podArgv);
  const { revision, scheduled } = await withStore(opts, 'write', (store) => {
    const snap = store.list();
    if (!BUILTIN_NAMESPACES.includes(opts.namespace) && !snap.objects.some((o) => o.kind === 'Namespace' && o.metadata.name === opts.namespace)) {
      throw new ExitError(EXIT.diagnostics, `Error from server (NotFound): namespaces "${opts.namespace}" not found`);
    }
    const placed = schedulePods([pod], snap.objects);
    if (!placed.ok) throw new ExitError(EXIT.diagnostics, `error: cannot schedule pod ${placed.pod}: ${placed.message}`);
    const out = store.applyDetailed(placed.pods, { createOnly: true });
    return { revision: out.revision, scheduled: placed.pods[0]! };
  });
  await waitForLab(opts.store, revision);
  return scheduled;
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('Run a pod in the lab: its own network namespace on a node, its process supervised (kubectl run)')
    .argument('<name>', 'pod name')
    .argument('[command...]', 'the command after --; default: wait forever (agnhost pause)')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-l, --labels <k=v,...>', 'labels of the pod (default run=<name>)')
    .option('--port <port>', 'the container port the pod serves')
    .option('--image <image>', 'recorded for kubectl compatibility; pods run host binaries (agnhost, curl, sh ...)')
    .option('--command', 'the arguments after -- are the command (kubectl compatibility; always so here)')
    .option('-i, --stdin', 'keep stdin open (with -t: attach the command to this terminal)')
    .option('-t, --tty', 'allocate a terminal')
    .option('--rm', 'delete the pod when the attached command ends (with -it)')
    .option('--node <node>', 'run on this node instead of the least loaded one')
    .addHelpText('after', `
Exit codes: 0 created (with -it: the command's own exit code), 1 invalid or exists, 2 usage, 4 lab or store unavailable.

Examples:
  podwall run server -n demo --labels="app=server" --port=80 --command -- agnhost serve-hostname --tcp --http=false --port 80
  podwall run client -n demo
  podwall run -it client -n demo --command -- bash`)
    .action(async (name: string, argv: string[], opts: RunFlags) => {
      const pod = await runPod(name, argv, opts);
      await writeOut(`pod/${name} created\n`);
      if (!(opts.stdin && opts.tty)) return;
      const ref = { namespace: opts.namespace, name, ip: pod.status?.podIP };
      const code = await execInPod(ref, agnhostArgv(argv.length ? argv : ['sh']), { stdin: true, tty: true });
      if (opts.rm) {
        const revision = await withStore(opts, 'write', (store) => store.delete([{ kind: 'Pod', namespace: opts.namespace, name }]));
        await waitForLab(opts.store, revision);
        await writeOut(`pod "${name}" deleted\n`);
      }
      if (code !== 0) throw new ExitError(code);
    });
  return addStoreOption(cmd);
}
