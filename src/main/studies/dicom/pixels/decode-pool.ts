/**
 * A pool of worker threads that decode DICOM files: each worker reads its file, decodes it and
 * transfers the frames back. A failed file rejects only its own call; a crashed worker is dropped and
 * a fresh one started when there is work. Workers start on demand, up to `threads`.
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
  job: Job | null;
}

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
    const pending = [...this.queue.splice(0), ...slots.flatMap((slot) => (slot.job ? [slot.job] : []))];
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

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => !s.job) ?? (this.slots.length < this.threads ? this.spawn() : undefined);
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // keep the process alive while a file is in flight
      slot.worker.postMessage(job.request);
      this.peakBusy = Math.max(this.peakBusy, this.slots.filter((s) => s.job).length);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.options.workerUrl ?? new URL('./decode-worker.js', import.meta.url));
    const slot: Slot = { worker, job: null };
    worker.on('message', (reply: DecodeReply) => this.settle(slot, reply));
    worker.on('error', (error: Error) => this.crashed(slot, `the decode worker crashed: ${error.message}`));
    worker.on('exit', (code: number) => this.crashed(slot, `the decode worker exited (code ${code})`));
    worker.unref(); // an idle pool must not keep the process alive
    this.slots.push(slot);
    return slot;
  }

  private settle(slot: Slot, reply: DecodeReply): void {
    const job = slot.job;
    if (!job || job.request.id !== reply.id) return;
    slot.job = null;
    slot.worker.unref();
    if (reply.ok) job.resolve(reply.result);
    else job.reject(reviveError(reply.error));
    this.pump();
  }

  /** 'error' is followed by 'exit': the first one retires the slot, the second finds it gone. */
  private crashed(slot: Slot, problem: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    this.crashes++;
    const job = slot.job;
    slot.job = null;
    job?.reject(new PixelDataError(job.request.path, problem));
    void slot.worker.terminate();
    this.pump(); // starts a replacement if files are waiting
  }
}
