// The lab's public surface: pods as network namespaces on one machine (docs/lab.md).
export { DEFAULT_PREFIX, labContext, labPrefix, labStateDir, nodeIndex, nodeName, nodeNetns, nodeIp, podHash, podNetns, podHostIf, podMacs, podStateDir, type LabContext } from './names.js';
export { IpCommandError, ip, ipBatch, ipJson, runProcess, type ProcessResult } from './ip-command.js';
export { createNode, deleteNode, labNode, requireNode, listLinks, type LabNode } from './node.js';
export { connectNodes } from './fabric.js';
export { CLUSTER_CIDR, allocateIp, podCidr, type IpamResult } from './ipam.js';
export { POD_GATEWAY, activatePod, createPodNetwork, deactivatePod, deletePodNetwork, podNet, type PodNet, type PodSpec } from './pod-network.js';
export { listLabObjects, removeLabObjects, removeLabState, type LabObjects } from './cleanup.js';
export { execInPod, execInPodCapture, labBinDir, podEnv, podFiles, podLogs, podProcessState, startPod, stopPod, type PodProcessState, type PodRef } from './supervisor.js';
export { labDown, labUp, requireRoot, type LabInfo } from './lab.js';
export { formatLabStatusTxt, labStatus, type LabStatus } from './status.js';
export { killProcessesIn, listNetns, netnsExists, pidsInNetns } from './netns.js';
export { waitFor } from './wait.js';
