import type { HostClient } from '../lib/host-client.js';
import { AppState } from './app.svelte.js';
import { JobsState } from './jobs.svelte.js';
import { ShortcutRegistry } from './shortcuts.svelte.js';
import { StudiesState } from './studies.svelte.js';
import { ViewerState } from './viewer.svelte.js';
import { WorklistState } from './worklist.svelte.js';
import { DesktopState } from './desktop.svelte.js';
import { FirstRunState } from './first-run.svelte.js';

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
  /** menu commands, Settings, About, recent studies, drag and drop */
  readonly desktop: DesktopState;
  /** the welcome panel of an empty store: the sample study and the shipped models */
  readonly firstRun: FirstRunState;
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
    this.firstRun = new FirstRunState(client, this.studies, this.viewer);
    this.desktop = new DesktopState(client, {
      openSeries: (id) => this.viewer.open(id),
      firstSeriesOf: (studyId) => this.studies.studies.find((s) => s.id === studyId)?.series[0]?.id ?? null,
      focusImportForm: () => {
        const field = document.getElementById('import-paths');
        field?.scrollIntoView({ block: 'nearest' });
        field?.focus();
      },
      importPaths: (paths) => this.studies.import(paths),
      importing: (started) => (this.studies.importing = started),
      showShortcuts: () => (this.helpOpen = true),
      openSample: () => this.firstRun.openSample(),
      setView: (view) => (this.view = view),
      undo: () => this.viewer.editing.undo(),
      redo: () => this.viewer.editing.redo(),
      saveVersion: () => {
        if (this.viewer.editing.open) void this.viewer.editing.versions.save('');
      },
      refreshApp: () => this.app.refresh(),
    });
  }

  /** Register the shell's own shortcuts and load host state; returns the cleanup. */
  start(target: Window): () => void {
    void this.app.refresh();
    void this.jobs.refresh();
    void this.studies.refresh();
    void this.firstRun.refresh();
    void this.desktop.refreshRecent();
    // opening a series puts its study at the top of the recent list
    const stopTracking = $effect.root(() => {
      $effect(() => {
        const seriesId = this.viewer.series?.id;
        if (seriesId === undefined) return;
        const study = this.studies.studies.find((s) => s.series.some((x) => x.id === seriesId));
        if (study) void this.desktop.seriesOpened(seriesId, study.id);
      });
    });
    // deep link: ?series=SERIES_INSTANCE_UID opens that series in the 1+3 layout
    const deepLink = new URL(target.location.href).searchParams.get('series');
    if (deepLink) void this.viewer.openByUid(deepLink);
    const offs = [
      this.shortcuts.attach(target),
      this.desktop.attach(target),
      stopTracking,
      this.shortcuts.register({ keys: 'Ctrl+o', description: 'Open files to import', run: () => void this.desktop.run({ command: 'open-files' }) }),
      this.shortcuts.register({ keys: 'Ctrl+,', description: 'Settings', run: () => void this.desktop.openSettings() }),
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
      this.firstRun.dispose();
      this.desktop.dispose();
    };
  }

  closeOverlays(): void {
    this.helpOpen = false;
    this.jobsOpen = false;
    this.reportOpen = false;
    this.desktop.closeDialogs();
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
