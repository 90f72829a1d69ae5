/**
 * `delineate batch segment|resume|list|cases`: batch AI runs from the shell. `segment` continues an
 * interrupted batch of the same model and selection instead of starting over (unless --new), so
 * re-running the command after a crash or Ctrl-C finishes the work without redoing finished cases.
 */
import { CASE_STATUSES, type BatchCase, type BatchInfo, type BatchResult, type CaseStatus } from '../../shared/curation.js';
import { DelineateError } from '../../shared/errors.js';
import { PROVIDER_PREFERENCES } from '../../shared/inference/segment-result.js';
import { resolveDataDir } from '../data-dir.js';
import { createServices, type AppServices } from '../services/app-services.js';
import { DATA_DIR_OPTION, type CliIo, type Command, type ParsedArgs } from './command.js';
import { idList, statusList } from './list-options.js';

const SUBCOMMANDS = ['segment', 'resume', 'list', 'cases'] as const;

const str = (args: ParsedArgs, name: string) => args.values[name] as string | undefined;

/** --where status=no-mask,ai-done */
function statusesOf(raw: string | undefined): CaseStatus[] | undefined {
  if (raw === undefined) return undefined;
  const match = /^status=(.+)$/.exec(raw);
  if (!match) throw new DelineateError('invalid_params', `--where takes status=S1,S2 (statuses: ${CASE_STATUSES.join(', ')}), got ${JSON.stringify(raw)}`);
  return statusList(match[1]!);
}

/** Run a batch job to its end, printing one line per finished case (unless --json). */
async function follow(services: AppServices, jobId: string, io: CliIo, quiet: boolean): Promise<BatchResult> {
  const onSigint = () => void services.jobs.cancel(jobId);
  process.once('SIGINT', onSigint);
  let last = '';
  const off = services.bus.subscribe((name, payload) => {
    const job = payload as { id: string; message: string };
    if (quiet || name !== 'job.progress' || job.id !== jobId || job.message === last) return;
    last = job.message;
    io.stderr(`${job.message}\n`);
  });
  try {
    const done = await services.jobs.wait(jobId);
    if (done.state !== 'succeeded') throw new DelineateError(done.error?.code ?? 'cancelled', done.error?.message ?? `batch ${done.state}`);
    return done.result as BatchResult;
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
}

export const batchCommand: Command = {
  name: 'batch',
  summary: 'Run a model over many series as one resumable batch; list batches and their cases.',
  usage:
    'delineate batch segment --model ID [--where status=S,…] [--series ID,…] [--concurrency N] [--provider auto|cpu|cuda] [--new] | batch resume BATCH [--retry-failed] | batch list | batch cases BATCH   [--data-dir DIR] [--json]',
  allowPositionals: true,
  options: {
    model: { type: 'string', valueName: 'ID', description: 'model id (see: delineate models list)' },
    where: { type: 'string', valueName: 'status=S,…', description: `segment the series with these statuses (default: no-mask); statuses: ${CASE_STATUSES.join(', ')}` },
    series: { type: 'string', valueName: 'ID,…', description: 'segment exactly these series instead' },
    concurrency: { type: 'string', valueName: 'N', description: 'cases in flight at once, 1–8 (default 1; 2 on a GPU machine saves one case while the next one runs)' },
    provider: { type: 'string', valueName: 'NAME', description: 'auto (default), cpu or cuda (falls back to CPU, saying why)' },
    new: { type: 'boolean', description: 'start a new batch even if an interrupted one with this model and selection exists' },
    'retry-failed': { type: 'boolean', description: 'resume: run the failed cases again too' },
    'data-dir': DATA_DIR_OPTION,
  },
  async run(args, io) {
    const [sub, ...rest] = args.positionals;
    if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) throw new DelineateError('invalid_params', `batch needs one of ${SUBCOMMANDS.join(', ')} (see: delineate batch --help)`);
    const services = createServices({ dataDir: resolveDataDir(str(args, 'data-dir'), io.env), host: 'cli' });
    try {
      const { curation } = services;
      if (sub === 'list') return { batches: curation.batches.list() };
      const batchArg = () => {
        if (rest.length !== 1) throw new DelineateError('invalid_params', `batch ${sub} needs one BATCH id`);
        return idList(rest[0]!, 'BATCH')[0]!;
      };
      if (sub === 'cases') {
        const batchId = batchArg();
        return { batch: curation.batches.get(batchId), cases: curation.batches.cases(batchId) };
      }
      if (sub === 'resume') {
        const batchId = batchArg();
        const job = curation.resumeBatch(batchId, args.values['retry-failed'] === true);
        const result = await follow(services, job.id, io, args.json);
        return { ...result, resumed: true, batch: curation.batches.get(batchId), cases: curation.batches.cases(batchId) };
      }
      if (rest.length) throw new DelineateError('invalid_params', `batch segment takes no positional arguments, got ${rest.join(' ')}`);
      const modelId = str(args, 'model');
      if (!modelId) throw new DelineateError('invalid_params', '--model ID is required (see: delineate models list)');
      const provider = str(args, 'provider') ?? 'auto';
      if (!(PROVIDER_PREFERENCES as readonly string[]).includes(provider)) throw new DelineateError('invalid_params', `--provider must be one of ${PROVIDER_PREFERENCES.join(', ')}`);
      const concurrencyRaw = str(args, 'concurrency');
      const concurrency = concurrencyRaw === undefined ? 1 : Number(concurrencyRaw);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 8) throw new DelineateError('invalid_params', `--concurrency takes 1–8, got ${concurrencyRaw}`);
      const seriesRaw = str(args, 'series');
      const statuses = statusesOf(str(args, 'where'));
      if (seriesRaw && statuses) throw new DelineateError('invalid_params', 'give --series or --where, not both');
      await services.models.get(modelId);
      const started = curation.startBatch({
        modelId,
        provider: provider as (typeof PROVIDER_PREFERENCES)[number],
        concurrency,
        ...(seriesRaw ? { seriesIds: idList(seriesRaw, '--series') } : {}),
        ...(statuses ? { where: { status: statuses } } : {}),
        resume: args.values.new !== true,
      });
      if (started.resumed && !args.json) io.stderr(`resuming interrupted batch ${started.batchId}\n`);
      const result = await follow(services, started.job.id, io, args.json);
      return { ...result, resumed: started.resumed, batch: curation.batches.get(started.batchId), cases: curation.batches.cases(started.batchId) };
    } finally {
      await services.close();
    }
  },
  human(r) {
    const res = r as Partial<BatchResult> & { batches?: BatchInfo[]; batch?: BatchInfo; cases?: BatchCase[]; resumed?: boolean };
    if (res.batches) {
      if (res.batches.length === 0) return 'no batches';
      return res.batches.map((b) => `batch ${b.id}  ${b.state.padEnd(11)} ${b.modelId}  done ${b.counts.done}, failed ${b.counts.failed}, pending ${b.counts.pending}  (${b.createdAt} by ${b.createdBy})`).join('\n');
    }
    const lines = res.cases!.map((c) => `  series ${String(c.seriesId).padStart(5)}  ${c.state.padEnd(8)} ${c.description}${c.error ? `: ${c.error}` : ''}${c.caseMs === null ? '' : `  (${Math.round(c.caseMs)} ms)`}`);
    const head =
      res.batchId === undefined
        ? `batch ${res.batch!.id}: ${res.batch!.state}`
        : `batch ${res.batchId}${res.resumed ? ' (resumed)' : ''}: ${res.segmented} segmented now, ${res.alreadyDone} done before, ${res.failed!.length} failed, ${res.pending} pending`;
    return [head, ...lines].join('\n');
  },
};
