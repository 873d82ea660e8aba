import type { PatientNode } from '../../../shared/contract';

/**
 * The tree narrowed to series matching the text (in the patient's name or ID, the study's
 * description or date, or the series label) and the modality; empty studies and patients drop out.
 */
export function filterTree(patients: readonly PatientNode[], query: string, modality: string): PatientNode[] {
  const q = query.trim().toLowerCase();
  const has = (...texts: (string | null)[]) => !q || texts.some((t) => t?.toLowerCase().includes(q));
  return patients
    .map((p) => ({
      ...p,
      studies: p.studies
        .map((st) => ({
          ...st,
          series: st.series.filter(
            (s) => (modality === 'any' || (s.modality ?? '?') === modality) && has(p.name, p.key, st.description, st.date, s.label),
          ),
        }))
        .filter((st) => st.series.length > 0),
    }))
    .filter((p) => p.studies.length > 0);
}
