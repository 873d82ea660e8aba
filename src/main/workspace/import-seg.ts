import type { CodedConcept, ImportResult, LabelStructure, MaskFileReport } from '../../shared/contract';
import type { ParsedSeg, SegCode, SegSegment } from '../imaging/dicom-seg-read';
import type { LabelMap } from '../imaging/mask';
import { maskFractions } from '../imaging/mask-rules';
import { addStructure, labelSchema } from './labels';
import { saveLabelMap } from './masks';
import type { Workspace } from './workspace';

/**
 * A DICOM SEG imported as ground truth of the frames it references (by SOP Instance UID and frame
 * number): every frame of the SEG must name an imported image, else nothing is stored and the
 * file's error says which sources are missing — the SEG is imported after its source. Segments
 * become structures of the label schema: one with the same name (any case) or the same coded type
 * and category, else a new structure with the segment's label and codes. Where segments overlap,
 * the higher segment number is kept (a label map holds one structure per pixel).
 */
export function importSeg(ws: Workspace, file: string, seg: ParsedSeg, result: ImportResult): { masks: number } {
  const targets = new Map<string, { id: number; width: number; height: number }>();
  const missing = new Set<string>();
  const find = ws.db.prepare("SELECT id, width, height FROM images WHERE sop_uid = ? AND frame_index = ? AND format = 'dicom'");
  for (const frame of seg.frames) {
    if (!frame.source) throw new Error('a SEG frame names no source image (no DerivationImageSequence): cannot place it');
    const key = `${frame.source.sopInstanceUid}#${frame.source.frameIndex}`;
    const row = find.get(frame.source.sopInstanceUid, frame.source.frameIndex) as { id: number; width: number; height: number } | undefined;
    if (row) targets.set(key, row);
    else missing.add(frame.source.frameIndex > 0 ? `${frame.source.sopInstanceUid} frame ${frame.source.frameIndex + 1}` : frame.source.sopInstanceUid);
  }
  if (missing.size > 0) {
    const list = [...missing].slice(0, 3).join(', ') + (missing.size > 3 ? ` and ${missing.size - 3} more` : '');
    throw new Error(
      `the SEG references ${missing.size} source frame${missing.size > 1 ? 's' : ''} not in this workspace (SOP Instance UID ${list}): ` +
        'import its source DICOM first, then the SEG; nothing was stored',
    );
  }
  for (const [key, t] of targets) {
    if (t.width !== seg.columns || t.height !== seg.rows) {
      throw new Error(`the SEG's frames are ${seg.columns}×${seg.rows} but source ${key.split('#')[0]} is ${t.width}×${t.height}; nothing was stored`);
    }
  }

  return ws.transaction(() => {
    const valueOf = structuresFor(ws, seg.segments, result);
    const maps = new Map<string, LabelMap>();
    const ordered = [...seg.frames].sort((a, b) => a.segment - b.segment);
    for (const frame of ordered) {
      const key = `${frame.source!.sopInstanceUid}#${frame.source!.frameIndex}`;
      let map = maps.get(key);
      if (!map) maps.set(key, (map = { width: seg.columns, height: seg.rows, data: new Uint8Array(seg.columns * seg.rows) }));
      const value = valueOf.get(frame.segment)!;
      for (let i = 0; i < map.data.length; i++) if (frame.mask.data[i]) map.data[i] = value;
    }
    result.maskFiles ??= [];
    for (const [key, map] of maps) {
      const target = targets.get(key)!;
      saveLabelMap(ws, target.id, map, 'imported', { sourcePath: file });
      const values = [...new Set(map.data)].sort((a, b) => a - b);
      const report: MaskFileReport = { file: `${file} → image ${target.id}`, rule: 'label-map', values, ...maskFractions(map), stored: true };
      result.maskFiles.push(report);
    }
    return { masks: maps.size };
  });
}

const sameCode = (a: CodedConcept, b: SegCode | null) => !!b && a.value === b.value && a.scheme === b.scheme;

/** Segment number → structure value, adding the structures the schema lacks (reported in the result). */
function structuresFor(ws: Workspace, segments: SegSegment[], result: ImportResult): Map<number, number> {
  const out = new Map<number, number>();
  for (const segment of segments) {
    const schema = labelSchema(ws);
    const found =
      schema.find((s) => s.name.toLowerCase() === segment.label.toLowerCase()) ??
      schema.find((s) => sameCode(s.type, segment.type) && sameCode(s.category, segment.category));
    if (found) {
      out.set(segment.number, found.value);
      continue;
    }
    const added: LabelStructure = addStructure(ws, {
      name: segment.label.slice(0, 64),
      ...(segment.category && segment.category.meaning ? { category: concept(segment.category) } : {}),
      ...(segment.type && segment.type.meaning ? { type: concept(segment.type) } : {}),
    });
    result.newStructures = [...(result.newStructures ?? []), added];
    out.set(segment.number, added.value);
  }
  return out;
}

function concept(c: SegCode): CodedConcept {
  return { value: c.value.slice(0, 64), scheme: c.scheme.slice(0, 16) || 'SCT', meaning: c.meaning.slice(0, 64) };
}
