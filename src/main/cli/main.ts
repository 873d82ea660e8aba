import { parseArgs } from 'node:util';
import { UsageError, type Command, type Flags } from './command';
import { foundationCommands } from './foundation-commands';
import { miningCommands } from './mining-commands';
import { studentCommands } from './student-commands';
import { teacherCommands } from './teacher-commands';
import { describe } from '../util/errors';

export const COMMANDS: Record<string, Command> = {
  ...foundationCommands(),
  ...studentCommands(),
  ...teacherCommands(),
  ...miningCommands(),
};

/** Flags every command takes besides its own. */
const COMMON_OPTIONS = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.summary}`);
  return `apprentice — few labels, a small student, a frozen SAM teacher

Usage: apprentice <command> [options]   (every command takes --json: one JSON object on stdout)

${lines.join('\n')}
`;
}

/** `apprentice <name> --help`: that command's line and every option it takes, read from its parser's own table. */
function commandUsage(command: Command): string {
  const table: NonNullable<Command['options']> = { ...command.options, ...COMMON_OPTIONS };
  const options = Object.entries(table).map(([flag, o]) => `--${flag}${o.type === 'string' ? ' <value>' : ''}`);
  return `Usage: apprentice ${command.summary}

Options: ${options.join(', ')}
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  const json = rest.includes('--json');
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, ...COMMON_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(commandUsage(command));
      return 0;
    }
    const result = await command.run(positionals, values as Flags, json);
    if (json) {
      if (result !== null) process.stdout.write(JSON.stringify(result) + '\n');
    } else if (result !== null) (command.print ?? ((r: unknown) => console.log(JSON.stringify(r, null, 2))))(result);
    return 0;
  } catch (e) {
    const message = describe(e);
    if (json) process.stdout.write(JSON.stringify({ error: message }) + '\n');
    else
      process.stderr.write(
        `apprentice ${name}: ${message}\n${e instanceof UsageError ? '\n' + (command ? commandUsage(command) : usage()) : ''}`,
      );
    return e instanceof UsageError ? 2 : 1;
  }
}
