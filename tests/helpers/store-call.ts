import assert from 'node:assert/strict';
import { createServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';

/**
 * One contract call on a data directory from outside the running host (e2e tests read and prepare the
 * store this way): services are opened for the call and closed after it; a failed call fails the test.
 */
export async function callStore(dataDir: string, method: string, params: unknown): Promise<any> {
  const probe = createServices({ dataDir, host: 'test' });
  try {
    const outcome = await dispatch(probe.handlers, method, params, { host: 'test' });
    assert.ok(outcome.ok, JSON.stringify(!outcome.ok && outcome.error));
    return outcome.result;
  } finally {
    await probe.close();
  }
}
