/**
 * App-level desktop integration in both hosts: the app menu's commands (the Electron menu sends them as
 * 'ui.command' events; the browser host has an in-page menu), Settings and About, recent studies, and
 * files or folders dropped onto the window (Electron: their paths, through the preload; browser host:
 * uploaded to the host, then imported).
 */
import type { AboutInfo, RecentStudy, SettingsInfo, SettingsUpdate, UiCommand } from '../../shared/desktop.js';
import type { JobInfo } from '../../shared/jobs.js';
import type { ImportReport } from '../../shared/studies.js';
import type { HostClient } from '../lib/host-client.js';
import { pathPicker, type PathPicker } from '../lib/path-picker.js';

/** What the hosts need from the UI state around them (kept narrow so this class stays testable). */
export interface DesktopActions {
  openSeries(seriesId: number): Promise<void>;
  /** the study's first series, or nothing when the store does not have it */
  firstSeriesOf(studyId: number): number | null;
  /** the browser host has no file dialog: show and focus the typed-path import form */
  focusImportForm(): void;
  importPaths(paths: string[]): Promise<void>;
  /** mark an import as running in the study browser (its outcome arrives with job.done) */
  importing(started: boolean): void;
  showShortcuts(): void;
  /** import (once) and open the bundled sample study */
  openSample(): Promise<void>;
  setView(view: 'viewer' | 'worklist'): void;
  undo(): void;
  redo(): void;
  saveVersion(): void;
  refreshApp(): Promise<void>;
}

export interface DroppedFile {
  /** path relative to the drop: folder/sub/file.dcm, or just the file name */
  path: string;
  file: File;
}

type DroppedPaths = (files: ArrayLike<unknown>) => Promise<string[]>;

const UPLOAD_CONCURRENCY = 4;

export class DesktopState {
  settingsOpen = $state(false);
  aboutOpen = $state(false);
  settings = $state<SettingsInfo | null>(null);
  settingsError = $state<string | null>(null);
  settingsSaved = $state(false);
  about = $state<AboutInfo | null>(null);
  aboutError = $state<string | null>(null);
  recent = $state<RecentStudy[]>([]);
  /** a drag with files is over the window */
  dragging = $state(false);
  /** what a drop is doing now ("Uploading 3 of 12 files…"), or its failure */
  dropStatus = $state<string | null>(null);
  dropError = $state<string | null>(null);
  readonly picker: PathPicker;
  private readonly offs: (() => void)[] = [];
  private lastMarkedSeries: number | null = null;

  constructor(
    private readonly client: HostClient,
    private readonly actions: DesktopActions,
  ) {
    this.picker = pathPicker(client);
    this.offs.push(
      client.on('ui.command', (command) => void this.run(command)),
      client.on('store.changed', ({ entity }) => {
        if (entity === 'recent' || entity === 'series' || entity === 'study') void this.refreshRecent();
      }),
    );
  }

  /** the browser host has no native menu: the UI shows its own */
  get inPageMenu(): boolean {
    return this.client.kind === 'browser';
  }

  async run(command: UiCommand): Promise<void> {
    switch (command.command) {
      case 'open-files':
        return this.pick('import-files');
      case 'open-folder':
        return this.pick('import-folder');
      case 'open-recent':
        if (command.studyId !== undefined) await this.openStudy(command.studyId);
        return;
      case 'settings':
        return this.openSettings();
      case 'about':
        return this.openAbout();
      case 'shortcuts':
        return this.actions.showShortcuts();
      case 'view-viewer':
        return this.actions.setView('viewer');
      case 'view-worklist':
        return this.actions.setView('worklist');
      case 'undo':
        return this.actions.undo();
      case 'redo':
        return this.actions.redo();
      case 'save-version':
        return this.actions.saveVersion();
      case 'open-sample':
        this.actions.setView('viewer');
        return this.actions.openSample();
    }
  }

  /** Native dialog where the host has one; otherwise the typed-path import form. */
  async pick(purpose: 'import-files' | 'import-folder'): Promise<void> {
    try {
      const paths = await this.picker.pickMany(purpose, purpose === 'import-files' ? 'Import files' : 'Import a folder');
      if (paths === null) return this.actions.focusImportForm();
      if (paths.length) await this.actions.importPaths(paths);
    } catch (err) {
      this.dropError = (err as Error).message;
      this.actions.focusImportForm();
    }
  }

  async openStudy(studyId: number): Promise<void> {
    const seriesId = this.actions.firstSeriesOf(studyId);
    if (seriesId === null) {
      this.dropError = `Study ${studyId} is no longer in this store`;
      return;
    }
    this.actions.setView('viewer');
    await this.actions.openSeries(seriesId);
  }

  /** A series was shown: its study goes to the top of the recent list (once per series opened). */
  async seriesOpened(seriesId: number, studyId: number): Promise<void> {
    if (this.lastMarkedSeries === seriesId) return;
    this.lastMarkedSeries = seriesId;
    try {
      this.recent = await this.client.call('studies.markOpened', { studyId });
    } catch {
      // a study removed meanwhile: nothing to remember
    }
  }

  async refreshRecent(): Promise<void> {
    try {
      this.recent = await this.client.call('studies.recent', {});
    } catch {
      this.recent = [];
    }
  }

  async openSettings(): Promise<void> {
    this.settingsOpen = true;
    this.settingsSaved = false;
    this.settingsError = null;
    try {
      this.settings = await this.client.call('settings.get', {});
    } catch (err) {
      this.settingsError = (err as Error).message;
    }
  }

  async saveSettings(update: SettingsUpdate): Promise<boolean> {
    this.settingsError = null;
    this.settingsSaved = false;
    try {
      this.settings = await this.client.call('settings.update', update);
      this.settingsSaved = true;
      await this.actions.refreshApp();
      return true;
    } catch (err) {
      this.settingsError = (err as Error).message;
      return false;
    }
  }

  async openAbout(): Promise<void> {
    this.aboutOpen = true;
    this.aboutError = null;
    try {
      this.about = await this.client.call('app.about', {});
    } catch (err) {
      this.about = null;
      this.aboutError = (err as Error).message;
    }
  }

  closeDialogs(): void {
    this.settingsOpen = false;
    this.aboutOpen = false;
  }

  /** Window-level drag and drop; returns the detach function. */
  attach(target: Window): () => void {
    let depth = 0;
    const hasFiles = (event: DragEvent) => [...(event.dataTransfer?.types ?? [])].includes('Files');
    const onEnter = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth++;
      this.dragging = true;
    };
    const onOver = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      this.dragging = true;
    };
    const onLeave = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) this.dragging = false;
    };
    const onDrop = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      this.dragging = false;
      const transfer = event.dataTransfer;
      if (!transfer) return;
      // entries and files must be taken while the event runs: the DataTransfer empties after it
      const files = [...transfer.files];
      const entries = [...transfer.items].map((item) => (item.kind === 'file' ? item.webkitGetAsEntry?.() ?? null : null));
      void this.dropped(files, entries);
    };
    target.addEventListener('dragenter', onEnter);
    target.addEventListener('dragover', onOver);
    target.addEventListener('dragleave', onLeave);
    target.addEventListener('drop', onDrop);
    return () => {
      target.removeEventListener('dragenter', onEnter);
      target.removeEventListener('dragover', onOver);
      target.removeEventListener('dragleave', onLeave);
      target.removeEventListener('drop', onDrop);
    };
  }

  private async dropped(files: File[], entries: (FileSystemEntry | null)[]): Promise<void> {
    this.dropError = null;
    const droppedPaths = (window.delineate as { droppedPaths?: DroppedPaths } | undefined)?.droppedPaths;
    try {
      if (droppedPaths) {
        // Electron: the files are on this machine; the preload gives their paths
        const paths = await droppedPaths(files);
        if (!paths.length) throw new Error('Nothing to import in what was dropped');
        await this.importAndOpen(() => this.client.call('studies.import', { paths }));
        return;
      }
      const list = await collectDropped(files, entries);
      if (!list.length) throw new Error('Nothing to import in what was dropped (empty folder?)');
      const batchId = crypto.randomUUID();
      let done = 0;
      this.dropStatus = `Uploading ${list.length} file${list.length === 1 ? '' : 's'}…`;
      await inParallel(list, UPLOAD_CONCURRENCY, async (item) => {
        await uploadFile(batchId, item);
        done++;
        this.dropStatus = `Uploading ${done} of ${list.length} file${list.length === 1 ? '' : 's'}…`;
      });
      this.dropStatus = 'Importing…';
      await this.importAndOpen(() => this.client.call('uploads.import', { batchId }));
    } catch (err) {
      this.dropError = `Drop failed: ${(err as Error).message}`;
    } finally {
      this.dropStatus = null;
    }
  }

  /** Start an import job, wait for it, and open the first series it brought in. */
  private async importAndOpen(start: () => Promise<JobInfo>): Promise<void> {
    this.actions.importing(true);
    let job: JobInfo;
    try {
      job = await start();
    } catch (err) {
      this.actions.importing(false);
      throw err;
    }
    const done = await new Promise<JobInfo>((resolve) => {
      const off = this.client.on('job.done', (info) => {
        if (info.id !== job.id) return;
        off();
        resolve(info);
      });
    });
    if (done.state !== 'succeeded') throw new Error(done.error?.message ?? `the import ended ${done.state}`);
    const first = (done.result as ImportReport).series[0];
    if (first) {
      this.actions.setView('viewer');
      await this.actions.openSeries(first.id);
    }
  }

  dispose(): void {
    for (const off of this.offs) off();
  }
}

/** Every file of a drop with its path relative to the drop (folders walked through their entries). */
export async function collectDropped(files: File[], entries: (FileSystemEntry | null)[]): Promise<DroppedFile[]> {
  const usable = entries.filter((e): e is FileSystemEntry => e !== null);
  // a DataTransfer a page builds itself has files but no entries: take the files as they are
  if (usable.length === 0 || usable.length !== files.length) return files.map((file) => ({ path: file.webkitRelativePath || file.name, file }));
  const out: DroppedFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    const here = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path: here, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns at most 100 entries per call: read until it returns none
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child, here);
      }
    }
  };
  for (const entry of usable) await walk(entry, '');
  return out;
}

async function uploadFile(batchId: string, item: DroppedFile): Promise<void> {
  const parts = item.path.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  const response = await fetch(`/upload/${batchId}/${parts.map(encodeURIComponent).join('/')}`, { method: 'POST', body: item.file, credentials: 'same-origin' });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = ((await response.json()) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON
    }
    throw new Error(`${item.path}: ${message}`);
  }
}

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
