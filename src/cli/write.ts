import { once } from 'node:events';

/** Write a string or a stream of chunks to stdout, honouring back-pressure (large JSON outputs). */
export async function writeOut(out: string | Iterable<string>): Promise<void> {
  const chunks = typeof out === 'string' ? [out] : out;
  for (const c of chunks) {
    if (!process.stdout.write(c)) await once(process.stdout, 'drain');
  }
}
