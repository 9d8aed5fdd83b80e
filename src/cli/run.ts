/** Runs a commander program with exit and output routed through a CliIo; resolves to the exit code. */
import { Command, CommanderError } from 'commander';
import { CliExit, type CliIo } from './io.js';

/** Root settings every modmq program uses; sub-commands created afterwards inherit them. */
export function configureRoot(program: Command, io: CliIo): Command {
  return program
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => io.write(s),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    })
    .exitOverride();
}

export async function runCommand(program: Command, argv: string[], io: CliIo): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CliExit) return err.exitCode;
    if (err instanceof CommanderError) {
      // --help / --version end "successfully"; usage errors were already printed
      return err.exitCode === 0 ? 0 : 1;
    }
    io.err(`modmq: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}
