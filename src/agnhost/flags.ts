/**
 * Command-line flags the way agnhost (cobra/pflag) reads them, so callers written for the real image work:
 * `--name=value` and `--name value`; booleans as `--name`, `--name=true` or `--name=false`; `--` ends flags.
 */

export type FlagType = 'bool' | 'string' | 'int' | 'duration';
export type FlagSpec = Record<string, { type: FlagType; default: boolean | string | number }>;
export type FlagValues = Record<string, boolean | string | number>;

export type ParsedFlags = { ok: true; flags: FlagValues; args: string[] } | { ok: false; error: string };

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parse a Go duration (`3s`, `500ms`, `1m30s`, `1.5s`, `0`) into milliseconds; undefined when invalid.
 * As in Go, a number without a unit is only valid for 0.
 */
export function parseDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

function convert(name: string, type: FlagType, raw: string): { value: boolean | string | number } | { error: string } {
  switch (type) {
    case 'bool': {
      // strconv.ParseBool
      if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return { value: true };
      if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return { value: false };
      return { error: `invalid argument "${raw}" for "--${name}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax` };
    }
    case 'int':
      return /^[-+]?\d+$/.test(raw) ? { value: Number(raw) } : { error: `invalid argument "${raw}" for "--${name}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax` };
    case 'duration': {
      const ms = parseDuration(raw);
      return ms === undefined ? { error: `invalid argument "${raw}" for "--${name}" flag: time: invalid duration "${raw}"` } : { value: ms };
    }
    case 'string':
      return { value: raw };
  }
}

/** Parse `argv` against `spec`; durations come out in milliseconds. */
export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const flags: FlagValues = Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, v.default]));
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const def = spec[name];
    if (!def || (!a.startsWith('--') && name.length > 1)) return { ok: false, error: `unknown flag: ${a.startsWith('--') ? `--${name}` : `-${name}`}` };
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (def.type === 'bool') raw = 'true';
    else if (i + 1 < argv.length) raw = argv[++i]!;
    else return { ok: false, error: `flag needs an argument: --${name}` };
    const v = convert(name, def.type, raw);
    if ('error' in v) return { ok: false, error: v.error };
    flags[name] = v.value;
  }
  return { ok: true, flags, args };
}
