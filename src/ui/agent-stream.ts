import http from 'node:http';
import type { Flow } from '../flows/flow.js';
import { LineSplitter } from './ndjson.js';
import type { SourceStatus } from './protocol.js';

export interface AgentStreamOptions {
  node: string;
  url: string;
  /** How many buffered flows to ask for on (re)connect. */
  last: number;
  retryMs: number;
  onFlows(flows: Flow[]): void;
  onState(): void;
}

/**
 * One agent's `GET /v1/flows?follow=1` stream, reconnected after errors. A reconnect asks for the agent's
 * buffer again; flows already seen (by time, then seq) are skipped, so nothing is counted twice, and an agent
 * that restarted (seq from 0 again, later times) is still followed.
 */
export class AgentStream {
  state: SourceStatus['state'] = 'connecting';
  error: string | undefined;
  received = 0;
  private lastTime = '';
  private lastSeq = -1;
  private req: http.ClientRequest | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: AgentStreamOptions) {
    this.connect();
  }

  get url(): string {
    return this.opts.url;
  }

  status(): SourceStatus {
    return { node: this.opts.node, url: this.opts.url, state: this.state, ...(this.error ? { error: this.error } : {}), flows: this.received };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.req?.destroy();
  }

  private setState(state: SourceStatus['state'], error?: string): void {
    if (this.state === state && this.error === error) return;
    this.state = state;
    this.error = error;
    this.opts.onState();
  }

  private connect(): void {
    if (this.stopped) return;
    const url = `${this.opts.url}/v1/flows?follow=1&last=${this.opts.last}`;
    const splitter = new LineSplitter();
    const req = http.get(url, { headers: { accept: 'application/x-ndjson' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        this.fail(`HTTP ${res.statusCode ?? '?'} from ${url}`);
        return;
      }
      this.setState('connected');
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.take(splitter.push(chunk)));
      res.on('end', () => this.fail('the agent closed the stream'));
      res.on('error', (err) => this.fail(err.message));
    });
    req.on('error', (err) => this.fail(err.message));
    this.req = req;
  }

  private take(lines: string[]): void {
    const fresh: Flow[] = [];
    for (const line of lines) {
      let flow: Flow;
      try {
        flow = JSON.parse(line) as Flow;
      } catch {
        continue; // a line the agent could not have meant: skip it rather than lose the stream
      }
      if (flow.time < this.lastTime || (flow.time === this.lastTime && flow.seq <= this.lastSeq)) continue;
      this.lastTime = flow.time;
      this.lastSeq = flow.seq;
      fresh.push(flow);
    }
    if (fresh.length === 0) return;
    this.received += fresh.length;
    this.opts.onFlows(fresh);
  }

  private fail(message: string): void {
    if (this.stopped || this.retry) return;
    this.req?.destroy();
    this.setState('error', message);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.setState('connecting', undefined);
      this.connect();
    }, this.opts.retryMs);
  }
}
