/** Colour and progress only on a terminal (and never with NO_COLOR), plain lines when piped. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color, on: boolean): string {
  return on ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

/**
 * Progress for work that may take more than a second: a spinner line on a terminal, one plain line
 * per step when stderr is piped. Returns a function that ends it.
 */
export function progress(label: string): { step(text: string): void; done(text?: string): void } {
  const tty = process.stderr.isTTY === true;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  let current = label;
  const timer = tty
    ? setInterval(() => process.stderr.write(`\r${frames[i++ % frames.length]} ${current}\u001b[K`), 100)
    : undefined;
  timer?.unref();
  return {
    step(text) {
      current = `${label}: ${text}`;
      if (!tty) process.stderr.write(`${current}\n`);
    },
    done(text) {
      if (timer) clearInterval(timer);
      if (tty) process.stderr.write(`\r\u001b[K${text ? `${text}\n` : ''}`);
      else if (text) process.stderr.write(`${text}\n`);
    },
  };
}
