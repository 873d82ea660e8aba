import { parseArgs } from 'node:util';
import { UsageError, type Command, type Flags } from './cli/command';
import { foundationCommands } from './cli/foundation-commands';
import { miningCommands } from './cli/mining-commands';
import { studentCommands } from './cli/student-commands';
import { teacherCommands } from './cli/teacher-commands';
import { describe } from './util/errors';

const COMMANDS: Record<string, Command> = {
  ...foundationCommands(),
  ...studentCommands(),
  ...teacherCommands(),
  ...miningCommands(),
};

function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.summary}`);
  return `apprentice — few labels, a small student, a frozen SAM teacher

Usage: apprentice <command> [options]   (every command takes --json: one JSON object on stdout)

${lines.join('\n')}
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
      options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(usage());
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
    else process.stderr.write(`apprentice ${name}: ${message}\n${e instanceof UsageError ? '\n' + usage() : ''}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

// `apprentice list --json | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
