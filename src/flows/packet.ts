/** The fields of a logged IPv4 packet a flow needs: addresses, protocol, ports, TCP flags. Pure. */

export interface PacketInfo {
  saddr: string;
  daddr: string;
  proto: 'TCP' | 'UDP' | 'SCTP' | 'ICMP';
  protoNumber: number;
  sport?: number;
  dport?: number;
  tcpFlags?: string[];
}

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'] as const;
const PROTOS: Record<number, PacketInfo['proto']> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 132: 'SCTP' };

const ip = (b: Buffer, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** null for anything but IPv4 with a known protocol (the lab is IPv4). */
export function parseIpv4(b: Buffer): PacketInfo | null {
  if (b.length < 20 || b[0]! >> 4 !== 4) return null;
  const ihl = (b[0]! & 15) * 4;
  const protoNumber = b[9]!;
  const proto = PROTOS[protoNumber];
  if (!proto) return null;
  const out: PacketInfo = { saddr: ip(b, 12), daddr: ip(b, 16), proto, protoNumber };
  if (proto !== 'ICMP' && b.length >= ihl + 4) {
    out.sport = b.readUInt16BE(ihl);
    out.dport = b.readUInt16BE(ihl + 2);
  }
  if (proto === 'TCP' && b.length >= ihl + 14) {
    const f = b[ihl + 13]!;
    out.tcpFlags = TCP_FLAGS.filter((_, i) => (f & (1 << i)) !== 0);
  }
  return out;
}
