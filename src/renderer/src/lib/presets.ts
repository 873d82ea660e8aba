/** Common CT windows in Hounsfield units (centre, width). "File" uses the DICOM file's own window. */
export const WINDOW_PRESETS = [
  { name: 'Soft tissue', center: 40, width: 400 },
  { name: 'Lung', center: -600, width: 1500 },
  { name: 'Bone', center: 400, width: 1800 },
  { name: 'Brain', center: 40, width: 80 },
] as const;
