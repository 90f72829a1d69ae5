import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { REQUESTS, METHODS } from '../../src/shared/contract.js';
import { HOST_PATH_EXEMPT, HOST_PATH_PARAMS, hostPathsOf } from '../../src/shared/host-paths.js';

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; allOf?: JsonSchema[] };

/** Every string-typed leaf of a params schema, as "a.b" / "a[]" locations (the form HOST_PATH_PARAMS uses). */
function stringLeaves(schema: JsonSchema, where = ''): string[] {
  const out: string[] = [];
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.includes('string')) out.push(where);
  for (const [key, child] of Object.entries(schema.properties ?? {})) out.push(...stringLeaves(child, where ? `${where}.${key}` : key));
  if (schema.items) out.push(...stringLeaves(schema.items, `${where}[]`));
  for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) out.push(...stringLeaves(alt, where));
  return [...new Set(out)];
}

const leavesOf = (method: string) =>
  stringLeaves(z.toJSONSchema(REQUESTS[method as keyof typeof REQUESTS].params, { io: 'input', unrepresentable: 'any' }) as JsonSchema);

/** A field name that says "a place on disk". */
const PATH_LIKE = /path|file|dir|folder|^out$|Out$|^out[A-Z]/i;
const lastName = (where: string) => where.replace(/\[\]$/, '').split('.').pop()!;

describe('host path params (the Electron path guard covers every one)', () => {
  test('the schema walk finds nested and array string fields (so the coverage test below can fail)', () => {
    assert.deepEqual(leavesOf('studies.import'), ['paths[]']);
    assert.ok(leavesOf('export.mask').includes('deidentify.mappingFile'));
    assert.ok(leavesOf('export.mask').includes('out'));
  });

  test('every string param named like a path is declared a host path or exempted with a reason', () => {
    const uncovered: string[] = [];
    for (const method of METHODS) {
      const declared = new Set((HOST_PATH_PARAMS[method] ?? []).map((p) => p.param));
      for (const leaf of leavesOf(method)) {
        if (!PATH_LIKE.test(lastName(leaf))) continue;
        if (declared.has(leaf) || Object.hasOwn(HOST_PATH_EXEMPT, `${method}:${leaf}`)) continue;
        uncovered.push(`${method} ${leaf}`);
      }
    }
    assert.deepEqual(uncovered, [], 'declare these in src/shared/host-paths.ts (HOST_PATH_PARAMS, or HOST_PATH_EXEMPT with the reason)');
  });

  test('every declared host path is a string param of a contract method (no stale or misspelt entries)', () => {
    for (const [method, params] of Object.entries(HOST_PATH_PARAMS)) {
      assert.ok(METHODS.includes(method as (typeof METHODS)[number]), `${method} is not a contract method`);
      const leaves = leavesOf(method);
      for (const { param } of params) assert.ok(leaves.includes(param), `${method} has no string param ${param} (has ${leaves.join(', ')})`);
    }
    for (const key of Object.keys(HOST_PATH_EXEMPT)) {
      const [method, param] = key.split(':') as [string, string];
      assert.ok(leavesOf(method).includes(param), `exempt ${key} is not a string param`);
    }
  });

  test('the host paths of the known path-taking calls, with their access', () => {
    const expected: Record<string, string[]> = {
      'studies.import': ['paths[] read'],
      'models.add': ['path read'],
      'masks.import': ['path read', 'labelsPath read'],
      'export.mask': ['out write', 'imageOut write', 'deidentify.mappingFile write'],
      'export.dataset': ['outDir write', 'mappingFile write'],
      'reports.agreement': ['outDir write'],
      'settings.update': ['dataDir write'],
    };
    for (const [method, list] of Object.entries(expected)) {
      assert.deepEqual((HOST_PATH_PARAMS[method] ?? []).map((p) => `${p.param} ${p.access}`), list, method);
    }
  });

  test('hostPathsOf finds every value, in arrays and nested objects, and nothing in absent fields', () => {
    assert.deepEqual(hostPathsOf('studies.import', { paths: ['/a', '/b'] }), [
      { param: 'paths[0]', access: 'read', value: '/a' },
      { param: 'paths[1]', access: 'read', value: '/b' },
    ]);
    assert.deepEqual(
      hostPathsOf('export.mask', { segmentationId: 1, format: 'seg', out: '/o.dcm', deidentify: { mappingFile: '/m.csv' } }).map((f) => `${f.param}=${f.value}`),
      ['out=/o.dcm', 'deidentify.mappingFile=/m.csv'],
    );
    assert.deepEqual(hostPathsOf('export.mask', { segmentationId: 1, format: 'seg', out: '/o.dcm' }).length, 1);
    assert.deepEqual(hostPathsOf('settings.update', { dataDir: null }), []);
    assert.deepEqual(hostPathsOf('app.info', {}), []);
    assert.deepEqual(hostPathsOf('__proto__', {}), []);
  });
});
