import { existsSync } from 'node:fs';
import { releaseBlob } from './blob-release';
import { damagedModelFile, libraryFilePath, libraryRoot, libraryRunFolder, runFolderIn } from './model-library';
import type { Workspace } from './workspace';

/** A `models` row; the caller gives `files` and `interface` their types. */
export interface ModelRecord {
  id: number;
  family: string;
  name: string;
  files: unknown;
  interface: unknown;
  createdAt: string;
}

interface ModelRow {
  id: number;
  family: string;
  name: string;
  files: string;
  interface: string;
  created_at: string;
}

const COLUMNS = 'id, family, name, files, interface, created_at';

function toRecord(r: ModelRow): ModelRecord {
  return { id: r.id, family: r.family, name: r.name, files: JSON.parse(r.files), interface: JSON.parse(r.interface), createdAt: r.created_at };
}

/**
 * The stored copy of a model file: the machine's model library, or — for a model installed before
 * the library existed — this workspace's blob store. `missingFrom` names where it should be when
 * neither holds it; `damaged` says what is wrong when its bytes no longer match its SHA-256 (read
 * back once per process, so a damaged library file is reported rather than run).
 */
export function modelFilePath(ws: Workspace, sha256: string): { path: string; missingFrom: string | null; damaged: string | null } {
  const path = modelFileLocation(ws, sha256);
  if (!existsSync(path)) return { path, missingFrom: `the model library (${libraryRoot()}) and ${ws.blobs.root}`, damaged: null };
  return { path, missingFrom: null, damaged: damagedModelFile(path, sha256) };
}

/** Where a model file is kept (the library first), without reading it. */
export function modelFileLocation(ws: Workspace, sha256: string): string {
  return libraryFilePath(sha256) ?? ws.blobs.path(sha256);
}

/** A folder where onnxruntime finds the model file and its external data by the names the model gives them (see runFolderIn). */
export function modelRunFolder(ws: Workspace, sha256: string, data: readonly { location: string; sha256: string; bytes: number }[]): string {
  return libraryFilePath(sha256) ? libraryRunFolder(sha256, data) : runFolderIn(ws.blobs, sha256, data);
}

/**
 * The runs of this workspace that used a teacher model: mining runs configured with it, runs whose
 * pseudo-labels it made, and a running one that takes "the latest teacher" when this is the latest.
 */
export function runsUsingTeacherModel(ws: Workspace, modelId: number): { id: number; kind: string; status: string }[] {
  return ws.db
    .prepare(
      `SELECT id, kind, status FROM runs
        WHERE json_extract(config, '$.mining.teacher.modelId') = @id
           OR id IN (SELECT run_id FROM pseudo_labels WHERE teacher_model_id = @id)
           OR (status = 'running' AND json_extract(config, '$.mining.teacher.kind') = 'sam'
               AND json_extract(config, '$.mining.teacher.modelId') IS NULL
               AND @id = (SELECT MAX(id) FROM models WHERE role = 'teacher'))
        ORDER BY id`,
    )
    .all({ id: modelId }) as { id: number; kind: string; status: string }[];
}

/**
 * Forgets a teacher no run used, and frees the files a pre-library model kept in this workspace
 * (library files belong to the library).
 */
export function deleteTeacherModel(ws: Workspace, id: number): void {
  const row = teacherModelRecord(ws, id);
  if (!row) return;
  ws.db.prepare(`DELETE FROM models WHERE id = ? AND role = 'teacher'`).run(id);
  for (const f of row.files as { sha256: string; externalData?: { sha256: string }[] }[]) {
    for (const sha of [f.sha256, ...(f.externalData ?? []).map((d) => d.sha256)]) releaseBlob(ws, sha);
  }
}

export function insertTeacherModel(
  ws: Workspace,
  m: { family: string; name: string; files: unknown; interface: unknown; createdAt: string },
): number {
  const info = ws.db
    .prepare(`INSERT INTO models (role, family, name, files, interface, created_at) VALUES ('teacher', ?, ?, ?, ?, ?)`)
    .run(m.family, m.name, JSON.stringify(m.files), JSON.stringify(m.interface), m.createdAt);
  return Number(info.lastInsertRowid);
}

export function teacherModelRecords(ws: Workspace): ModelRecord[] {
  return (ws.db.prepare(`SELECT ${COLUMNS} FROM models WHERE role = 'teacher' ORDER BY id`).all() as ModelRow[]).map(toRecord);
}

/** The teacher with this id, or the most recently added one; null when there is none. */
export function teacherModelRecord(ws: Workspace, id?: number): ModelRecord | null {
  const row = (
    id === undefined
      ? ws.db.prepare(`SELECT ${COLUMNS} FROM models WHERE role = 'teacher' ORDER BY id DESC LIMIT 1`).get()
      : ws.db.prepare(`SELECT ${COLUMNS} FROM models WHERE role = 'teacher' AND id = ?`).get(id)
  ) as ModelRow | undefined;
  return row ? toRecord(row) : null;
}
