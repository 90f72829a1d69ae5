import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS, runCli } from '../../src/main/cli/main.js';
import type { DoctorReport } from '../../src/main/cli/doctor.js';

/** dist/tests/main/cli.test.js -> the repository root */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-cli-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env });
  return { code, stdout, stderr };
}

function assertOneLineError(run: Run): void {
  assert.ok(run.stderr.startsWith('delineate: '), run.stderr);
  assert.ok(run.stderr.endsWith('\n'));
  assert.equal(run.stderr.split('\n').length, 2, `exactly one line: ${JSON.stringify(run.stderr)}`);
}

const T = { timeout: 60_000 };

describe('delineate CLI', () => {
  test('the test reads the real package.json', () => {
    assert.equal(pkg.name, 'delineate');
    assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  });

  for (const argv of [['--help'], ['-h'], ['help'], []]) {
    test(`${JSON.stringify(argv)} prints the top help listing serve and doctor`, async () => {
      const run = await cli(argv);
      assert.equal(run.code, 0);
      assert.equal(run.stderr, '');
      assert.match(run.stdout, /^Delineate /);
      assert.match(run.stdout, /Usage: delineate <command>/);
      assert.match(run.stdout, /^ {2}serve {6}\S/m);
      assert.match(run.stdout, /^ {2}doctor {5}\S/m);
      for (const command of COMMANDS) assert.ok(run.stdout.includes(command.summary), command.name);
    });
  }

  for (const flag of ['--version', '-v']) {
    test(`${flag} prints the package.json version`, async () => {
      const run = await cli([flag]);
      assert.equal(run.code, 0);
      assert.equal(run.stdout, `${pkg.version}\n`);
      assert.equal(run.stderr, '');
    });
  }

  test('an unknown command exits 2 with a one-line error on stderr', async () => {
    const run = await cli(['frobnicate']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assertOneLineError(run);
    assert.match(run.stderr, /frobnicate/);
  });

  test('an unknown command with --json also prints the error envelope on stdout', async () => {
    const run = await cli(['frobnicate', '--json']);
    assert.equal(run.code, 2);
    assertOneLineError(run);
    const parsed = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    assert.equal(parsed.error.code, 'invalid_params');
    assert.match(parsed.error.message, /frobnicate/);
  });

  test('an unknown option exits 2 with a one-line error naming the command help', async () => {
    const run = await cli(['doctor', '--bogus']);
    assert.equal(run.code, 2);
    assertOneLineError(run);
    assert.match(run.stderr, /--bogus/);
    assert.match(run.stderr, /delineate doctor --help/);
  });

  test('an option missing its value exits 2', async () => {
    const run = await cli(['doctor', '--data-dir']);
    assert.equal(run.code, 2);
    assertOneLineError(run);
  });

  test('a stray positional argument is refused', async () => {
    const run = await cli(['doctor', 'extra']);
    assert.equal(run.code, 2);
    assertOneLineError(run);
  });

  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      test(`${command.name} ${flag} exits 0 with its usage and options`, async () => {
        const run = await cli([command.name, flag]);
        assert.equal(run.code, 0);
        assert.equal(run.stderr, '');
        assert.ok(run.stdout.startsWith(command.summary), run.stdout);
        assert.ok(run.stdout.includes(`Usage: ${command.usage}`));
        assert.match(run.stdout, new RegExp(`Usage: delineate ${command.name}\\b`));
        for (const option of [...Object.keys(command.options), 'json', 'help']) assert.ok(run.stdout.includes(`--${option}`), `${command.name} help lists --${option}`);
      });
    }
  }

  test('doctor --json reports this machine: CPU yes, CUDA no, SQLite 3, the given data dir', T, async () => {
    const dataDir = path.join(tmp, 'doctor-data');
    fs.mkdirSync(dataDir);
    const run = await cli(['doctor', '--json', '--data-dir', dataDir]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const report = JSON.parse(run.stdout) as DoctorReport;
    assert.equal(report.delineate, pkg.version);
    assert.equal(report.node, process.version);
    assert.equal(report.platform, `${process.platform}-${process.arch}`);

    const providers = Object.fromEntries(report.onnxruntime.providers.map((p) => [p.name, p]));
    assert.deepEqual(Object.keys(providers).sort(), ['cpu', 'cuda']);
    assert.equal(providers.cpu!.available, true, providers.cpu!.detail);
    assert.equal(providers.cpu!.detail, 'cpu session ran');
    // This machine has no GPU. On a machine where CUDA loads this assertion fails: that is intended.
    assert.equal(providers.cuda!.available, false, `CUDA unexpectedly available: ${providers.cuda!.detail}`);
    assert.ok(providers.cuda!.detail.length > 0, 'the reason CUDA is unavailable is reported');
    assert.match(report.onnxruntime.version, /^\d+\.\d+\.\d+/);

    assert.match(report.sqlite.version, /^3\./);
    assert.match(report.sqlite.betterSqlite3, /^\d+\.\d+\.\d+/);
    assert.deepEqual(report.dataDir, { path: dataDir, exists: true, writable: true });
    assert.equal(typeof report.electron.installed, 'boolean');
  });

  test('doctor reports a data dir that does not exist yet, resolved to an absolute path', T, async () => {
    const missing = path.join(tmp, 'not', 'yet');
    const relative = path.relative(process.cwd(), missing);
    const run = await cli(['doctor', '--json', `--data-dir=${relative}`]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as DoctorReport;
    assert.deepEqual(report.dataDir, { path: missing, exists: false, writable: true });
    assert.equal(fs.existsSync(missing), false, 'doctor does not create the data dir');
  });

  test('doctor takes the data dir from DELINEATE_DATA_DIR when no --data-dir is given', T, async () => {
    const fromEnv = path.join(tmp, 'from-env');
    const run = await cli(['doctor', '--json'], { DELINEATE_DATA_DIR: fromEnv });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as DoctorReport).dataDir.path, fromEnv);
  });

  test('doctor without --json prints the human report', T, async () => {
    const run = await cli(['doctor', '--data-dir', tmp]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^Delineate ${pkg.version.replace(/\./g, '\\.')} on Node `));
    assert.match(run.stdout, /^ {2}cpu {3}available: cpu session ran$/m);
    assert.match(run.stdout, /^ {2}cuda {2}unavailable: /m);
    assert.match(run.stdout, /^SQLite: +3\./m);
    assert.ok(run.stdout.includes(`Data dir:     ${tmp} (exists: yes, writable: yes)`), run.stdout);
    assert.throws(() => JSON.parse(run.stdout));
  });

  test('the real binary: node bin/delineate.js --version exits 0 with the version', T, async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['bin/delineate.js', '--version'], { cwd: repoRoot, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
      });
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${pkg.version}\n`);
    assert.equal(result.stderr, '');
  });

  test('the real binary sets exit code 2 for an unknown command', T, async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['bin/delineate.js', 'frobnicate'], { cwd: repoRoot, timeout: 30_000 }, (err, _stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr });
      });
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^delineate: Unknown command "frobnicate"/);
  });
});
