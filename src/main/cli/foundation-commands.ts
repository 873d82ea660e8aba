import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLoopbackHost } from '../host';
import { doctor } from '../services/doctor';
import { packageRoot } from '../util/package-root';
import { ProgressBar } from '../util/progress-bar';
import { listImages, workspaceStatus } from '../workspace/images';
import { importImages } from '../workspace/import';
import { createSplit, listSplits } from '../workspace/splits';
import { checkWorkspace } from '../workspace/verify';
import { DB_FILE, Workspace } from '../workspace/workspace';
import { exportMasks, type MaskExportFormat } from '../export/export-masks';
import { SLICE_AXES, type SliceAxis } from '../imaging/nifti-slices';
import { idList, num, UsageError, withWs, type Command } from './command';

export function foundationCommands(): Record<string, Command> {
  return {
    init: {
      summary: 'init <ws>                               make a new workspace folder (an existing workspace is left as it is: created false)',
      options: {},
      async run(pos) {
        if (!pos[0]) throw new UsageError('missing workspace folder');
        // `init` on a workspace that exists opens it unchanged; the answer must not claim it was made.
        const existed = existsSync(join(resolve(pos[0]), DB_FILE));
        const ws = Workspace.open(pos[0], { create: true });
        const status = workspaceStatus(ws);
        ws.close();
        return { workspace: status.path, created: !existed };
      },
    },
    import: {
      summary:
        'import <ws> <file|folder>... [--masks <folder> [--ignore V] [--new-structures]] [--axis axial|coronal|sagittal] [--seg-threshold F]\n                                          import PNG/JPEG (masks matched by file name: 0/255, 0/1 or 0..K label maps), DICOM (a SEG: ground truth of its imported sources) and NIfTI (.nii/.nii.gz volumes as slices; nnU-Net label volumes paired by name)',
      options: { masks: { type: 'string' }, ignore: { type: 'string' }, 'new-structures': { type: 'boolean' }, axis: { type: 'string' }, 'seg-threshold': { type: 'string' } },
      async run(pos, flags, json) {
        const paths = pos.slice(1);
        if (paths.length === 0) throw new UsageError('import needs at least one file or folder');
        const ignore = flags.ignore === undefined ? null : num(flags, 'ignore');
        if (ignore !== null && !(Number.isInteger(ignore) && ignore >= 1 && ignore <= 255)) {
          throw new UsageError('--ignore takes the masks\' ignore value, a whole number from 1 to 255');
        }
        if ((ignore !== null || flags['new-structures']) && !flags.masks) throw new UsageError('--ignore and --new-structures need --masks');
        const niftiAxis = (flags.axis ?? 'axial') as SliceAxis;
        if (!SLICE_AXES.includes(niftiAxis)) throw new UsageError(`--axis must be axial, coronal or sagittal (got ${niftiAxis})`);
        const segThreshold = flags['seg-threshold'] === undefined ? undefined : num(flags, 'seg-threshold');
        if (segThreshold !== undefined && !(segThreshold > 0 && segThreshold <= 1)) {
          throw new UsageError('--seg-threshold takes the fraction from which a FRACTIONAL SEG pixel is in its segment, above 0 and at most 1');
        }
        return withWs(pos, async (ws) => {
          const bar = json ? null : new ProgressBar('import');
          const onSigint = new AbortController();
          const stop = () => onSigint.abort();
          process.once('SIGINT', stop);
          try {
            const result = await importImages(
              ws,
              { paths, masks: flags.masks as string | undefined, ignore, newStructures: flags['new-structures'] === true, niftiAxis, segThreshold },
              {
                signal: onSigint.signal,
                onProgress: (p) => bar?.update(p.done, p.total),
              },
            );
            bar?.done();
            return result;
          } finally {
            process.off('SIGINT', stop);
          }
        });
      },
      print(result) {
        const r = result as Awaited<ReturnType<typeof importImages>>;
        console.log(`imported ${r.imported} images, ${r.masks} masks; ${r.duplicates} already present; ${r.failed.length} failed`);
        for (const s of r.newStructures ?? []) console.log(`  + structure ${s.value} "${s.name}" added to the label schema`);
        if (r.maskFiles?.length) console.log(`  masks read as: ${maskRuleCounts(r.maskFiles)}`);
        for (const f of r.failed) console.log(`  ✗ ${f.file}: ${f.error}`);
      },
    },
    split: {
      summary:
        'split <ws> --labeled 0.75 --val 0.1 --test 0.1 --seed 1 | --list\n                                          assign train/val/test and labeled/unlabeled; list splits',
      options: {
        labeled: { type: 'string' },
        val: { type: 'string' },
        test: { type: 'string' },
        seed: { type: 'string' },
        list: { type: 'boolean' },
      },
      async run(pos, flags) {
        // Flags are checked before the workspace is touched: a typo is a usage error, not a failed run.
        const request = flags.list
          ? null
          : { labeled: num(flags, 'labeled', 1), val: num(flags, 'val', 0.1), test: num(flags, 'test', 0.1), seed: num(flags, 'seed', 1) };
        return withWs(pos, (ws) => (request ? createSplit(ws, request) : { splits: listSplits(ws) }));
      },
    },
    status: {
      summary: 'status <ws>                             counts of images, masks and per split',
      options: {},
      async run(pos) {
        return withWs(pos, (ws) => workspaceStatus(ws));
      },
    },
    list: {
      summary: 'list <ws>                               images with id, source, format, size, split, mask',
      options: {},
      async run(pos) {
        return withWs(pos, (ws) => ({ images: listImages(ws).images }));
      },
      print(result) {
        for (const im of (result as { images: ReturnType<typeof listImages>['images'] }).images) {
          console.log(
            `${String(im.id).padStart(6)}  ${im.format.padEnd(5)} ${`${im.width}×${im.height}`.padEnd(10)} ${(im.split ?? '-').padEnd(9)} ${im.hasMask ? 'mask' : '    '}  ${im.sourcePath}${im.frameIndex ? ` [frame ${im.frameIndex}]` : ''}`,
          );
        }
      },
    },
    serve: {
      summary:
        'serve [<ws>] [--port N]                 the app in a browser: loopback host on 127.0.0.1 with a token valid until it stops;\n' +
        '                                          a new or empty folder becomes a workspace, none opens on New/Open',
      options: { port: { type: 'string' } },
      async run(pos, flags) {
        // Fail now, clearly, on a folder that holds other files; a new or empty one is made a workspace.
        if (pos[0]) Workspace.open(pos[0], { create: true }).close();
        const rendererDir = join(packageRoot(), 'out', 'renderer');
        if (!existsSync(join(rendererDir, 'index.html'))) buildRenderer();
        const host = await startLoopbackHost({ workspace: pos[0], rendererDir, port: flags.port ? num(flags, 'port') : undefined });
        process.stderr.write(
          `Apprentice is serving ${pos[0] ?? 'no workspace yet (New or Open in the app)'} on 127.0.0.1 only. Open the URL below; its token is valid until this server stops (a new one at every start):\n`,
        );
        process.stdout.write(JSON.stringify({ url: host.url, port: host.port }) + '\n');
        await new Promise<void>((ok) => {
          process.once('SIGINT', ok);
          process.once('SIGTERM', ok);
        });
        await host.close();
        return null;
      },
    },
    export: {
      summary:
        'export <ws> --out <folder> [--images 1,2,…] [--format auto|png|dicom-seg|nifti]\n                                          ground-truth masks at source resolution (DICOM SEG for DICOM sources)',
      options: { out: { type: 'string' }, images: { type: 'string' }, format: { type: 'string' }, label: { type: 'string' } },
      async run(pos, flags) {
        if (typeof flags.out !== 'string') throw new UsageError('--out <folder> is required');
        const format = (flags.format ?? 'auto') as MaskExportFormat;
        if (!['auto', 'png', 'dicom-seg', 'nifti'].includes(format)) throw new UsageError(`--format must be auto, png, dicom-seg or nifti (got ${format})`);
        const wanted = idList(flags, 'images');
        return withWs(pos, (ws) => {
          const imageIds =
            wanted ??
            listImages(ws)
              .images.filter((i) => i.hasMask)
              .map((i) => i.id);
          // Every file's outcome: the path written or why not (a failing file does not stop the others).
          return exportMasks(ws, { imageIds, outDir: flags.out as string, format, label: flags.label as string | undefined });
        });
      },
    },
    doctor: {
      summary:
        'doctor [--workspace <ws> [--repair]]     versions, student backends and teacher providers usable here;\n' +
        '                                          with --workspace, every stored file checked against its hash',
      options: { workspace: { type: 'string' }, repair: { type: 'boolean' } },
      async run(_pos, flags, json) {
        if (flags.repair && !flags.workspace) throw new UsageError('--repair needs --workspace <ws>');
        const machine = await doctor();
        if (!flags.workspace) return machine;
        const bar = json ? null : new ProgressBar('check');
        const check = await withWs([String(flags.workspace)], (ws) =>
          checkWorkspace(ws, { repair: Boolean(flags.repair), onProgress: (done, total) => bar?.update(done, total, 'stored files') }),
        );
        bar?.done();
        return { ...machine, workspace: check };
      },
    },
  };
}

function buildRenderer(): void {
  process.stderr.write('The renderer is not built yet; building it once (npm run build)…\n');
  // The build's log goes to stderr: stdout carries only serve's JSON line, which callers parse.
  const r = spawnSync(join(packageRoot(), 'node_modules/.bin/electron-vite'), ['build'], { cwd: packageRoot(), stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error('npm run build failed; see the messages above');
}

/** "12 binary-255, 3 label-map": how the import read its masks, in one line. */
function maskRuleCounts(files: { rule: string }[]): string {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.rule, (counts.get(f.rule) ?? 0) + 1);
  return [...counts].map(([rule, n]) => `${n} ${rule}`).join(', ');
}
