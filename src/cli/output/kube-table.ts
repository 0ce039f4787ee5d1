/**
 * kubectl's table: columns padded to their widest cell plus three spaces (its tabwriter has padding 3),
 * the last column unpadded, headers in capitals.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('');
  return `${all.map(line).join('\n')}\n`;
}
