import type { ChildProcess } from 'node:child_process';
import { monoMs } from './lab-bench.js';

/**
 * The benchmark's side of bench/probe.ts: collects `<send time> <outcome>` lines and answers when the
 * verdict flipped. Outcomes arrive in the order they are decided, so a dropped probe (decided after the
 * probe timeout) comes later than an answered one sent after it; `flip` sorts by send time.
 */
export class Prober {
  private readonly sent: number[] = [];
  private readonly ok: boolean[] = [];
  private rest = '';
  private errors = 0;

  /** `stop` ends the probe process (the lab's `stop`, by pid). */
  constructor(private readonly child: ChildProcess, private readonly stop: (c: ChildProcess) => Promise<void>, private readonly timeoutMs: number) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const lines = (this.rest + chunk).split('\n');
      this.rest = lines.pop()!;
      for (const line of lines) {
        const [t, o] = line.split(' ');
        if (o === 'e') this.errors++;
        this.sent.push(Number(t));
        // Refused or reset still means the packet got through the firewall.
        this.ok.push(o !== '0');
      }
    });
  }

  /** Probes sent at or after `since`, by send time. */
  private since(since: number): { t: number; ok: boolean }[] {
    const out: { t: number; ok: boolean }[] = [];
    // Decisions come at most the probe timeout (plus scheduling slack) after the send.
    for (let i = this.sent.length - 1; i >= 0 && this.sent[i]! >= since - this.timeoutMs - 1000; i--) {
      if (this.sent[i]! >= since) out.push({ t: this.sent[i]!, ok: this.ok[i]! });
    }
    return out.sort((a, b) => a.t - b.t);
  }

  /**
   * When the verdict became `allowed` for good: the send time of the first probe after the last probe
   * (sent at or after `since`) with the old verdict. Null when no probe with the new verdict came after
   * it yet. A slow answer taken for a drop after the flip can only make this later, never earlier.
   */
  flip(since: number, allowed: boolean): number | null {
    const probes = this.since(since);
    let last = -1;
    probes.forEach((p, i) => {
      if (p.ok !== allowed) last = i;
    });
    return probes[last + 1]?.t ?? null;
  }

  /**
   * `flip`, once settled: waits (up to `timeoutMs`) until a probe sent more than the probe timeout (plus
   * slack) after the candidate flip has been decided, so every probe sent before it has been decided
   * too (a dropped probe is only known a timeout after its send) and a late old-verdict probe cannot
   * move the flip later any more. Null when it never flipped.
   */
  async settledFlip(since: number, allowed: boolean, timeoutMs: number): Promise<number | null> {
    const start = monoMs();
    for (;;) {
      const f = this.flip(since, allowed);
      if (f !== null && this.latest() > f + this.timeoutMs + 30) return this.flip(since, allowed);
      if (monoMs() - start > timeoutMs) return null;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The latest send time of any decided probe. */
  private latest(): number {
    let m = -Infinity;
    for (let i = this.sent.length - 1; i >= 0 && i >= this.sent.length - 2000; i--) m = Math.max(m, this.sent[i]!);
    return m;
  }

  /** Wait (up to `timeoutMs`) for any probe with the given outcome; its send time, or null. */
  async waitFor(allowed: boolean, timeoutMs: number): Promise<number | null> {
    const start = monoMs();
    const from = this.sent.length;
    while (monoMs() - start < timeoutMs) {
      for (let i = from; i < this.sent.length; i++) if (this.ok[i] === allowed) return this.sent[i]!;
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  }

  stats(): { probes: number; errors: number } {
    return { probes: this.sent.length, errors: this.errors };
  }

  close(): Promise<void> {
    return this.stop(this.child);
  }
}
