/** The `modmq` command line: one commander program, one file per command group. */
import { Command } from 'commander';
import { registerSchemaCommand } from './schema.js';
import { registerValidateCommand } from './validate.js';
import { registerApiKeysCommand } from './api-keys.js';
import { registerClusterCommand } from './cluster.js';
import { processIo, type CliIo } from './io.js';
import { registerMigrateCommand } from './migrate.js';
import { registerModulesCommand } from './modules.js';
import { configureRoot, runCommand } from './run.js';
import { registerStartCommand, type StartDeps } from './start.js';
import { registerUsersCommand } from './users.js';

export interface ProgramOptions {
  start?: StartDeps;
}

export function createProgram(io: CliIo = processIo(), options: ProgramOptions = {}): Command {
  const program = configureRoot(new Command('modmq'), io).description(
    'MQTT broker whose extensions are cluster-wide modules defined by versioned JSON Schemas',
  );
  registerStartCommand(program, io, options.start);
  registerModulesCommand(program, io);
  registerClusterCommand(program, io);
  registerApiKeysCommand(program, io);
  registerUsersCommand(program, io);
  registerValidateCommand(program, io);
  registerMigrateCommand(program, io);
  registerSchemaCommand(program, io);
  return program;
}

/** Runs modmq with user arguments (no node/script prefix); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo(), options: ProgramOptions = {}): Promise<number> {
  return runCommand(createProgram(io, options), argv, io);
}
