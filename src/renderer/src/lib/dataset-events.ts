/**
 * "The dataset changed" (a split made or overridden) from any view, so the Dataset list, the
 * header and the Viewer show the same split at once without each asking the others.
 */
const listeners = new Set<() => void>();

export function onDatasetChanged(listener: () => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

export function announceDatasetChanged(): void {
  for (const l of listeners) l();
}
