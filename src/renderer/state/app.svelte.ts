import type { AppInfo } from '../../shared/contract.js';
import type { AuthorList } from '../../shared/segmentation.js';
import type { ConnectionState, HostClient } from '../lib/host-client.js';

/** Host facts (version, compute provider), who is annotating, and the state of the link to the host. */
export class AppState {
  info = $state<AppInfo | null>(null);
  authors = $state<AuthorList | null>(null);
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
      this.authors = await this.client.call('users.list', {});
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Record this session's writes as `name` (a known local user or a new one). */
  async selectAuthor(name: string): Promise<void> {
    try {
      this.authors = await this.client.call('users.select', { name });
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  dispose(): void {
    this.off();
  }
}
