import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';

/**
 * Forwarding to the upstream DNS server. Each forwarded query gets an ID of the proxy's own (so answers
 * of two pods that chose the same ID cannot be confused, and an answer nobody asked for is dropped);
 * the caller puts the pod's ID back.
 */
export interface Exchange {
  /** Send `query` (its ID is rewritten in place) and resolve with the answer's bytes, or null on timeout / close. */
  send(query: Buffer, timeoutMs: number): Promise<Buffer | null>;
  close(): void;
}

interface Pending {
  resolve: (b: Buffer | null) => void;
  timer: NodeJS.Timeout;
}

class IdTable {
  private next = Math.floor(Math.random() * 65536);
  readonly pending = new Map<number, Pending>();

  /** A free ID, or null when 65,536 queries are in flight. */
  take(): number | null {
    if (this.pending.size >= 65536) return null;
    while (this.pending.has(this.next)) this.next = (this.next + 1) & 0xffff;
    const id = this.next;
    this.next = (this.next + 1) & 0xffff;
    return id;
  }

  wait(id: number, timeoutMs: number): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
    });
  }

  /** Deliver an answer; false when no query waits for its ID. */
  deliver(buf: Buffer): boolean {
    if (buf.length < 12) return false;
    const p = this.pending.get(buf.readUInt16BE(0));
    if (!p) return false;
    this.pending.delete(buf.readUInt16BE(0));
    clearTimeout(p.timer);
    p.resolve(buf);
    return true;
  }

  failAll(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.resolve(null);
    }
  }
}

/** One UDP socket per upstream, shared by all pods; answers from any other address are dropped. */
export function udpExchange(host: string, port: number, onStray: () => void): Exchange {
  const ids = new IdTable();
  const sock: Socket = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    if (rinfo.address !== host || rinfo.port !== port || !ids.deliver(msg)) onStray();
  });
  sock.on('error', () => undefined);
  sock.bind(0);
  return {
    send(query, timeoutMs) {
      const id = ids.take();
      if (id === null) return Promise.resolve(null);
      query.writeUInt16BE(id, 0);
      const answer = ids.wait(id, timeoutMs);
      sock.send(query, port, host, (err) => {
        if (err) ids.deliver(Buffer.concat([query.subarray(0, 2), Buffer.alloc(10)])); // fail that query fast (a 12-byte non-answer)
      });
      return answer;
    },
    close() {
      ids.failAll();
      try { sock.close(); } catch { /* closed already */ }
    },
  };
}

/** Split a TCP byte stream into DNS messages (2-byte length prefix). Returns a push function. */
export function tcpFramer(onMessage: (m: Buffer) => void, onTooLarge: () => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len < 12) {
        onTooLarge();
        buf = Buffer.alloc(0);
        return;
      }
      if (buf.length < 2 + len) return;
      onMessage(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
    }
  };
}

export function frame(m: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(m.length, 0);
  return Buffer.concat([len, m]);
}

/** A TCP connection to the upstream for one pod connection (DNS over TCP keeps a connection per client). */
export function tcpExchange(host: string, port: number, onStray: () => void): Exchange {
  const ids = new IdTable();
  let sock: TcpSocket | null = null;
  const open = () => {
    const s = connect({ host, port });
    s.setNoDelay(true);
    s.on('data', tcpFramer((m) => { if (!ids.deliver(m)) onStray(); }, onStray));
    s.on('error', () => undefined);
    s.on('close', () => {
      if (sock === s) sock = null;
      ids.failAll();
    });
    return s;
  };
  return {
    send(query, timeoutMs) {
      const id = ids.take();
      if (id === null) return Promise.resolve(null);
      query.writeUInt16BE(id, 0);
      const answer = ids.wait(id, timeoutMs);
      sock ??= open();
      sock.write(frame(query));
      return answer;
    },
    close() {
      ids.failAll();
      sock?.destroy();
      sock = null;
    },
  };
}
