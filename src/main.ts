// Process entry only: everything else lives in src/cli/.
import { runCli } from './cli/program.js';

const code = await runCli(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
