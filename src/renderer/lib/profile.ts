/**
 * Opt-in timing of our own work per frame (`&profile=1` in the URL): User Timing measures that
 * DevTools and the viewer bench read. Off by default, since the browser keeps every entry.
 */
const enabled = typeof location !== 'undefined' && new URLSearchParams(location.search).has('profile');

/** Record `name` from `start` (performance.now()) to now, when profiling. */
export function measureSince(name: string, start: number): void {
  if (enabled) performance.measure(`delineate:${name}`, { start, end: performance.now() });
}
