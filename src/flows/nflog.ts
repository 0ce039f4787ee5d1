/**
 * NFLOG records from a pcap stream (`tcpdump -i nflog:N -w -`, link type DLT_NFLOG = 239): the pcap
 * file header, then per packet a record header and the NFLOG pseudo-header followed by TLVs
 * (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html: lengths and types in host byte order,
 * values padded to 4 bytes). Pure and incremental: feed chunks as they arrive, get whole records.
 */

export const LINKTYPE_NFLOG = 239;
const NFULA_MARK = 2;
const NFULA_PAYLOAD = 9;
const NFULA_PREFIX = 10;

export interface NflogRecord {
  /** Capture time, ms since the epoch (with fractions). */
  timeMs: number;
  group: number;
  prefix: string;
  mark: number | null;
  /** The logged packet from its network header (IPv4 here), cut to the rule's snaplen. */
  payload: Buffer;
}

/** Incremental pcap reader; throws on a stream that is not pcap of NFLOG. */
export class NflogPcapParser {
  private buf: Buffer = Buffer.alloc(0);
  private little: boolean | null = null;
  private nanos = false;

  /** Feed a chunk; returns the complete records it finished. */
  push(chunk: Buffer): NflogRecord[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: NflogRecord[] = [];
    let off = 0;
    if (this.little === null) {
      if (this.buf.length < 24) return out;
      this.header();
      off = 24;
    }
    const le = this.little!;
    while (this.buf.length - off >= 16) {
      const sec = le ? this.buf.readUInt32LE(off) : this.buf.readUInt32BE(off);
      const frac = le ? this.buf.readUInt32LE(off + 4) : this.buf.readUInt32BE(off + 4);
      const incl = le ? this.buf.readUInt32LE(off + 8) : this.buf.readUInt32BE(off + 8);
      if (this.buf.length - off - 16 < incl) break;
      const rec = parseNflog(this.buf.subarray(off + 16, off + 16 + incl), sec * 1000 + (this.nanos ? frac / 1e6 : frac / 1e3), le);
      if (rec) out.push(rec);
      off += 16 + incl;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
    return out;
  }

  private header(): void {
    const magic = this.buf.readUInt32LE(0);
    if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.little = true;
    else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) this.little = false;
    else throw new Error(`not a pcap stream (magic 0x${magic.toString(16)})`);
    this.nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
    const linktype = this.little ? this.buf.readUInt32LE(20) : this.buf.readUInt32BE(20);
    if ((linktype & 0xffff) !== LINKTYPE_NFLOG) throw new Error(`pcap link type ${linktype}, expected NFLOG (${LINKTYPE_NFLOG})`);
  }
}

/** One NFLOG packet: pseudo-header (family, version, group big-endian), then TLVs. null when malformed. */
export function parseNflog(b: Buffer, timeMs: number, little: boolean): NflogRecord | null {
  if (b.length < 4) return null;
  const group = b.readUInt16BE(2);
  let prefix = '';
  let mark: number | null = null;
  let payload: Buffer | null = null;
  let off = 4;
  while (off + 4 <= b.length) {
    const len = little ? b.readUInt16LE(off) : b.readUInt16BE(off);
    const type = (little ? b.readUInt16LE(off + 2) : b.readUInt16BE(off + 2)) & 0x7fff;
    if (len < 4 || off + len > b.length) break;
    const v = b.subarray(off + 4, off + len);
    if (type === NFULA_PREFIX) prefix = v.toString('latin1').replace(/\0.*$/s, '');
    else if (type === NFULA_MARK && v.length >= 4) mark = v.readUInt32BE(0);
    else if (type === NFULA_PAYLOAD) payload = v;
    off += (len + 3) & ~3;
  }
  return payload ? { timeMs, group, prefix, mark, payload } : null;
}
