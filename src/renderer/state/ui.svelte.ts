import type { HostClient } from '../lib/host-client.js';
import { AppState } from './app.svelte.js';
import { JobsState } from './jobs.svelte.js';
import { ShortcutRegistry } from './shortcuts.svelte.js';
import { StudiesState } from './studies.svelte.js';
import { ViewerState } from './viewer.svelte.js';

/** All UI state for one window, built once per host connection and handed to the root component. */
export class UiState {
  readonly app: AppState;
  readonly jobs: JobsState;
  readonly studies: StudiesState;
  readonly viewer: ViewerState;
  readonly shortcuts = new ShortcutRegistry();
  jobsOpen = $state(false);
  helpOpen = $state(false);

  constructor(client: HostClient) {
    this.app = new AppState(client);
    this.jobs = new JobsState(client);
    this.studies = new StudiesState(client);
    this.viewer = new ViewerState(client);
  }

  /** Register the shell's own shortcuts and load host state; returns the cleanup. */
  start(target: Window): () => void {
    void this.app.refresh();
    void this.jobs.refresh();
    void this.studies.refresh();
    // deep link: ?series=SERIES_INSTANCE_UID opens that series in the 1+3 layout
    const deepLink = new URL(target.location.href).searchParams.get('series');
    if (deepLink) void this.viewer.openByUid(deepLink);
    const offs = [
      this.shortcuts.attach(target),
      this.shortcuts.register({ keys: 'j', description: 'Show or hide the jobs panel', run: () => (this.jobsOpen = !this.jobsOpen) }),
      this.shortcuts.register({ keys: '?', description: 'Show or hide keyboard shortcuts', run: () => (this.helpOpen = !this.helpOpen) }),
      this.shortcuts.register({ keys: 'Escape', description: 'Close panels and dialogs', run: () => this.closeOverlays() }),
    ];
    return () => {
      for (const off of offs) off();
      this.jobs.dispose();
      this.studies.dispose();
      this.viewer.close();
      this.app.dispose();
    };
  }

  closeOverlays(): void {
    this.helpOpen = false;
    this.jobsOpen = false;
  }

  /** A job the user starts opens the panel so its progress and Cancel button are in view. */
  async startJob(type: string, params: Record<string, unknown>): Promise<void> {
    await this.jobs.start(type, params);
    this.jobsOpen = true;
  }
}
