import type { CommandParsedInput, MaskDetails, SavedGroundTruth, TeacherRef } from '../../shared/contract';
import { maskFromPngDataUrl } from '../mining/review';
import { imageRecord } from '../workspace/images';
import { decodeCompactLabelMap } from '../../shared/compact-label-map';
import { IGNORE_LABEL, type LabelMap } from '../imaging/mask';
import { currentGroundTruth, saveLabelMap } from '../workspace/masks';
import { teacherModelRecord } from '../workspace/models';
import type { Workspace } from '../workspace/workspace';

// A label the radiologist made in the Viewer becomes ground truth here: by hand ('drawn') or from a
// SAM proposal ('sam-assisted', naming the model and the prompts). The caller says which ground
// truth it drew over, so a mask it never saw — an imported one hidden from training, or one saved
// from another window — is never replaced behind its back.

export class LabelError extends Error {}

/** The teacher as a label records it; its name is kept as it was, should the model be removed later. */
export function teacherRef(ws: Workspace, modelId: number): TeacherRef {
  const m = teacherModelRecord(ws, modelId);
  if (!m) throw new LabelError(`there is no teacher model #${modelId} in this workspace (Models tab); nothing was stored`);
  return { id: m.id, name: m.name, family: m.family };
}

function describe(v: { version: number; provenance: string; hidden: boolean }): string {
  return `version ${v.version}, ${v.provenance}${v.hidden ? ', hidden from training' : ''}`;
}

// An empty label is ground truth only when the radiologist says so: a normal image ("no finding")
// teaches the student what is not a lesion, but an empty label saved by a slip — an erased stroke, a
// click before drawing — would teach the same thing about an image that has one.

export function saveLabel(ws: Workspace, req: CommandParsedInput<'masks.save'>): SavedGroundTruth {
  const rec = imageRecord(ws, req.imageId);
  const map = labelOf(req, rec.width, rec.height);
  const empty = !map.data.some((v) => v !== 0 && v !== IGNORE_LABEL);
  if (empty && !req.noFinding) {
    throw new LabelError(
      `the label of image ${req.imageId} is empty — nothing was stored. Draw the finding, or use "Save as no finding" to store an empty ground truth for a normal image`,
    );
  }
  if (!empty && req.noFinding) {
    throw new LabelError(`"Save as no finding" stores an empty label, but image ${req.imageId}'s label has drawn pixels: erase them or save the label — nothing was stored`);
  }
  const details: MaskDetails | null =
    req.source.kind === 'sam-assisted'
      ? { teacher: teacherRef(ws, req.source.modelId), prompts: req.source.prompts, edited: req.source.edited }
      : req.noFinding
        ? { noFinding: true }
        : null;
  return ws.transaction(() => {
    const current = currentGroundTruth(ws, req.imageId);
    if ((current?.maskId ?? null) !== req.replaces) {
      throw new LabelError(
        current
          ? `image ${req.imageId} has ground truth you did not draw over (${describe(current)}); reopen the image to edit it — nothing was stored`
          : `image ${req.imageId}'s ground truth was removed since you opened it; reopen the image — nothing was stored`,
      );
    }
    return saveLabelMap(ws, req.imageId, map, req.source.kind, { details });
  });
}

/** The label as sent: a binary PNG (structure 1) or a label map of several structures, at the image's size. */
function labelOf(req: CommandParsedInput<'masks.save'>, width: number, height: number): LabelMap {
  if ((req.maskDataUrl === undefined) === (req.labelMap === undefined)) {
    throw new LabelError(`a label is sent as maskDataUrl (binary) or as labelMap, exactly one of them; nothing was stored`);
  }
  if (req.maskDataUrl !== undefined) return maskFromPngDataUrl(req.maskDataUrl, width, height, req.imageId);
  const m = req.labelMap!;
  if (m.width !== width || m.height !== height) {
    throw new LabelError(`the label map is ${m.width}×${m.height} but image ${req.imageId} is ${width}×${height}; nothing was stored`);
  }
  try {
    return { width, height, data: decodeCompactLabelMap(m) };
  } catch (e) {
    throw new LabelError(`the label map of image ${req.imageId} is not readable (${e instanceof Error ? e.message : String(e)}); nothing was stored`);
  }
}
