/** Where an agnhost command writes, so commands run the same in-process (tests) and as the `agnhost` program. */
export interface AgnhostIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A line the way Go's `log` package prints it: `2006/01/02 15:04:05 message` on stderr. */
export function logLine(io: AgnhostIo, message: string): void {
  const d = new Date();
  const stamp = `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  io.stderr(`${stamp} ${message.endsWith('\n') ? message : `${message}\n`}`);
}

/** The process's own streams and environment. */
export function processIo(): AgnhostIo {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
  };
}
