/** A card's thumbnail width; the height follows the image's aspect ratio. */
export const CARD_WIDTH = 150;

export interface CardPicture {
  mask: HTMLCanvasElement | null;
  opacity: number;
  source: CanvasImageSource | null;
  /** The image's size, for the aspect ratio. */
  size: { width: number; height: number } | null;
}

/**
 * Svelte action: the image with one mask over it, small. The mask is drawn at least a quarter
 * opaque so a nearly transparent layer still shows on its card.
 */
export function cardThumbnail(node: HTMLCanvasElement, p: CardPicture) {
  const draw = (q: CardPicture) => {
    if (!q.size) return;
    node.width = CARD_WIDTH;
    node.height = Math.round((CARD_WIDTH * q.size.height) / q.size.width);
    const ctx = node.getContext('2d')!;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, node.width, node.height);
    if (q.source) ctx.drawImage(q.source, 0, 0, node.width, node.height);
    if (q.mask) {
      ctx.globalAlpha = Math.max(0.25, q.opacity);
      ctx.drawImage(q.mask, 0, 0, node.width, node.height);
      ctx.globalAlpha = 1;
    }
  };
  draw(p);
  return { update: draw };
}
