import type { AppInfo } from '../../shared/contract.js';
import type { ConnectionState, HostClient } from '../lib/host-client.js';

/** Host facts (version, compute provider) and the state of the link to it. */
export class AppState {
  info = $state<AppInfo | null>(null);
  connection = $state<ConnectionState>('connecting');
  error = $state<string | null>(null);
  private readonly off: () => void;

  constructor(private readonly client: HostClient) {
    this.connection = client.connection();
    this.off = client.onConnection((state) => {
      this.connection = state;
      if (state === 'open') void this.refresh();
    });
  }

  async refresh(): Promise<void> {
    try {
      this.info = await this.client.call('app.info', {});
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  dispose(): void {
    this.off();
  }
}
