/**
 * The inference process of the desktop app: an Electron utility process. The packaged app turns the
 * runAsNode fuse off (electron-builder.yml), so child_process.fork of Electron's own binary no longer
 * starts Node; utilityProcess.fork is Electron's way to run a Node module in a child process. Its
 * postMessage uses structured clone, so the typed arrays of a run cross as they do over fork's
 * 'advanced' serialization. Electron ends utility processes with the app, so there is nothing to
 * ref/unref (hold is a no-op).
 */
import { utilityProcess, type UtilityProcess } from 'electron';
import type { ChildMessage, RunRequest } from '../inference/inference-protocol.js';
import type { ExitListener, InferenceLauncher, InferenceProcess } from '../inference/inference-launcher.js';

class UtilityInferenceProcess implements InferenceProcess {
  private gone = false;

  constructor(private readonly child: UtilityProcess) {
    child.once('exit', () => {
      this.gone = true;
    });
  }

  get exited(): boolean {
    return this.gone;
  }

  send(request: RunRequest): void {
    this.child.postMessage(request);
  }

  onMessage(listener: (message: ChildMessage) => void): () => void {
    const onMessage = (message: unknown) => listener(message as ChildMessage);
    this.child.on('message', onMessage);
    return () => this.child.off('message', onMessage);
  }

  onExit(listener: ExitListener): () => void {
    const onExit = (code: number) => listener(code, null);
    this.child.once('exit', onExit);
    return () => this.child.off('exit', onExit);
  }

  kill(): void {
    this.child.kill();
  }

  hold(_running: boolean): void {
    // the desktop app lives until its windows close, whatever its children do
  }
}

/** Only after app 'ready' (utilityProcess.fork refuses before). */
export const utilityLauncher: InferenceLauncher = (modulePath) =>
  new UtilityInferenceProcess(utilityProcess.fork(modulePath, [], { serviceName: 'Delineate inference', stdio: 'inherit' }));
