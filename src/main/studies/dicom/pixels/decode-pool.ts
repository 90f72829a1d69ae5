/**
 * A pool of worker threads that decode DICOM files: each worker reads its file, decodes it and
 * transfers the frames back. A failed file rejects only its own call; a crashed worker is dropped and
 * a fresh one started when there is work. Workers start on demand, up to `threads`. Each worker has up
 * to PIPELINE requests posted ahead, so it never waits for the main thread between small files (a
 * header takes less than a message round trip); it handles them strictly one after another. Header
 * requests queued together travel in batches of up to HEADER_BATCH per message: a header takes less
 * time to read than its two messages cost.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { PixelDataError } from './errors.js';
import type { DecodedFile } from './format.js';
import { reviveError, type DecodeReply, type DecodeRequest, type HeaderResult, type OutputSpec, type RescaledFile, type TaskResult, type WorkerReply } from './worker-protocol.js';

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
  /** messages posted to workers (a batch of headers is one) */
  posts: number;
}

interface Job {
  request: DecodeRequest;
  resolve(result: TaskResult): void;
  reject(error: Error): void;
  /** posted on its own: its batch crashed a worker, and the crash must be pinned on one file */
  alone?: boolean;
}

interface Slot {
  worker: Worker;
  /** messages posted and not yet answered (one job, or a batch of headers), oldest first: the worker handles them in this order */
  posts: Job[][];
}

const PIPELINE = 4;
const HEADER_BATCH = 16;

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private peakBusy = 0;
  private crashes = 0;
  private pumpScheduled = false;
  private posts = 0;

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
      // posted once the caller's loop has queued the rest, so queued headers can share a message
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        queueMicrotask(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Reject files still waiting or decoding, and stop every worker. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    const pending = [...this.queue.splice(0), ...slots.flatMap((slot) => slot.posts.flat())];
    for (const job of pending) job.reject(new PixelDataError(job.request.path, 'the decode pool was closed before the file was decoded'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  /** Start every worker now (each loads its modules while the caller does other work). */
  warm(): void {
    while (!this.closed && this.slots.length < this.threads) this.spawn();
  }

  stats(): DecodePoolStats {
    return { threads: this.threads, workers: this.slots.length, peakBusy: this.peakBusy, crashes: this.crashes, posts: this.posts };
  }

  /** An idle worker first, then a new one, then the least loaded with room in its pipeline. */
  private nextSlot(): Slot | undefined {
    const idle = this.slots.find((s) => s.posts.length === 0);
    if (idle) return idle;
    if (this.slots.length < this.threads) return this.spawn();
    const least = this.slots.reduce<Slot | undefined>((best, s) => (!best || s.posts.length < best.posts.length ? s : best), undefined);
    return least && least.posts.length < PIPELINE ? least : undefined;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.nextSlot();
      if (!slot) return;
      const post = this.takePost();
      slot.posts.push(post);
      this.posts++;
      slot.worker.ref(); // keep the process alive while a file is in flight
      slot.worker.postMessage(post.length === 1 ? post[0]!.request : post.map((job) => job.request));
      this.peakBusy = Math.max(this.peakBusy, this.slots.filter((s) => s.posts.length > 0).length);
    }
  }

  /**
   * The next message's jobs: the first queued job, with the header jobs queued right behind it when it
   * is one. Batches are cut to share the queue fairly between the workers, so no worker gets the tail.
   */
  private takePost(): Job[] {
    const batchable = (job: Job | undefined) => job?.request.task === 'header' && !job.alone;
    if (!batchable(this.queue[0])) return [this.queue.shift()!];
    const limit = Math.max(1, Math.min(HEADER_BATCH, Math.floor(this.queue.length / (this.threads * 2))));
    let n = 1;
    while (n < limit && batchable(this.queue[n])) n++;
    return this.queue.splice(0, n);
  }

  private spawn(): Slot {
    const worker = new Worker(this.options.workerUrl ?? new URL('./decode-worker.js', import.meta.url));
    const slot: Slot = { worker, posts: [] };
    worker.on('message', (reply: WorkerReply) => this.settle(slot, Array.isArray(reply) ? reply : [reply]));
    worker.on('error', (error: Error) => this.crashed(slot, `the decode worker crashed: ${error.message}`));
    worker.on('exit', (code: number) => this.crashed(slot, `the decode worker exited (code ${code})`));
    worker.unref(); // an idle pool must not keep the process alive
    this.slots.push(slot);
    return slot;
  }

  /** The answers to one message: a batch is answered whole, in one message. */
  private settle(slot: Slot, replies: DecodeReply[]): void {
    const index = slot.posts.findIndex((post) => post.some((j) => j.request.id === replies[0]?.id));
    if (index < 0) return;
    const [post] = slot.posts.splice(index, 1) as [Job[]];
    if (slot.posts.length === 0) slot.worker.unref();
    for (const reply of replies) {
      const job = post.find((j) => j.request.id === reply.id);
      if (!job) continue;
      if (reply.ok) job.resolve(reply.result);
      else job.reject(reviveError(reply.error));
    }
    this.pump();
  }

  /**
   * 'error' is followed by 'exit': the first one retires the slot, the second finds it gone. The worker
   * was handling its oldest message (it takes them in order): a single file fails, the ones posted
   * behind it go back to the front of the queue for another worker. A batch cannot say which of its
   * files did it: its files go back too, each to be posted alone, so a second crash names the file.
   */
  private crashed(slot: Slot, problem: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    this.crashes++;
    const [post = [], ...waiting] = slot.posts.splice(0);
    const [job] = post;
    if (post.length === 1) job!.reject(new PixelDataError(job!.request.path, problem));
    else for (const retry of post) retry.alone = true;
    this.queue.unshift(...(post.length === 1 ? [] : post), ...waiting.flat());
    void slot.worker.terminate();
    this.pump(); // starts a replacement if files are waiting
  }
}
