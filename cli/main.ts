import { MeshgateError } from '../shared/errors';
import { UsageError } from './args';
import * as audit from './commands/audit';
import * as check from './commands/check';
import * as compose from './commands/compose';
import * as gateway from './commands/gateway';
import * as importCommand from './commands/import';
import * as newDomain from './commands/new-domain';
import * as policy from './commands/policy';
import * as seed from './commands/seed';
import * as start from './commands/start';
import * as subgraph from './commands/subgraph';
import * as token from './commands/token';

interface Command {
  help: string;
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, Command> = { start, gateway, compose, check, policy, subgraph, 'new-domain': newDomain, seed, import: importCommand, token, audit };

function usage(): string {
  const lines = Object.values(commands).map((c) => `  ${c.help.split('\n')[0]}`);
  return `meshgate <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nmeshgate help <command> shows a command's details.`;
}

/** Runs the CLI; exit codes: 0 ok, 1 failure (printed with its error code), 2 usage mistake. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0] && Object.hasOwn(commands, rest[0]) ? commands[rest[0]].help : usage();
    process.stdout.write(`${topic}\n`);
    return 0;
  }
  if (!Object.hasOwn(commands, name)) {
    process.stderr.write(`meshgate: unknown command "${name}"; \`meshgate help\` lists the commands\n`);
    return 2;
  }
  try {
    return await commands[name].run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`meshgate ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof MeshgateError) {
      process.stderr.write(`meshgate ${name}: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/**
 * Exits once stdout and stderr are flushed: on a pipe, writes beyond its buffer are still queued,
 * and an immediate `process.exit` would cut off, say, `meshgate audit export | jq` mid-stream.
 */
function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/** The process entry: runs `main` and exits with its code. */
export function runCli(argv: string[]): void {
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  main(argv).then(exitWhenFlushed, (err) => {
    process.stderr.write(`meshgate: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`);
    exitWhenFlushed(1);
  });
}

if (require.main === module) runCli(process.argv.slice(2));
