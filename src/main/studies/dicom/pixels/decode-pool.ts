/**
 * A pool of worker threads that decode DICOM files: each worker reads its file, decodes it and
 * transfers the frames back. A failed file rejects only its own call; a crashed worker is dropped and
 * a fresh one started when there is work. Workers start on demand, up to `threads`. Each worker has up
 * to PIPELINE requests posted ahead, so it never waits for the main thread between small files (a
 * header takes less than a message round trip); it handles them strictly one after another.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { PixelDataError } from './errors.js';
import type { DecodedFile } from './format.js';
import { reviveError, type DecodeReply, type DecodeRequest, type HeaderResult, type OutputSpec, type RescaledFile, type TaskResult } from './worker-protocol.js';

export interface DecodePoolOptions {
  /** the worker script; defaults to decode-worker.js beside this module (tests substitute their own) */
  workerUrl?: URL;
}

export interface DecodePoolStats {
  threads: number;
  workers: number;
  /** most files decoding at the same moment */
  peakBusy: number;
  crashes: number;
}

interface Job {
  request: DecodeRequest;
  resolve(result: TaskResult): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  /** posted and not yet answered, oldest first: the worker handles them in this order */
  jobs: Job[];
}

const PIPELINE = 4;

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private peakBusy = 0;
  private crashes = 0;

  constructor(
    readonly threads = os.availableParallelism(),
    private readonly options: DecodePoolOptions = {},
  ) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`DecodePool needs at least one thread, got ${threads}`);
  }

  /** Stored values of every frame. */
  decodeFile(path: string): Promise<DecodedFile> {
    return this.submit({ id: this.nextId++, path }) as Promise<DecodedFile>;
  }

  /** The frames a volume needs, rescaled into its voxel type, plus the file's sha256. */
  decodeFileAs(path: string, output: OutputSpec): Promise<RescaledFile> {
    return this.submit({ id: this.nextId++, path, task: 'rescale', output }) as Promise<RescaledFile>;
  }

  /** Parse the file's DICOM header (or say why it is skipped). */
  readHeader(path: string): Promise<HeaderResult> {
    return this.submit({ id: this.nextId++, path, task: 'header' }) as Promise<HeaderResult>;
  }

  private submit(request: DecodeRequest): Promise<TaskResult> {
    if (this.closed) return Promise.reject(new PixelDataError(request.path, 'the decode pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  /** Reject files still waiting or decoding, and stop every worker. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    const pending = [...this.queue.splice(0), ...slots.flatMap((slot) => slot.jobs)];
    for (const job of pending) job.reject(new PixelDataError(job.request.path, 'the decode pool was closed before the file was decoded'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  /** Start every worker now (each loads its modules while the caller does other work). */
  warm(): void {
    while (!this.closed && this.slots.length < this.threads) this.spawn();
  }

  stats(): DecodePoolStats {
    return { threads: this.threads, workers: this.slots.length, peakBusy: this.peakBusy, crashes: this.crashes };
  }

  /** An idle worker first, then a new one, then the least loaded with room in its pipeline. */
  private nextSlot(): Slot | undefined {
    const idle = this.slots.find((s) => s.jobs.length === 0);
    if (idle) return idle;
    if (this.slots.length < this.threads) return this.spawn();
    const least = this.slots.reduce<Slot | undefined>((best, s) => (!best || s.jobs.length < best.jobs.length ? s : best), undefined);
    return least && least.jobs.length < PIPELINE ? least : undefined;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.nextSlot();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.jobs.push(job);
      slot.worker.ref(); // keep the process alive while a file is in flight
      slot.worker.postMessage(job.request);
      this.peakBusy = Math.max(this.peakBusy, this.slots.filter((s) => s.jobs.length > 0).length);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.options.workerUrl ?? new URL('./decode-worker.js', import.meta.url));
    const slot: Slot = { worker, jobs: [] };
    worker.on('message', (reply: DecodeReply) => this.settle(slot, reply));
    worker.on('error', (error: Error) => this.crashed(slot, `the decode worker crashed: ${error.message}`));
    worker.on('exit', (code: number) => this.crashed(slot, `the decode worker exited (code ${code})`));
    worker.unref(); // an idle pool must not keep the process alive
    this.slots.push(slot);
    return slot;
  }

  private settle(slot: Slot, reply: DecodeReply): void {
    const index = slot.jobs.findIndex((j) => j.request.id === reply.id);
    if (index < 0) return;
    const [job] = slot.jobs.splice(index, 1) as [Job];
    if (slot.jobs.length === 0) slot.worker.unref();
    if (reply.ok) job.resolve(reply.result);
    else job.reject(reviveError(reply.error));
    this.pump();
  }

  /**
   * 'error' is followed by 'exit': the first one retires the slot, the second finds it gone. The worker
   * was handling its oldest request (it takes them in order): that file fails, the ones posted behind
   * it go back to the front of the queue for another worker.
   */
  private crashed(slot: Slot, problem: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    this.crashes++;
    const [job, ...waiting] = slot.jobs.splice(0);
    job?.reject(new PixelDataError(job.request.path, problem));
    this.queue.unshift(...waiting);
    void slot.worker.terminate();
    this.pump(); // starts a replacement if files are waiting
  }
}
