/**
 * The dataplane's public surface (docs/lab.md, "The dataplane"). Pure: compile, render, parseListing,
 * diff/plan, simulate. Shell: the nft executors.
 */
export { compile, compileDetailed, ENFORCEMENTS, type CompileOptions, type Compiled, type Enforcement } from './compile.js';
export { DEFAULT_POD_CIDR, identities, type Identities, type Identity } from './identity.js';
export { portRanges, type ProtocolRanges } from './ports.js';
export { elementCounts, type Ruleset } from './ruleset.js';
export { simulate, type Packet, type SimResult } from './simulate.js';
export { diff, plan, type Plan } from './nft/diff.js';
export { parseListing, render, stringify, type NftJson } from './nft/render.js';
export { NftApplyError } from './nft/errors.js';
export { addonPath, createExecutor, nativeExecutor, processExecutor, type ExecutorOptions, type NftExecutor } from './nft/executor.js';
