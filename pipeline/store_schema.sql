-- The results database, schema version 2. Documented in prose in docs/schema.md.
--
-- Every statement is idempotent (IF NOT EXISTS), so applying the file to a database that already
-- has some of the objects is harmless. Store::Migrate() applies it to a version-0 (new) database
-- inside one transaction; the last statement stamps the version it creates.
--
-- Conventions: times are wall-clock seconds since the Unix epoch (REAL), NULL until known.
-- 64-bit seeds are TEXT in decimal, because SQLite's INTEGER is signed and seeds use all 64 bits.

CREATE TABLE IF NOT EXISTS studies (
  id INTEGER PRIMARY KEY,
  name TEXT UNIQUE NOT NULL,
  file TEXT NOT NULL DEFAULT '',
  file_hash TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS environment (
  id INTEGER PRIMARY KEY,
  recorded_at REAL NOT NULL,
  code_version TEXT NOT NULL DEFAULT '',
  compiler TEXT NOT NULL DEFAULT '',
  build_flags TEXT NOT NULL DEFAULT '',
  libraries TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(libraries)),
  cpu TEXT NOT NULL DEFAULT '',
  isa TEXT NOT NULL DEFAULT '',
  cores INTEGER NOT NULL DEFAULT 0,
  threads INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  study_id INTEGER NOT NULL REFERENCES studies(id),
  number INTEGER NOT NULL,
  identity TEXT NOT NULL,
  variant TEXT NOT NULL DEFAULT '',
  seed TEXT NOT NULL DEFAULT '0',
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped', 'interrupted', 'pruned')),
  params_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params_json)),
  config_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config_json)),
  environment_id INTEGER REFERENCES environment(id),
  started_at REAL,
  finished_at REAL,
  error TEXT NOT NULL DEFAULT '',
  UNIQUE (study_id, identity),
  UNIQUE (study_id, number)
);

-- One row per key of runs.params_json. `value` has no declared type, so each value keeps the
-- storage class it was bound with (INTEGER, REAL, TEXT, NULL) and `value = 5` compares as a
-- number. `type` says how to turn the value back into JSON: bools are stored as 0/1 and lists
-- and maps as their JSON text.
CREATE TABLE IF NOT EXISTS params (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('int', 'float', 'bool', 'text', 'json', 'null')),
  value,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS params_by_key_value ON params(key, value);

-- One row per stage execution, shared by every run whose DAG contains the same key.
CREATE TABLE IF NOT EXISTS stages (
  key TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  code_version INTEGER NOT NULL DEFAULT 0,
  params_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params_json)),
  inputs_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(inputs_json)),
  seed TEXT NOT NULL DEFAULT '0',
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped', 'interrupted', 'pruned')),
  threads INTEGER NOT NULL DEFAULT 0,
  started_at REAL,
  finished_at REAL,
  duration_s REAL,
  error TEXT NOT NULL DEFAULT '',
  output_hash TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0
);

-- Which stage execution plays which role in a run. The stage_key reference is checked at commit,
-- so a run's rows and its stages' rows may be written in either order within one transaction.
CREATE TABLE IF NOT EXISTS run_stages (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  stage TEXT NOT NULL,
  stage_key TEXT NOT NULL REFERENCES stages(key) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (run_id, stage)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_stages_by_key ON run_stages(stage_key);

-- Metrics belong to stage executions; the run_metrics view gives them per run. SQLite has no
-- NaN, so a NaN value is stored as NULL.
CREATE TABLE IF NOT EXISTS metrics (
  stage_key TEXT NOT NULL REFERENCES stages(key) ON DELETE CASCADE,
  name TEXT NOT NULL,
  step INTEGER NOT NULL,
  value REAL,
  wall_time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_stage ON metrics(stage_key, name, step);

CREATE TABLE IF NOT EXISTS artifacts (
  stage_key TEXT NOT NULL REFERENCES stages(key) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  content_hash TEXT NOT NULL DEFAULT '',
  bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (stage_key, name)
) WITHOUT ROWID;

-- Every metric row of every run, with the run's study and number and the stage's role.
CREATE VIEW IF NOT EXISTS run_metrics AS
SELECT rs.run_id AS run_id, s.name AS study, r.number AS run_number, rs.stage AS stage,
       m.name AS name, m.step AS step, m.value AS value, m.wall_time AS wall_time
FROM run_stages rs
JOIN runs r ON r.id = rs.run_id
JOIN studies s ON s.id = r.study_id
JOIN metrics m ON m.stage_key = rs.stage_key;

-- The last step of each metric per run and stage. The last step is found once per stage
-- execution (ties on step go to the row written last) and then shared by every run using it.
CREATE VIEW IF NOT EXISTS final_metrics AS
WITH last_steps AS (
  SELECT stage_key, name, step, value,
         row_number() OVER (PARTITION BY stage_key, name ORDER BY step DESC, rowid DESC)
           AS recency
  FROM metrics
)
SELECT rs.run_id AS run_id, rs.stage AS stage, l.name AS name, l.step AS step, l.value AS value
FROM last_steps l
JOIN run_stages rs ON rs.stage_key = l.stage_key
WHERE l.recency = 1;

-- One row per run: its params and final metrics as JSON objects. Keys contain dots, so quote
-- them in JSON paths: json_extract(params, '$."kmeans.k"'), json_extract(metrics,
-- '$."evaluate.accuracy"').
CREATE VIEW IF NOT EXISTS run_summary AS
WITH run_params AS (
  SELECT run_id,
         json_group_object(key, CASE type
                                  WHEN 'bool' THEN json(iif(value, 'true', 'false'))
                                  WHEN 'json' THEN json(value)
                                  ELSE value
                                END) AS params
  FROM params
  GROUP BY run_id
),
run_finals AS (
  SELECT run_id, json_group_object(stage || '.' || name, value) AS metrics
  FROM final_metrics
  GROUP BY run_id
)
SELECT r.id AS run_id, s.name AS study, r.number AS number, r.status AS status,
       r.variant AS variant, r.seed AS seed,
       coalesce(p.params, '{}') AS params, coalesce(f.metrics, '{}') AS metrics,
       r.finished_at - r.started_at AS seconds, r.error AS error
FROM runs r
JOIN studies s ON s.id = r.study_id
LEFT JOIN run_params p ON p.run_id = r.id
LEFT JOIN run_finals f ON f.run_id = r.id;

-- How far each study has got; the status columns add up to `total`.
CREATE VIEW IF NOT EXISTS study_progress AS
SELECT s.name AS study,
       count(r.id) AS total,
       count(r.id) FILTER (WHERE r.status = 'done') AS done,
       count(r.id) FILTER (WHERE r.status = 'failed') AS failed,
       count(r.id) FILTER (WHERE r.status = 'skipped') AS skipped,
       count(r.id) FILTER (WHERE r.status = 'running') AS running,
       count(r.id) FILTER (WHERE r.status = 'interrupted') AS interrupted,
       count(r.id) FILTER (WHERE r.status = 'pending') AS pending,
       count(r.id) FILTER (WHERE r.status = 'pruned') AS pruned
FROM studies s
LEFT JOIN runs r ON r.study_id = s.id
GROUP BY s.id;

-- A search's trials (study files with a `search:` block): one row per proposed trial, in
-- proposal order; the sampler's whole history, so a resumed search proposes what an
-- uninterrupted one would. `params` holds only the sampled values, by their path in the study
-- ("model.optimizer.lr"); the run holds the rest.
CREATE TABLE IF NOT EXISTS trials (
  study_id INTEGER NOT NULL REFERENCES studies(id),
  number INTEGER NOT NULL,
  run_id INTEGER REFERENCES runs(id),
  params TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
  state TEXT NOT NULL DEFAULT 'running'
    CHECK (state IN ('running', 'done', 'pruned', 'failed')),
  value REAL,         -- the objective, for done trials
  step INTEGER,       -- pruned: the last step the pruner saw
  intermediate REAL,  -- pruned: the pruner's metric at that step
  PRIMARY KEY (study_id, number)
);

-- The pruner's decisions: one row per trial and step at which it was asked (a rung for ASHA,
-- every step from min_epochs on for the median rule).
CREATE TABLE IF NOT EXISTS trial_rungs (
  study_id INTEGER NOT NULL REFERENCES studies(id),
  trial INTEGER NOT NULL,
  rung INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value REAL,
  decision TEXT NOT NULL CHECK (decision IN ('continue', 'prune')),
  PRIMARY KEY (study_id, trial, step)
);

PRAGMA user_version = 2;
