import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as data from '../helpers/data';

const { REPO, sharedDataSkips, tempDir } = data;
const READERS = ['test/unit/dicom-seg-read.test.ts', 'test/unit/student-train.test.ts', 'test/integration/cli.test.ts'];

describe('a checkout without ../shared/data', () => {
  it('leaves out the test files that read the data, with one message naming the missing folder', () => {
    for (const dataDir of [join(tempDir('no-data'), 'missing'), tempDir('empty-data')]) {
      const { files, message } = sharedDataSkips(dataDir);
      expect(files).toEqual(expect.arrayContaining(READERS.map((f) => f.split('/').join(sep))));
      expect(files).not.toContain(join('test', 'unit', 'shared-data-gate.test.ts'));
      expect(files).not.toContain(join('test', 'unit', 'cli-first-run.test.ts'));
      expect(message).toContain(`${dataDir} is missing or empty`);
      expect(message).toContain(`the ${files.length} test files`);
    }
  });

  it('leaves out nothing when the data folder holds data, so CI runs every test', () => {
    const dataDir = tempDir('some-data');
    mkdirSync(join(dataDir, 'kvasir-seg'));
    writeFileSync(join(dataDir, 'README.md'), 'data');
    expect(sharedDataSkips(dataDir)).toEqual({ files: [], message: null });
  });

  it('knows every shared-data path the helper exports', () => {
    const paths = Object.entries(data).filter(
      ([, v]) => typeof v === 'string' && (v === data.SHARED_DATA || v.startsWith(data.SHARED_DATA + sep)),
    );
    expect(paths.length).toBeGreaterThan(1);
    for (const [name] of paths) expect(data.SHARED_DATA_PATHS).toContain(name);
  });

  it('vitest run on data-reading files skips them with the message instead of failing with ENOENT', () => {
    const empty = tempDir('empty-data');
    const r = spawnSync(
      process.execPath,
      [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', 'test/unit/dicom-seg-read.test.ts', 'test/unit/nifti.test.ts'],
      {
        cwd: REPO,
        encoding: 'utf8',
        env: { ...process.env, APPRENTICE_SHARED_DATA: empty },
        timeout: 120_000,
      },
    );
    const output = r.stdout + r.stderr;
    expect(r.status, output).toBe(0);
    expect(output).toContain(`The shared data folder ${empty} is missing or empty`);
    expect(output).not.toContain('ENOENT');
  });
});
