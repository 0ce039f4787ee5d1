import * as z from 'zod';
import { K8S_PROTOCOLS } from '../../types.js';
import { looseMeta, opt, stringMap, typeMeta } from './common.js';

/**
 * core/v1 kinds, lenient: only the fields podwall reads (types.ts) are typed; everything else passes,
 * since these objects usually come from `kubectl get -o yaml` with many fields podwall ignores.
 */

const protocol = opt(z.enum(K8S_PROTOCOLS));

export const namespaceSchema = z.looseObject({ ...typeMeta, metadata: looseMeta });

export const podSchema = z.looseObject({
  ...typeMeta,
  metadata: looseMeta,
  spec: opt(z.looseObject({
    nodeName: opt(z.string()),
    hostNetwork: opt(z.boolean()),
    serviceAccountName: opt(z.string()),
    containers: opt(z.array(z.looseObject({
      name: opt(z.string()),
      ports: opt(z.array(z.looseObject({ name: opt(z.string()), containerPort: z.int(), protocol }))),
    }))),
  })),
  status: opt(z.looseObject({
    phase: opt(z.string()),
    podIP: opt(z.string()),
    podIPs: opt(z.array(z.looseObject({ ip: z.string() }))),
    hostIP: opt(z.string()),
  })),
});

export const nodeSchema = z.looseObject({
  ...typeMeta,
  metadata: looseMeta,
  spec: opt(z.looseObject({ podCIDR: opt(z.string()), podCIDRs: opt(z.array(z.string())) })),
  status: opt(z.looseObject({
    addresses: opt(z.array(z.looseObject({ type: z.string(), address: z.string() }))),
  })),
});

export const serviceSchema = z.looseObject({
  ...typeMeta,
  metadata: looseMeta,
  spec: opt(z.looseObject({
    type: opt(z.string()),
    clusterIP: opt(z.string()),
    clusterIPs: opt(z.array(z.string())),
    selector: opt(stringMap),
    ports: opt(z.array(z.looseObject({
      name: opt(z.string()),
      port: z.int(),
      targetPort: opt(z.union([z.int(), z.string()])),
      protocol,
    }))),
  })),
});
