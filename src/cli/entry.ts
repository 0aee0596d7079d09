/** Runs the CLI from source (tests, `tsx src/cli/entry.ts`); the installed `foyer` bin runs dist/. */
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));
