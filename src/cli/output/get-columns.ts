import type { ApiObject, Namespace, NetworkPolicy, Node, Pod, Service } from '../../api/types.js';
import { formatLabelSelector, formatLabels } from '../label-selector.js';
import { age } from './age.js';
import { formatTable } from './kube-table.js';

/** kubectl's columns of `get` per kind (its built-in printers, pkg/printers/internalversion/printers.go). */
interface Columns {
  headers: string[];
  wide: string[];
  cells(o: ApiObject, now: Date): string[];
  wideCells(o: ApiObject): string[];
}

const NONE = '<none>';

type ContainerStatus = { ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } };

/**
 * READY, STATUS, RESTARTS of a pod: from `status.containerStatuses` when present (a waiting or terminated
 * reason wins over the phase, as kubectl shows CrashLoopBackOff), else from `status.phase`; a pod with
 * neither is shown running (the lab's pods are started when stored).
 */
export function podState(p: Pod): { ready: string; status: string; restarts: string } {
  const statuses = ((p.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses) ?? [];
  const total = Math.max(statuses.length, p.spec?.containers?.length ?? 0, 1);
  const phase = p.status?.phase;
  if (statuses.length > 0) {
    const ready = statuses.filter((s) => s.ready).length;
    const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
    const reason = statuses.map((s) => s.state?.waiting?.reason ?? s.state?.terminated?.reason).find((r) => r !== undefined);
    return { ready: `${ready}/${total}`, status: reason ?? phase ?? 'Running', restarts: String(restarts) };
  }
  if (phase !== undefined) return { ready: `${phase === 'Running' ? total : 0}/${total}`, status: phase, restarts: '0' };
  return { ready: `${total}/${total}`, status: 'Running', restarts: '0' };
}

function created(o: ApiObject): string | undefined {
  return (o.metadata as { creationTimestamp?: string }).creationTimestamp;
}

function nodeRoles(n: Node): string {
  const roles = Object.keys(n.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter((r) => r !== '')
    .sort();
  return roles.length > 0 ? roles.join(',') : NONE;
}

type NodeStatus = { conditions?: { type: string; status: string }[]; nodeInfo?: Record<string, string> };

function nodeState(n: Node): string {
  const ready = ((n.status as NodeStatus | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
  if (!ready) return 'Ready'; // the lab's nodes carry no conditions: a node in the store is up
  return ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown';
}

function address(n: Node, type: string): string {
  return n.status?.addresses?.find((a) => a.type === type)?.address ?? NONE;
}

function servicePorts(s: Service): string {
  const ports = (s.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`);
  return ports.length > 0 ? ports.join(',') : NONE;
}

const COLUMNS: Record<string, Columns> = {
  Pod: {
    headers: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    wide: ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
    cells: (o, now) => {
      const s = podState(o as Pod);
      return [o.metadata.name, s.ready, s.status, s.restarts, age(created(o), now)];
    },
    wideCells: (o) => [(o as Pod).status?.podIP ?? NONE, (o as Pod).spec?.nodeName ?? NONE, NONE, NONE],
  },
  Namespace: {
    headers: ['NAME', 'STATUS', 'AGE'],
    wide: [],
    cells: (o, now) => [o.metadata.name, ((o as Namespace & { status?: { phase?: string } }).status?.phase) ?? 'Active', age(created(o), now)],
    wideCells: () => [],
  },
  Node: {
    headers: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    wide: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    cells: (o, now) => {
      const n = o as Node;
      return [n.metadata.name, nodeState(n), nodeRoles(n), age(created(o), now), (n.status as NodeStatus | undefined)?.nodeInfo?.kubeletVersion ?? NONE];
    },
    wideCells: (o) => {
      const n = o as Node;
      const info = (n.status as NodeStatus | undefined)?.nodeInfo ?? {};
      return [address(n, 'InternalIP'), address(n, 'ExternalIP'), info.osImage ?? NONE, info.kernelVersion ?? NONE, info.containerRuntimeVersion ?? NONE];
    },
  },
  Service: {
    headers: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wide: ['SELECTOR'],
    cells: (o, now) => {
      const s = o as Service;
      return [s.metadata.name, s.spec?.type ?? 'ClusterIP', s.spec?.clusterIP ?? NONE, NONE, servicePorts(s), age(created(o), now)];
    },
    wideCells: (o) => [formatLabels((o as Service).spec?.selector)],
  },
  NetworkPolicy: {
    headers: ['NAME', 'POD-SELECTOR', 'AGE'],
    wide: [],
    cells: (o, now) => [o.metadata.name, formatLabelSelector((o as NetworkPolicy).spec.podSelector), age(created(o), now)],
    wideCells: () => [],
  },
};

const NAME_AGE: Columns = {
  headers: ['NAME', 'AGE'],
  wide: [],
  cells: (o, now) => [o.metadata.name, age(created(o), now)],
  wideCells: () => [],
};

export interface TableOptions {
  wide: boolean;
  /** Prefix a NAMESPACE column (kubectl -A for namespaced kinds). */
  namespaceColumn: boolean;
  showLabels: boolean;
  now: Date;
}

/** `kubectl get KIND` as a table: kubectl's columns for the kind, NAME and AGE for the custom resources. */
export function formatGetTable(kind: string, objects: readonly ApiObject[], opts: TableOptions): string {
  const c = COLUMNS[kind] ?? NAME_AGE;
  const headers = [...(opts.namespaceColumn ? ['NAMESPACE'] : []), ...c.headers, ...(opts.wide ? c.wide : []), ...(opts.showLabels ? ['LABELS'] : [])];
  const rows = objects.map((o) => [
    ...(opts.namespaceColumn ? [o.metadata.namespace ?? ''] : []),
    ...c.cells(o, opts.now),
    ...(opts.wide ? c.wideCells(o) : []),
    ...(opts.showLabels ? [formatLabels(o.metadata.labels)] : []),
  ]);
  return formatTable(headers, rows);
}
