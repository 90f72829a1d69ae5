import fs from 'node:fs';

/**
 * Peak RSS of this process image. Linux keeps getrusage's maxRSS across exec (a child of a big parent
 * starts with the parent's figure), so read VmHWM, which belongs to this address space; elsewhere fall
 * back to maxRSS. Sampling would miss spikes and cost CPU.
 */
export function peakRssBytes(): number {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
