// Help text generated from the registry: `agent --help`, `agent help <command>`, `<command> --help`.
import type { CommandDef } from '../commands/types.js';
import { GROUP_TITLES } from '../commands/registry.js';
import { findCommand, suggestCommands } from '../commands/lookup.js';
import { UsageError } from '../errors.js';
import { GLOBAL_FLAGS, usageLine } from './argv.js';
import type { Style } from './style.js';

export function mainHelp(commands: readonly CommandDef[], style: Style, version: string): string {
  const visible = commands.filter((c) => !c.hidden);
  const width = Math.max(...visible.map((c) => c.name.length)) + 2;
  const groups = new Map<string, CommandDef[]>();
  for (const c of visible) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const lines = [
    `${style.bold('agent')} ${version}: run specialist agents against your CRM's code and database, with staged changes, approvals and an audit trail.`,
    '',
    `${style.bold('Usage:')} agent <command> [args] [flags]     (a leading "@agent" is accepted; free text goes to the router)`,
  ];
  for (const [group, defs] of groups) {
    lines.push('', style.bold(GROUP_TITLES[group] ?? group));
    for (const c of defs) lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
  }
  lines.push('', style.bold('Global flags'));
  for (const f of GLOBAL_FLAGS) lines.push(`  ${flagLabel(f).padEnd(width)}${f.description}`);
  lines.push(`  ${'--version'.padEnd(width)}Print the version`);
  lines.push('', `Run \`agent help <command>\` for a command's arguments, flags and examples.`);
  lines.push(`Exit codes: 0 ok · 1 the work failed · 2 bad usage or input · 3 approval required · 4 a quality gate blocked · 130 interrupted`);
  return lines.join('\n');
}

export function commandHelp(def: CommandDef, style: Style): string {
  const lines = [style.bold(usageLine(def)), '', def.summary];
  if (def.args?.length) {
    lines.push('', style.bold('Arguments'));
    for (const a of def.args) lines.push(`  ${(a.required ? `<${a.name}>` : `[${a.name}]`).padEnd(22)}${a.description}`);
  }
  const flags = def.flags ?? [];
  if (flags.length) {
    lines.push('', style.bold('Flags'));
    for (const f of flags) lines.push(`  ${flagLabel(f).padEnd(22)}${f.description}${f.values ? ` (${f.values.join(', ')})` : ''}`);
  }
  lines.push(`  ${'--json'.padEnd(22)}NDJSON events and a final result object`);
  if (def.policy) lines.push('', `Approval: ${def.policy} (see agent.config.json "approvals")`);
  if (def.examples?.length) lines.push('', style.bold('Examples'), ...def.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

export function helpFor(topic: string[], commands: readonly CommandDef[], style: Style, version: string): string {
  if (!topic.length) return mainHelp(commands, style, version);
  const m = findCommand(topic, commands);
  if (m && m.wordCount === topic.length) return commandHelp(m.def, style);
  // "help migrate" when only "migrate status" exists: list the family.
  const family = commands.filter((c) => !c.hidden && c.name.startsWith(topic.join(' ').toLowerCase() + ' '));
  if (family.length) return family.map((c) => commandHelp(c, style)).join('\n\n');
  const near = suggestCommands(topic.join(' '), commands);
  throw new UsageError(`no command "${topic.join(' ')}"${near.length ? `; did you mean \`agent help ${near[0]}\`?` : ''} (see \`agent --help\`)`);
}

function flagLabel(f: { name: string; short?: string; type: string; placeholder?: string }): string {
  return `${f.short ? `-${f.short}, ` : ''}--${f.name}${f.type === 'string' ? ` ${f.placeholder ?? 'VALUE'}` : ''}`;
}
