/**
 * Keyboard shortcuts registry: components register named actions with a key; one window listener
 * dispatches, ignoring keys typed into text fields. The help overlay lists what is registered.
 */
export interface Shortcut {
  /** KeyboardEvent.key, optionally with modifiers: 'j', '?', 'Escape', 'Ctrl+z' */
  keys: string;
  description: string;
  run: () => void;
}

export function keyOf(event: KeyboardEvent): string {
  const mods = [event.ctrlKey || event.metaKey ? 'Ctrl' : '', event.altKey ? 'Alt' : ''].filter(Boolean);
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  // '?' already implies Shift; keep Shift for named keys (Shift+Tab) and with Ctrl/Alt (Ctrl+Shift+z)
  if (event.shiftKey && (event.key.length > 1 || mods.length > 0)) mods.push('Shift');
  return [...mods, key === '?' ? '?' : key].join('+');
}

export class ShortcutRegistry {
  private readonly shortcuts = new Map<string, Shortcut>();
  /** what is registered now, in registration order (reactive: the help overlay renders it) */
  list = $state<Shortcut[]>([]);

  register(shortcut: Shortcut): () => void {
    const key = normalise(shortcut.keys);
    if (this.shortcuts.has(key)) throw new Error(`shortcut ${shortcut.keys} registered twice`);
    this.shortcuts.set(key, shortcut);
    this.list = [...this.shortcuts.values()];
    return () => {
      if (this.shortcuts.get(key) === shortcut) this.shortcuts.delete(key);
      this.list = [...this.shortcuts.values()];
    };
  }

  /** Attach to a window; returns the detach function. */
  attach(target: Window): () => void {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target)) return;
      const shortcut = this.shortcuts.get(keyOf(event));
      if (!shortcut) return;
      event.preventDefault();
      shortcut.run();
    };
    target.addEventListener('keydown', onKey);
    return () => target.removeEventListener('keydown', onKey);
  }
}

function normalise(keys: string): string {
  const parts = keys.split('+');
  const key = parts.pop()!;
  return [...parts, key.length === 1 ? key.toLowerCase() : key].join('+');
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
