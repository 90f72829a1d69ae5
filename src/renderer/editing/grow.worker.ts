// Grow from seeds off the UI thread: the state sends crops of the image and the seeds, and gets the
// labelling of the crop back (its buffer moved, not copied).
import { growFromSeeds } from '../../shared/editing/grow-from-seeds.js';
import type { GrowRequest } from './grow-client.js';

const scope = self as unknown as { onmessage: ((event: MessageEvent<GrowRequest>) => void) | null; postMessage(message: unknown, transfer: Transferable[]): void };

scope.onmessage = ({ data }) => {
  try {
    const { labels } = growFromSeeds({ dims: data.dims, spacing: data.spacing, data: data.image }, { dims: data.dims, spacing: data.spacing, data: data.seeds });
    scope.postMessage({ labels }, [labels.buffer]);
  } catch (err) {
    scope.postMessage({ error: (err as Error).message }, []);
  }
};
