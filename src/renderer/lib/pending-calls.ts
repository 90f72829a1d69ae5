import { fromErrorEnvelope, type ErrorEnvelope } from '../../shared/errors.js';

/** Bookkeeping for request/response matching by id, shared by the transports that need it. */
export class PendingCalls {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  open(): { id: number; promise: Promise<unknown> } {
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    return { id, promise };
  }

  settle(id: number, outcome: { ok: true; result: unknown } | { ok: false; error: ErrorEnvelope }): void {
    const entry = this.waiting.get(id);
    if (!entry) return;
    this.waiting.delete(id);
    if (outcome.ok) entry.resolve(outcome.result);
    else entry.reject(fromErrorEnvelope(outcome.error));
  }

  failAll(error: Error): void {
    for (const entry of this.waiting.values()) entry.reject(error);
    this.waiting.clear();
  }
}
