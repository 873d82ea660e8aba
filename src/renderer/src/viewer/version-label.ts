import type { ReviewImage } from '../../../shared/contract';

type Version = ReviewImage['versions'][number];

/** The version's line in the side panel: number, the epoch or round that made it, agreement, decision. */
export function versionLabel(v: Pick<Version, 'version' | 'epoch' | 'runKind' | 'agreementDice' | 'decision'>): string {
  return `v${v.version}${v.epoch !== null ? ` · ${v.runKind === 'mining-continuous' ? 'epoch' : 'round'} ${v.epoch}` : ''}${v.agreementDice !== null ? ` · Dice ${v.agreementDice.toFixed(2)}` : ''} · ${v.decision}`;
}
