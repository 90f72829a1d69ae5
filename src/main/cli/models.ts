/** `delineate models list|add DIR|remove ID`: the segmentation model packages, shipped and the user's. */
import { DelineateError } from '../../shared/errors.js';
import type { ModelSummary } from '../../shared/inference/model-summary.js';
import { resolveDataDir } from '../data-dir.js';
import { modelRegistryFor } from '../inference/model-registry.js';
import { DATA_DIR_OPTION, type Command } from './command.js';

type ModelsResult =
  | { action: 'list'; shippedDir: string; userDir: string; models: ModelSummary[] }
  | { action: 'add'; model: ModelSummary }
  | { action: 'remove'; id: string; dir: string };

const USAGE_HINT = '(see: delineate models --help)';

export const modelsCommand: Command = {
  name: 'models',
  summary: 'List the segmentation model packages (shipped and user), add a package folder, remove a user model.',
  usage: 'delineate models list | add DIR | remove ID [--data-dir DIR] [--json]   DIR: a folder with manifest.json, the .onnx file and LICENSE',
  allowPositionals: true,
  options: {
    'data-dir': DATA_DIR_OPTION,
  },
  async run(args, io): Promise<ModelsResult> {
    const [action, ...rest] = args.positionals;
    const registry = modelRegistryFor(resolveDataDir(args.values['data-dir'] as string | undefined, io.env));
    switch (action) {
      case 'list':
      case undefined:
        if (rest.length) throw new DelineateError('invalid_params', `models list takes no arguments, got ${rest.join(' ')} ${USAGE_HINT}`);
        return { action: 'list', shippedDir: registry.shippedDir, userDir: registry.userDir, models: await registry.list() };
      case 'add': {
        if (rest.length !== 1) throw new DelineateError('invalid_params', `models add needs exactly one package folder ${USAGE_HINT}`);
        return { action: 'add', model: await registry.add(rest[0]!) };
      }
      case 'remove': {
        if (rest.length !== 1) throw new DelineateError('invalid_params', `models remove needs exactly one model id ${USAGE_HINT}`);
        return { action: 'remove', ...(await registry.remove(rest[0]!)) };
      }
      default:
        throw new DelineateError('invalid_params', `unknown models action ${JSON.stringify(action)}: use list, add DIR or remove ID ${USAGE_HINT}`);
    }
  },
  human(result) {
    const r = result as ModelsResult;
    if (r.action === 'add') return `added ${r.model.id} (${r.model.name} ${r.model.version}) to ${r.model.dir}`;
    if (r.action === 'remove') return `removed ${r.id} (${r.dir})`;
    return modelsTable(r.models, r.shippedDir, r.userDir);
  },
};

function modelsTable(models: ModelSummary[], shippedDir: string, userDir: string): string {
  if (models.length === 0) return `no model packages (shipped: ${shippedDir}; user: ${userDir})`;
  const header = ['ID', 'NAME', 'VERSION', 'ORIGIN', 'MODALITY', 'BODY PART', 'LABELS', 'MODE', 'LICENSE', 'STATUS'];
  const rows = models.map((m) => [
    m.id,
    m.name,
    m.version || '—',
    m.origin,
    m.modality.join(',') || '—',
    m.bodyPart || '—',
    String(m.labels.length),
    m.inferenceMode ?? '—',
    m.license || '—',
    m.available ? 'available' : 'unavailable',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  const broken = models.filter((m) => !m.available);
  if (broken.length) out.push('', ...broken.map((m) => `${m.id} (${m.origin}) is unavailable: ${m.problem ?? 'unknown problem'}`));
  return out.join('\n');
}
