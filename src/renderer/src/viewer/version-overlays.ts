import { api } from '../lib/api';
import { colouredMask } from '../lib/images';
import { hexToRgb, versionColour } from '../overlay/colour';
import { versionLabel } from './version-label';

/** One pseudo-label version of the image in the Viewer: its own overlay, shown or hidden. */
export interface VersionOverlay {
  id: number;
  label: string;
  canvas: HTMLCanvasElement;
  visible: boolean;
  colour: string;
}

/** Every pseudo-label version of the image, oldest first; only the latest starts visible. */
export async function loadVersionOverlays(imageId: number): Promise<VersionOverlay[]> {
  const r = await api.call('review.image', { imageId });
  return Promise.all(
    r.versions.map(async (v, i) => {
      // By age, as Review colours them: the same version has the same colour in both views.
      const colour = versionColour(r.versions.length - 1 - i);
      return {
        id: v.id,
        label: versionLabel(v),
        canvas: await colouredMask(v.maskDataUrl, hexToRgb(colour)),
        visible: i === r.versions.length - 1,
        colour,
      };
    }),
  );
}
