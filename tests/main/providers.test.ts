import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeStatus, onnxruntimeVersion, probeProvider } from '../../src/main/compute/providers.js';
import { ComputeStatusSchema } from '../../src/shared/contract.js';

const T = { timeout: 60_000 };

describe('compute providers', () => {
  test('the CPU provider really runs a session', T, async () => {
    assert.deepEqual(await probeProvider('cpu'), { provider: 'cpu', available: true, detail: 'cpu session ran' });
  });

  test('CUDA is unavailable on this machine, with a one-line reason (fails where CUDA loads: intended)', T, async () => {
    const cuda = await probeProvider('cuda');
    assert.equal(cuda.provider, 'cuda');
    assert.equal(cuda.available, false);
    assert.ok(cuda.detail.length > 0 && cuda.detail.length <= 300 && !cuda.detail.includes('\n'), cuda.detail);
  });

  test('computeStatus follows the allowGpu of each call, not of the first one', T, async () => {
    const allowed = await computeStatus({ allowGpu: true });
    const disallowed = await computeStatus({ allowGpu: false });
    for (const status of [allowed, disallowed]) {
      assert.equal(ComputeStatusSchema.safeParse(status).success, true);
      assert.equal(status.onnxruntimeVersion, onnxruntimeVersion());
      assert.ok(status.cpuThreads >= 1);
    }
    // allowed, but this machine has no CUDA
    assert.equal(allowed.active, 'cpu');
    assert.match(allowed.reason, /^CPU: the CUDA execution provider is not available \(.+\)\.$/);
    // turned off in settings: that is the reason given, whatever the hardware
    assert.equal(disallowed.active, 'cpu');
    assert.equal(disallowed.reason, 'CPU: GPU use is turned off in settings.');
    // and back: the GPU-allowed answer does not get stuck on the previous call's setting either
    assert.equal((await computeStatus({ allowGpu: true })).reason, allowed.reason);
    // the CUDA probe itself is shared between calls
    assert.deepEqual(disallowed.cuda, allowed.cuda);
  });
});
