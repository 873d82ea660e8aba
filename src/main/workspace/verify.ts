import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { WorkspaceCheck, WorkspaceCheckProblem } from '../../shared/contract';
import { sharedDecoder } from '../imaging/decode-client';
import { decodeMaskFile, storedMaskPngForms } from '../imaging/mask';
import { bytesOf } from '../imaging/pixels';
import { describe } from '../util/errors';
import { readRegularFile } from '../util/file-walk';
import { BLOB_COLUMNS } from './blob-release';
import { modelFileLocation } from './models';
import type { Workspace } from './workspace';

/** SHA-256 of a file, read in chunks (checkpoints and teacher models are hundreds of MB). */
function hashFile(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 * 2 ** 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

type BlobState = 'ok' | 'missing' | 'damaged';

/** Where the store keeps a blob: teacher files named by the workspace live in the machine's model library (or, installed before it, here). */
function storedAt(ws: Workspace, blob: string, refs: readonly Reference[]): string {
  return refs.every((r) => r.of === 'model') ? modelFileLocation(ws, blob) : ws.blobs.path(blob);
}

function blobState(ws: Workspace, blob: string, path = ws.blobs.path(blob)): BlobState {
  try {
    statSync(path);
  } catch {
    return 'missing';
  }
  try {
    return hashFile(path) === blob ? 'ok' : 'damaged';
  } catch {
    return 'damaged';
  }
}

interface Reference {
  blob: string;
  what: string;
  of: string;
  row: number;
}

function references(ws: Workspace): Map<string, Reference[]> {
  const byBlob = new Map<string, Reference[]>();
  for (const col of BLOB_COLUMNS) {
    for (const r of ws.db.prepare(col.list).all() as { blob: string | null; row: number }[]) {
      if (!r.blob || !/^[0-9a-f]{64}$/.test(r.blob)) continue;
      const list = byBlob.get(r.blob) ?? [];
      list.push({ blob: r.blob, what: col.what, of: col.of, row: r.row });
      byBlob.set(r.blob, list);
    }
  }
  return byBlob;
}

interface ImageSource {
  id: number;
  source_path: string;
  source_blob: string;
  format: string;
  frame_index: number;
  pixel_blob: string | null;
  thumbnail_blob: string;
}

/**
 * Puts back what a re-import can make again: a source file still at its path with the same
 * content, and what is derived from it (decoded DICOM frames, thumbnails). Imported masks come back
 * from their own file. Returns a line saying how, or null when nothing can.
 */
async function repair(ws: Workspace, blob: string, refs: Reference[]): Promise<string | null> {
  for (const ref of refs) {
    if (ref.what === 'image source' || ref.what === 'decoded frame' || ref.what === 'thumbnail') {
      const img = ws.db
        .prepare('SELECT id, source_path, source_blob, format, frame_index, pixel_blob, thumbnail_blob FROM images WHERE id = ?')
        .get(ref.row) as ImageSource | undefined;
      if (!img) continue;
      let source: Buffer;
      if (blobState(ws, img.source_blob) === 'ok') source = ws.blobs.get(img.source_blob);
      else {
        try {
          source = readRegularFile(img.source_path, 2 ** 31 - 1);
        } catch {
          continue;
        }
        if (createHash('sha256').update(source).digest('hex') !== img.source_blob) continue;
        ws.blobs.put(source);
      }
      if (ref.what === 'image source') return `re-read from ${img.source_path}`;
      const made = await remake(source, img);
      if (made && made.get(ref.what) !== undefined) {
        const bytes = made.get(ref.what)!;
        if (createHash('sha256').update(bytes).digest('hex') === blob) {
          ws.blobs.put(bytes);
          return `decoded again from the image's source (${img.source_path})`;
        }
        // The decoder or thumbnail filter changed since the import: store what it makes now and
        // point the image at it (a thumbnail is display data; a frame decodes from the same source).
        const fresh = ws.blobs.put(bytes);
        const column = ref.what === 'thumbnail' ? 'thumbnail_blob' : 'pixel_blob';
        ws.db.prepare(`UPDATE images SET ${column} = ? WHERE id = ?`).run(fresh, img.id);
        return `decoded again from the image's source (${img.source_path}); this version of the app makes different bytes, the image now uses them`;
      }
    }
    if (ref.what === 'ground-truth mask') {
      const m = ws.db.prepare('SELECT source_path FROM masks WHERE blob = ? AND source_path IS NOT NULL').get(blob) as
        | { source_path: string }
        | undefined;
      if (!m) continue;
      try {
        const forms = storedMaskPngForms(decodeMaskFile(readRegularFile(m.source_path, 2 ** 31 - 1)));
        const png = forms.find((f) => createHash('sha256').update(f).digest('hex') === blob);
        if (png) {
          ws.blobs.put(png);
          return `read again from ${m.source_path}`;
        }
      } catch {
        continue;
      }
    }
  }
  return null;
}

async function remake(source: Buffer, img: ImageSource): Promise<Map<string, Uint8Array> | null> {
  try {
    if (img.format === 'dicom') {
      // The same decode process an import uses: a damaged source cannot take the check down with it.
      const frame = (await sharedDecoder().decode('dicom', source)).frames.find((f) => f.index === img.frame_index);
      return frame ? new Map([['decoded frame', bytesOf(frame.data)], ['thumbnail', frame.thumbnail]]) : null;
    }
    return new Map([['thumbnail', (await sharedDecoder().decode('raster', source)).thumbnail]]);
  } catch {
    return null;
  }
}

const ADVICE: Record<string, string> = {
  'image source': 'import the file again from where it came',
  'decoded frame': 'import the file again from where it came',
  thumbnail: 'import the file again from where it came',
  'ground-truth mask': 'import or draw the mask again',
  'pseudo-label mask': 'mine again',
  "pseudo-label's student": 'mine again',
  'run checkpoint': 'resume or repeat the run',
  'run best weights': 'repeat the run',
  'teacher model file': 'install the model files again (Models)',
  "teacher model's external data": 'install the model files again, with the data file beside the .onnx (Models)',
};

/**
 * Checks every blob the store names against its SHA-256: missing and damaged ones are listed with
 * what uses them, and with `repair`, what a re-import can make again is put back.
 */
export async function checkWorkspace(
  ws: Workspace,
  opts: { repair?: boolean; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<WorkspaceCheck> {
  const byBlob = references(ws);
  const problems: WorkspaceCheckProblem[] = [];
  let bytes = 0;
  let done = 0;
  for (const [blob, refs] of byBlob) {
    opts.signal?.throwIfAborted();
    opts.onProgress?.(done++, byBlob.size);
    const path = storedAt(ws, blob, refs);
    const state = blobState(ws, blob, path);
    if (state === 'ok') {
      bytes += statSync(path).size;
      continue;
    }
    let repaired: string | null = null;
    let repairError: string | null = null;
    if (opts.repair) {
      try {
        repaired = await repair(ws, blob, refs);
      } catch (e) {
        repairError = describe(e);
      }
    }
    const advice = [...new Set(refs.map((r) => ADVICE[r.what] ?? 'import again'))].join('; ');
    problems.push({
      blob,
      state,
      usedBy: refs.slice(0, 5).map((r) => `${r.what} of ${r.of} ${r.row}`),
      uses: refs.length,
      repaired,
      advice: repaired ? null : repairError ? `repair failed (${repairError}); ${advice}` : advice,
    });
  }
  opts.onProgress?.(byBlob.size, byBlob.size);
  return {
    stored: byBlob.size,
    bytes,
    ok: byBlob.size - problems.length,
    missing: problems.filter((p) => p.state === 'missing').length,
    damaged: problems.filter((p) => p.state === 'damaged').length,
    repaired: problems.filter((p) => p.repaired).length,
    problems,
    integrity: String(ws.db.pragma('integrity_check', { simple: true })),
  };
}
