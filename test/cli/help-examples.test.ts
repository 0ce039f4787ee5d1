import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

// DEVELOPERS.md: `--help` with examples on every command. Walks the whole command tree, hidden internals
// (started by `lab up`) excepted.
function visible(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  return [{ path, cmd }, ...subs.flatMap((c) => visible(c, [...path, c.name()]))];
}

describe('--help', () => {
  const all = visible(buildProgram()).filter((c) => c.path.length > 0);

  it('walks every command', () => {
    expect(all.map((c) => c.path.join(' '))).toEqual(expect.arrayContaining(['observe', 'ui', 'status', 'connectivity test', 'fqdn cache list', 'lab world stop']));
  });

  it.each(all.map((c) => [c.path.join(' '), c.cmd] as const))('%s has examples', (_name, cmd) => {
    expect(cmd.helpInformation() + helpAfter(cmd)).toContain('Examples:');
  });
});

/** The text `addHelpText('after', ...)` adds (commander prints it around helpInformation()). */
function helpAfter(cmd: Command): string {
  let out = '';
  const write = (s: string) => { out += s; };
  cmd.configureOutput({ writeOut: write, writeErr: write });
  cmd.outputHelp();
  return out;
}
