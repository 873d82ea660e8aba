import type { CommandParsedInput, MaskDetails, SavedGroundTruth, TeacherRef } from '../../shared/contract';
import { maskFromPngDataUrl } from '../mining/review';
import { imageRecord } from '../workspace/images';
import { currentGroundTruth, saveMask } from '../workspace/masks';
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
  const mask = maskFromPngDataUrl(req.maskDataUrl, rec.width, rec.height, req.imageId);
  const empty = !mask.data.some((v) => v !== 0);
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
    return saveMask(ws, req.imageId, mask, req.source.kind, { details });
  });
}
