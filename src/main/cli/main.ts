import { DelineateError, toErrorEnvelope } from '../../shared/errors.js';
import { APP_VERSION } from '../version.js';
import { commandHelp, parseCommandArgs, type CliIo, type Command } from './command.js';
import { doctorCommand } from './doctor.js';
import { serveCommand } from './serve.js';
import { convertCommand, importCommand } from './import-commands.js';
import { metricsCommand } from './metrics.js';
import { segmentCommand } from './segment.js';
import { backupCommand } from './backup.js';
import { auditCommand } from './audit.js';
import { modelsCommand } from './models.js';
import { exportCommand } from './export.js';
import { importMaskCommand } from './import-mask.js';
import { batchCommand } from './batch.js';
import { reportCommand } from './report.js';
import { worklistCommand } from './worklist.js';

export const COMMANDS: Command[] = [importCommand, convertCommand, segmentCommand, importMaskCommand, exportCommand, metricsCommand, worklistCommand, batchCommand, reportCommand, backupCommand, auditCommand, modelsCommand, serveCommand, doctorCommand];

function topHelp(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return [
    `Delineate ${APP_VERSION}: medical image annotation and AI-assisted segmentation.`,
    '',
    'Usage: delineate <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Options:',
    '  -h, --help       show help (also: delineate <command> --help)',
    '  -v, --version    print the version',
    '',
    'Every command takes --json for machine-readable output. Exit code 0 on success; otherwise a',
    'one-line error on stderr.',
    '',
  ].join('\n');
}

/** Run the CLI; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(topHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${APP_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  const json = rest.includes('--json');
  try {
    if (!command) throw new DelineateError('invalid_params', `Unknown command ${JSON.stringify(name)} (see: delineate --help)`);
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      io.stdout(commandHelp(command));
      return 0;
    }
    const result = await command.run(args, io);
    if (args.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else if (command.human) io.stdout(`${command.human(result)}\n`);
    return 0;
  } catch (err) {
    const envelope = toErrorEnvelope(err);
    if (json) io.stdout(`${JSON.stringify({ error: envelope }, null, 2)}\n`);
    io.stderr(`delineate: ${envelope.message.split('\n')[0]}\n`);
    return envelope.code === 'invalid_params' ? 2 : 1;
  }
}

export async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  });
  process.exitCode = code;
}
