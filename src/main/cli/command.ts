import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DelineateError } from '../../shared/errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { description: string; valueName?: string };

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  json: boolean;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  allowPositionals?: boolean;
  /**
   * Returns the command's result: printed as JSON with --json, else through `human`.
   * Long-running commands (serve) resolve only when they stop.
   */
  run(args: ParsedArgs, io: CliIo): Promise<unknown>;
  human?(result: unknown): string;
}

/** --data-dir, for the commands that use the store. */
export const DATA_DIR_OPTION: OptionSpec = { type: 'string', valueName: 'DIR', description: 'data directory (default: DELINEATE_DATA_DIR, else the one chosen in Settings, else the OS user-data dir)' };

export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  const options = { ...COMMON_OPTIONS, ...command.options };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(options).map(([k, { description: _d, valueName: _v, ...spec }]) => [k, spec])),
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    return { values, positionals, json: values.json === true };
  } catch (err) {
    throw new DelineateError('invalid_params', `${(err as Error).message.split('\n')[0]} (see: delineate ${command.name} --help)`);
  }
}

export function commandHelp(command: Command): string {
  const options = { ...command.options, ...COMMON_OPTIONS };
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(28)} ${spec.description}`;
  });
  return `${command.summary}\n\nUsage: ${command.usage}\n\nOptions:\n${rows.join('\n')}\n`;
}
