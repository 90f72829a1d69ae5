import type { ContractClient } from '../../shared/contract.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** The contract client plus what the UI needs to know about the link to the host. */
export interface HostClient extends ContractClient {
  readonly kind: 'electron' | 'browser';
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

/** Tiny typed listener set used by both transports. */
export class Listeners<T extends unknown[]> {
  private readonly set = new Set<(...args: T) => void>();
  add(listener: (...args: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(...args: T): void {
    for (const l of this.set) l(...args);
  }
}
