/**
 * How the inference process is started. Under Node (CLI, browser host, tests) it is a child_process
 * fork; in the packaged desktop app the runAsNode fuse is off, so Electron cannot fork itself as Node,
 * and src/main/electron/utility-launcher.ts starts it as an Electron utility process instead. The
 * engine sees only this interface; inference-child.ts speaks to either parent.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { ChildMessage, RunRequest } from './inference-protocol.js';

export type ExitListener = (code: number | null, signal: string | null) => void;

export interface InferenceProcess {
  send(request: RunRequest): void;
  onMessage(listener: (message: ChildMessage) => void): () => void;
  /** called once, when the process has gone (exited, was killed, or could not start) */
  onExit(listener: ExitListener): () => void;
  /** stop it at once (SIGKILL where there are signals) */
  kill(): void;
  /** whether the process keeps this one alive: only while a run is in flight (a no-op where the host lives on anyway) */
  hold(running: boolean): void;
  readonly exited: boolean;
}

/** Starts the inference process from its compiled module (inference-child.js). */
export type InferenceLauncher = (modulePath: string) => InferenceProcess;

class ForkedProcess implements InferenceProcess {
  private gone = false;

  constructor(private readonly child: ChildProcess) {
    child.on('error', () => undefined); // reported through 'exit'
    child.once('exit', () => {
      this.gone = true;
    });
  }

  get exited(): boolean {
    return this.gone || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  send(request: RunRequest): void {
    this.child.send(request);
  }

  onMessage(listener: (message: ChildMessage) => void): () => void {
    this.child.on('message', listener);
    return () => this.child.off('message', listener);
  }

  onExit(listener: ExitListener): () => void {
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => listener(code, signal);
    this.child.once('exit', onExit);
    return () => this.child.off('exit', onExit);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  hold(running: boolean): void {
    if (running) {
      this.child.ref();
      this.child.channel?.ref();
    } else {
      this.child.unref();
      this.child.channel?.unref();
    }
  }
}

/** Node's child_process.fork: structured clone carries the typed arrays; stdout/stderr stay the app's. */
export const forkLauncher: InferenceLauncher = (modulePath) =>
  new ForkedProcess(fork(modulePath, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
