import { runProber } from './prober.js';

// The prober program: `ip netns exec <netns> node dist/src/live/prober-main.js` (see prober.ts). It ends when
// its stdin ends, so a prober never outlives the run that started it.
await runProber(process.stdin, (line) => void process.stdout.write(line), process.env.POD_NAME ?? 'prober', process.pid * 7919);
process.exit(0);
