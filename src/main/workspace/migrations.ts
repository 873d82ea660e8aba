// Numbered schema migrations. Append only: a shipped migration is never edited, and a workspace
// written by a newer app (higher user_version) is refused rather than silently misread.
export const MIGRATIONS: readonly string[] = [
  // 1: the foundation — images, masks, splits, and empty tables the engine issues fill.
  `
  CREATE TABLE images (
    id              INTEGER PRIMARY KEY,
    sha256          TEXT NOT NULL,            -- of the source file's bytes
    frame_index     INTEGER NOT NULL DEFAULT 0,
    source_path     TEXT NOT NULL,
    source_blob     TEXT NOT NULL,            -- blob holding the source file
    format          TEXT NOT NULL CHECK (format IN ('png', 'jpeg', 'dicom')),
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    samples         INTEGER NOT NULL CHECK (samples IN (1, 3)),
    pixel_blob      TEXT,                     -- decoded frame (DICOM only); PNG/JPEG decode from source
    pixel_dtype     TEXT,
    pixel_min       REAL,
    pixel_max       REAL,
    thumbnail_blob  TEXT NOT NULL,
    modality        TEXT,
    photometric     TEXT,
    transfer_syntax TEXT,
    window_center   REAL,
    window_width    REAL,
    rescale_slope   REAL NOT NULL DEFAULT 1,
    rescale_intercept REAL NOT NULL DEFAULT 0,
    pixel_spacing   TEXT,                     -- JSON [row, col] in mm
    study_uid       TEXT,
    series_uid      TEXT,
    sop_uid         TEXT,
    frames          INTEGER NOT NULL DEFAULT 1,
    imported_at     TEXT NOT NULL,
    UNIQUE (sha256, frame_index)
  );
  CREATE TABLE masks (
    id           INTEGER PRIMARY KEY,
    image_id     INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    blob         TEXT NOT NULL,               -- PNG, 0/255, at the image's source resolution
    area         INTEGER NOT NULL,
    provenance   TEXT NOT NULL CHECK (provenance IN ('imported', 'drawn', 'promoted')),
    source_path  TEXT,
    pseudo_label_id INTEGER REFERENCES pseudo_labels(id),
    created_at   TEXT NOT NULL,
    current      INTEGER NOT NULL DEFAULT 1
  );
  CREATE UNIQUE INDEX masks_one_current ON masks(image_id) WHERE current = 1;
  CREATE TABLE splits (
    id            INTEGER PRIMARY KEY,
    seed          INTEGER NOT NULL,
    labeled_ratio REAL NOT NULL,
    val_ratio     REAL NOT NULL,
    test_ratio    REAL NOT NULL,
    created_at    TEXT NOT NULL
  );
  CREATE TABLE split_members (
    split_id  INTEGER NOT NULL REFERENCES splits(id) ON DELETE CASCADE,
    image_id  INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    subset    TEXT NOT NULL CHECK (subset IN ('labeled', 'unlabeled', 'val', 'test')),
    PRIMARY KEY (split_id, image_id)
  );
  CREATE TABLE models (
    id          INTEGER PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('student', 'teacher')),
    family      TEXT NOT NULL,
    name        TEXT NOT NULL,
    files       TEXT NOT NULL,                -- JSON: [{part, path, sha256, bytes}]
    interface   TEXT NOT NULL,                -- JSON: what the checks found
    created_at  TEXT NOT NULL
  );
  CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'done', 'failed', 'cancelled')),
    split_id    INTEGER REFERENCES splits(id),
    backend     TEXT,
    config      TEXT NOT NULL,                -- JSON of every setting, defaults included
    checkpoint_blob TEXT,
    result      TEXT,                         -- JSON
    started_at  TEXT NOT NULL,
    finished_at TEXT
  );
  CREATE TABLE metrics (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch   INTEGER NOT NULL,
    name    TEXT NOT NULL,
    value   REAL NOT NULL,
    PRIMARY KEY (run_id, epoch, name)
  );
  CREATE TABLE pseudo_labels (
    id               INTEGER PRIMARY KEY,
    image_id         INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    run_id           INTEGER REFERENCES runs(id),
    version          INTEGER NOT NULL,
    epoch            INTEGER,
    teacher_model_id INTEGER REFERENCES models(id),
    student_checkpoint TEXT,
    prompts          TEXT NOT NULL,           -- JSON
    mask_blob        TEXT NOT NULL,
    iou_prediction   REAL,
    agreement_dice   REAL,
    status           TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'accepted', 'rejected')),
    created_at       TEXT NOT NULL,
    UNIQUE (image_id, version)
  );
  `,
  // 2: experiment grids (ratio × schedule × seed), each cell pointing at its run, so an
  // interrupted grid resumes without redoing finished cells.
  `
  CREATE TABLE experiments (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    spec       TEXT NOT NULL,                 -- JSON of the grid and every setting
    created_at TEXT NOT NULL
  );
  CREATE TABLE experiment_cells (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    seed          INTEGER NOT NULL,
    ratio         REAL NOT NULL,
    schedule      TEXT NOT NULL,
    split_id      INTEGER REFERENCES splits(id),
    run_id        INTEGER REFERENCES runs(id),
    PRIMARY KEY (experiment_id, seed, ratio, schedule)
  );
  `,
  // 3: ground truth says how it was made: labels drawn with SAM's help join imported, drawn and
  // promoted, and `details` (JSON) keeps what made each one (teacher model and prompts, whether the
  // proposal was edited). SQLite cannot change a CHECK in place, so the table is rebuilt, rows kept.
  `
  CREATE TABLE masks_v3 (
    id           INTEGER PRIMARY KEY,
    image_id     INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    blob         TEXT NOT NULL,
    area         INTEGER NOT NULL,
    provenance   TEXT NOT NULL CHECK (provenance IN ('imported', 'drawn', 'sam-assisted', 'promoted')),
    source_path  TEXT,
    pseudo_label_id INTEGER REFERENCES pseudo_labels(id),
    details      TEXT,
    created_at   TEXT NOT NULL,
    current      INTEGER NOT NULL DEFAULT 1
  );
  INSERT INTO masks_v3 (id, image_id, blob, area, provenance, source_path, pseudo_label_id, created_at, current)
    SELECT id, image_id, blob, area, provenance, source_path, pseudo_label_id, created_at, current FROM masks;
  DROP TABLE masks;
  ALTER TABLE masks_v3 RENAME TO masks;
  CREATE UNIQUE INDEX masks_one_current ON masks(image_id) WHERE current = 1;
  `,
  // 4: a run names the process that runs it and when it last showed life, so a second process
  // cannot resume it under the owner's feet and a run whose process died is not "running" forever.
  `
  ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
  ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
  `,
  // 5: where a DICOM frame sits, for the series browser and stack navigation (patient → study →
  // series, slices ordered by position then instance number), plus every window the file offers and
  // whether its spacing is at the patient (PixelSpacing) or the detector (ImagerPixelSpacing).
  // Rows imported before stay NULL: they group by their UIDs and order by instance and frame.
  `
  ALTER TABLE images ADD COLUMN patient_id TEXT;
  ALTER TABLE images ADD COLUMN patient_name TEXT;
  ALTER TABLE images ADD COLUMN study_description TEXT;
  ALTER TABLE images ADD COLUMN study_date TEXT;
  ALTER TABLE images ADD COLUMN series_description TEXT;
  ALTER TABLE images ADD COLUMN series_number INTEGER;
  ALTER TABLE images ADD COLUMN instance_number INTEGER;
  ALTER TABLE images ADD COLUMN image_position TEXT;     -- JSON [x, y, z] in mm (patient frame)
  ALTER TABLE images ADD COLUMN image_orientation TEXT;  -- JSON [6 direction cosines]
  ALTER TABLE images ADD COLUMN voi_windows TEXT;        -- JSON [{center, width, name}]
  ALTER TABLE images ADD COLUMN spacing_source TEXT;
  `,
  // 6: a label schema per workspace and ground truth with several structures. Every workspace starts
  // with the one structure a binary project always had (the "Lesion" its SEGs named). A mask's
  // \`blob\` stays the 0/255 PNG of structure 1, so every reader of binary masks works unchanged; a
  // mask with other structures or an ignore region also keeps \`labelmap_blob\` (PNG of 0..K, 255 =
  // ignore) and its pixels per structure in \`areas\` (JSON {value: pixels}).
  `
  CREATE TABLE label_structures (
    value       INTEGER PRIMARY KEY CHECK (value BETWEEN 1 AND 254),
    name        TEXT NOT NULL,
    color       TEXT NOT NULL,
    category    TEXT NOT NULL,                -- JSON coded concept {value, scheme, meaning}
    type        TEXT NOT NULL,                -- JSON coded concept
    created_at  TEXT NOT NULL
  );
  INSERT INTO label_structures (value, name, color, category, type, created_at) VALUES (
    1, 'Lesion', '#00e676',
    '{"value":"49755003","scheme":"SCT","meaning":"Morphologically Abnormal Structure"}',
    '{"value":"4147007","scheme":"SCT","meaning":"Mass"}',
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  );
  ALTER TABLE masks ADD COLUMN labelmap_blob TEXT;
  ALTER TABLE masks ADD COLUMN areas TEXT;
  `,
  // 7: NIfTI volumes are imported as series of 2D slices (stored frames, like DICOM's), so `format`
  // gains 'nifti'. SQLite cannot change a CHECK in place: the table is rebuilt, rows and ids kept,
  // with foreign keys off for the rebuild (the migration runner's rule) so no child row cascades.
  `
  CREATE TABLE images_v7 (
    id              INTEGER PRIMARY KEY,
    sha256          TEXT NOT NULL,
    frame_index     INTEGER NOT NULL DEFAULT 0,
    source_path     TEXT NOT NULL,
    source_blob     TEXT NOT NULL,
    format          TEXT NOT NULL CHECK (format IN ('png', 'jpeg', 'dicom', 'nifti')),
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    samples         INTEGER NOT NULL CHECK (samples IN (1, 3)),
    pixel_blob      TEXT,                     -- decoded frame (DICOM and NIfTI); PNG/JPEG decode from source
    pixel_dtype     TEXT,
    pixel_min       REAL,
    pixel_max       REAL,
    thumbnail_blob  TEXT NOT NULL,
    modality        TEXT,
    photometric     TEXT,
    transfer_syntax TEXT,
    window_center   REAL,
    window_width    REAL,
    rescale_slope   REAL NOT NULL DEFAULT 1,
    rescale_intercept REAL NOT NULL DEFAULT 0,
    pixel_spacing   TEXT,
    study_uid       TEXT,
    series_uid      TEXT,
    sop_uid         TEXT,
    frames          INTEGER NOT NULL DEFAULT 1,
    imported_at     TEXT NOT NULL,
    patient_id TEXT,
    patient_name TEXT,
    study_description TEXT,
    study_date TEXT,
    series_description TEXT,
    series_number INTEGER,
    instance_number INTEGER,
    image_position TEXT,
    image_orientation TEXT,
    voi_windows TEXT,
    spacing_source TEXT,
    UNIQUE (sha256, frame_index)
  );
  INSERT INTO images_v7 (id, sha256, frame_index, source_path, source_blob, format, width, height, samples, pixel_blob,
      pixel_dtype, pixel_min, pixel_max, thumbnail_blob, modality, photometric, transfer_syntax, window_center, window_width,
      rescale_slope, rescale_intercept, pixel_spacing, study_uid, series_uid, sop_uid, frames, imported_at, patient_id,
      patient_name, study_description, study_date, series_description, series_number, instance_number, image_position,
      image_orientation, voi_windows, spacing_source)
    SELECT id, sha256, frame_index, source_path, source_blob, format, width, height, samples, pixel_blob,
      pixel_dtype, pixel_min, pixel_max, thumbnail_blob, modality, photometric, transfer_syntax, window_center, window_width,
      rescale_slope, rescale_intercept, pixel_spacing, study_uid, series_uid, sop_uid, frames, imported_at, patient_id,
      patient_name, study_description, study_date, series_description, series_number, instance_number, image_position,
      image_orientation, voi_windows, spacing_source FROM images;
  DROP TABLE images;
  ALTER TABLE images_v7 RENAME TO images;
  `,
  // 8: a split says which experiment made it for its cells (NULL: the radiologist's, from "Make split"
  // or an override), so an experiment never changes the workspace's current split. Earlier
  // experiments' splits are recognised as those their cells use that appeared after the experiment did.
  `
  ALTER TABLE splits ADD COLUMN experiment_id INTEGER;
  UPDATE splits SET experiment_id = (
    SELECT MIN(e.id) FROM experiment_cells c JOIN experiments e ON e.id = c.experiment_id
    WHERE c.split_id = splits.id AND e.created_at <= splits.created_at
  );
  `,
];
