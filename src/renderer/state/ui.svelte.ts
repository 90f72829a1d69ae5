import type { HostClient } from '../lib/host-client.js';
import { AppState } from './app.svelte.js';
import { JobsState } from './jobs.svelte.js';
import { ShortcutRegistry } from './shortcuts.svelte.js';
import { StudiesState } from './studies.svelte.js';
import { ViewerState } from './viewer.svelte.js';
import { WorklistState } from './worklist.svelte.js';

/** What the main area shows: the viewer, or the worklist of every case. */
export type MainView = 'viewer' | 'worklist';

/** All UI state for one window, built once per host connection and handed to the root component. */
export class UiState {
  readonly app: AppState;
  readonly jobs: JobsState;
  readonly studies: StudiesState;
  readonly viewer: ViewerState;
  readonly worklist: WorklistState;
  readonly shortcuts = new ShortcutRegistry();
  jobsOpen = $state(false);
  helpOpen = $state(false);
  view = $state<MainView>('viewer');
  /** the agreement report overlay */
  reportOpen = $state(false);

  constructor(client: HostClient) {
    this.app = new AppState(client);
    this.jobs = new JobsState(client);
    this.studies = new StudiesState(client);
    this.viewer = new ViewerState(client);
    this.worklist = new WorklistState(client, this.viewer, () => (this.view = 'viewer'));
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
      this.shortcuts.register({ keys: 'w', description: 'Switch between the worklist and the viewer', run: () => (this.view = this.view === 'worklist' ? 'viewer' : 'worklist') }),
      this.shortcuts.register({
        keys: 'q',
        description: 'Review queue: the worklist, cases most in need of a look first',
        run: () => {
          this.worklist.reviewMode = true;
          this.view = 'worklist';
        },
      }),
      this.shortcuts.register({ keys: 'Escape', description: 'Close panels and dialogs', run: () => this.closeOverlays() }),
    ];
    return () => {
      for (const off of offs) off();
      this.jobs.dispose();
      this.studies.dispose();
      this.worklist.dispose();
      this.viewer.close();
      this.app.dispose();
    };
  }

  closeOverlays(): void {
    this.helpOpen = false;
    this.jobsOpen = false;
    this.reportOpen = false;
  }

  /** Write the agreement report (for the selected cases, or every accepted one) and show it. */
  openReport(): void {
    this.reportOpen = true;
    void this.worklist.report.run([...this.worklist.selection]);
  }

  /** A job the user starts opens the panel so its progress and Cancel button are in view. */
  async startJob(type: string, params: Record<string, unknown>): Promise<void> {
    await this.jobs.start(type, params);
    this.jobsOpen = true;
  }
}
