// Numbered schema migrations. A migration is never edited once released: add a new one.
// Times are stored as integer milliseconds since the epoch (UTC) so they sort and compare
// cheaply; the API turns them into ISO strings.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants, access, agents, hosts, sections, samples, report ledger',
    sql: `
      CREATE TABLE tenants (
        id          TEXT PRIMARY KEY,
        slug        TEXT NOT NULL UNIQUE,
        name        TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      );

      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        tenant_id    TEXT REFERENCES tenants(id),
        role         TEXT NOT NULL CHECK (role IN ('admin', 'read')),
        name         TEXT NOT NULL,
        secret_hash  BLOB NOT NULL,
        created_at   INTEGER NOT NULL,
        revoked_at   INTEGER
      );

      CREATE TABLE enrollment_tokens (
        id           TEXT PRIMARY KEY,
        tenant_id    TEXT NOT NULL REFERENCES tenants(id),
        name         TEXT NOT NULL,
        secret_hash  BLOB NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER,
        max_uses     INTEGER,
        uses         INTEGER NOT NULL DEFAULT 0,
        revoked_at   INTEGER
      );

      CREATE TABLE agents (
        id                   TEXT PRIMARY KEY,
        tenant_id            TEXT NOT NULL REFERENCES tenants(id),
        secret_hash          BLOB NOT NULL,
        enrollment_token_id  TEXT NOT NULL REFERENCES enrollment_tokens(id),
        machine_id           TEXT NOT NULL,
        hostname             TEXT NOT NULL,
        version              TEXT NOT NULL,
        created_at           INTEGER NOT NULL,
        revoked_at           INTEGER
      );

      -- A host is a machine within a tenant; re-enrolling the same machine keeps its host.
      CREATE TABLE hosts (
        -- An integer key for the time-series rows: a 36-character id in every sample
        -- and its index cost ingest ~10 µs a report.
        key             INTEGER PRIMARY KEY,
        id              TEXT NOT NULL UNIQUE,
        tenant_id       TEXT NOT NULL REFERENCES tenants(id),
        machine_id      TEXT NOT NULL,
        hostname        TEXT NOT NULL,
        agent_id        TEXT NOT NULL REFERENCES agents(id),
        agent_version   TEXT NOT NULL,
        os_platform     TEXT,
        os_distro       TEXT,
        os_release      TEXT,
        first_seen      INTEGER NOT NULL,
        last_seen       INTEGER NOT NULL,
        last_report_at  INTEGER NOT NULL,
        UNIQUE (tenant_id, machine_id)
      );
      CREATE INDEX hosts_by_tenant ON hosts (tenant_id, hostname);

      -- The latest state of each section of each host (time series such as performance
      -- live in their own tables instead).
      CREATE TABLE host_sections (
        host_id       TEXT NOT NULL REFERENCES hosts(id),
        section       TEXT NOT NULL,
        collected_at  INTEGER NOT NULL,
        report_id     TEXT NOT NULL,
        data          TEXT NOT NULL,
        PRIMARY KEY (host_id, section)
      ) WITHOUT ROWID;

      CREATE TABLE performance_samples (
        host_key                INTEGER NOT NULL REFERENCES hosts(key),
        collected_at            INTEGER NOT NULL,
        cpu_utilisation         REAL,
        load1                   REAL,
        memory_total_bytes      INTEGER NOT NULL,
        memory_used_bytes       INTEGER NOT NULL,
        memory_available_bytes  INTEGER NOT NULL,
        swap_used_bytes         INTEGER,
        process_count           INTEGER,
        detail                  TEXT NOT NULL
      );
      CREATE INDEX performance_samples_by_host ON performance_samples (host_key, collected_at);

      -- Every accepted report id, so a retried report is stored once. Kept for the
      -- retention period. Keyed by the id itself: vcio agents send time-ordered UUIDv7
      -- ids, so new rows append at the end of this tree.
      CREATE TABLE reports (
        report_id     TEXT PRIMARY KEY,
        agent_id      TEXT NOT NULL,
        collected_at  INTEGER NOT NULL,
        received_at   INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX reports_by_received ON reports (received_at);
    `,
  },
  {
    version: 2,
    name: 'software inventory and pending updates as rows',
    sql: `
      -- The software inventory, one row per host and entry, replaced whole when the agent
      -- sends a changed list. "Which hosts have X below version Y" is a range scan of
      -- host_software_by_name. Keyed by the entry's position in the list the agent sent,
      -- so a host's rows are one range of the table (replacing them is a range delete).
      CREATE TABLE host_software (
        host_key      INTEGER NOT NULL REFERENCES hosts(key),
        item          INTEGER NOT NULL,
        source        TEXT NOT NULL,
        name          TEXT NOT NULL,
        version       TEXT,
        -- versionKey(version) from @vcio/shared: byte order is version order
        version_key   TEXT,
        publisher     TEXT,
        -- the agent's text, unchanged, so the stored list hashes to the stored hash
        installed_at  TEXT,
        arch          TEXT,
        PRIMARY KEY (host_key, item)
      ) WITHOUT ROWID;
      CREATE INDEX host_software_by_name ON host_software (name COLLATE NOCASE, version_key);

      -- What the host_software rows of a host are: the hash the agent computed over them
      -- (a report with the same hash and no list is answered from this row alone), and
      -- the status of each package database.
      CREATE TABLE host_software_state (
        host_key    INTEGER PRIMARY KEY REFERENCES hosts(key),
        hash        TEXT NOT NULL,
        count       INTEGER NOT NULL,
        sources     TEXT NOT NULL,
        -- collectedAt of the report whose list is stored: an older report never replaces it
        updated_at  INTEGER NOT NULL,
        report_id   TEXT NOT NULL
      );

      -- Pending updates, one row per host, source and update, replaced whenever the host's
      -- patches section is (host_sections keeps the section itself, as the agent sent it).
      -- A source that could not answer (ok: false) has no rows: its error is in the
      -- section, and its last known updates are not shown as current.
      CREATE TABLE host_pending_updates (
        host_key           INTEGER NOT NULL REFERENCES hosts(key),
        source_index       INTEGER NOT NULL,
        item               INTEGER NOT NULL,
        manager            TEXT NOT NULL,
        checked_at         INTEGER NOT NULL,
        name               TEXT NOT NULL,
        kb                 TEXT,
        current_version    TEXT,
        available_version  TEXT,
        -- 1, 0, or NULL when the source does not say
        security           INTEGER,
        severity           TEXT,
        classification     TEXT,
        -- JSON array of advisory ids
        advisories         TEXT NOT NULL,
        restart_required   INTEGER,
        released_at        INTEGER,
        PRIMARY KEY (host_key, source_index, item)
      ) WITHOUT ROWID;
      CREATE INDEX host_pending_updates_by_security
        ON host_pending_updates (security, severity);

      -- Patches sections stored before this migration become rows too (as on ingest: none
      -- for a source that could not answer).
      INSERT INTO host_pending_updates
        (host_key, source_index, item, manager, checked_at, name, kb, current_version,
         available_version, security, severity, classification, advisories,
         restart_required, released_at)
      SELECT h.key, src.key, upd.key,
        json_extract(src.value, '$.manager'),
        -- a time SQLite cannot read falls back to when the section was collected
        coalesce(
          CAST(round(unixepoch(json_extract(src.value, '$.checkedAt'), 'subsec') * 1000)
               AS INTEGER),
          hs.collected_at),
        json_extract(upd.value, '$.name'),
        json_extract(upd.value, '$.kb'),
        json_extract(upd.value, '$.currentVersion'),
        json_extract(upd.value, '$.availableVersion'),
        json_extract(upd.value, '$.security'),
        json_extract(upd.value, '$.severity'),
        json_extract(upd.value, '$.classification'),
        coalesce(json_extract(upd.value, '$.advisories'), '[]'),
        json_extract(upd.value, '$.restartRequired'),
        CAST(round(unixepoch(json_extract(upd.value, '$.releasedAt'), 'subsec') * 1000)
             AS INTEGER)
      FROM host_sections hs
      JOIN hosts h ON h.id = hs.host_id
      JOIN json_each(hs.data, '$.sources') src
      JOIN json_each(src.value, '$.pending') upd
      WHERE hs.section = 'patches' AND json_extract(src.value, '$.ok') = 1;

      -- Software lists stored whole as JSON by the first schema are not carried over: the
      -- next report from each agent is answered resend: ['software'] and the list comes
      -- back into host_software.
      DELETE FROM host_sections WHERE section = 'software';
    `,
  },
  {
    version: 3,
    name: 'posture: assessments, findings, history, risk acceptances, host and tenant settings',
    sql: `
      -- What people record about a host that no agent can know: whether it is a server or
      -- a workstation, and when it was bought (hardware age counts from it).
      CREATE TABLE host_attributes (
        host_id        TEXT PRIMARY KEY REFERENCES hosts(id),
        role           TEXT CHECK (role IN ('server', 'workstation')),
        purchase_date  TEXT,
        updated_at     INTEGER NOT NULL,
        updated_by     TEXT NOT NULL
      ) WITHOUT ROWID;

      -- A tenant's posture settings (thresholds, server weight, replacement policy...):
      -- overrides only, as JSON; the defaults live in the code and can improve.
      CREATE TABLE tenant_settings (
        tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
        posture     TEXT NOT NULL,
        updated_at  INTEGER NOT NULL,
        updated_by  TEXT NOT NULL
      ) WITHOUT ROWID;

      -- A check accepted for one host, or for a whole tenant (host_id NULL), until it
      -- expires or is revoked. Rows are never deleted: the list is an audit trail.
      CREATE TABLE risk_acceptances (
        id           TEXT PRIMARY KEY,
        tenant_id    TEXT NOT NULL REFERENCES tenants(id),
        host_id      TEXT REFERENCES hosts(id),
        check_id     TEXT NOT NULL,
        reason       TEXT NOT NULL,
        accepted_by  TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        revoked_at   INTEGER,
        revoked_by   TEXT
      );
      CREATE INDEX risk_acceptances_by_tenant ON risk_acceptances (tenant_id, expires_at);

      -- The latest assessment of each host. detail holds the per-check results (ids,
      -- status, credit, evidence) and the lifecycle found; titles and remediations come
      -- from the catalog when read, so they improve without rewriting rows.
      CREATE TABLE host_posture (
        host_id      TEXT PRIMARY KEY REFERENCES hosts(id),
        tenant_id    TEXT NOT NULL REFERENCES tenants(id),
        assessed_at  INTEGER NOT NULL,
        score        REAL,
        coverage     REAL,
        role         TEXT NOT NULL,
        categories   TEXT NOT NULL,
        detail       TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX host_posture_by_tenant ON host_posture (tenant_id);
      CREATE INDEX host_posture_by_age ON host_posture (assessed_at);

      -- Scores over time, per host and per tenant: a row when the score or a category
      -- changes, and at least one a day, so a 90-day trend always has its points.
      CREATE TABLE posture_history (
        scope        TEXT NOT NULL CHECK (scope IN ('host', 'tenant')),
        scope_id     TEXT NOT NULL,
        recorded_at  INTEGER NOT NULL,
        score        REAL,
        categories   TEXT NOT NULL,
        PRIMARY KEY (scope, scope_id, recorded_at)
      ) WITHOUT ROWID;

      -- A finding is a check failing (or partly failing) on a host, from when it was first
      -- seen until it passed, stopped applying or was accepted: "what changed since the
      -- last review" is the findings opened and resolved since then.
      CREATE TABLE findings (
        id           INTEGER PRIMARY KEY,
        tenant_id    TEXT NOT NULL REFERENCES tenants(id),
        host_id      TEXT NOT NULL REFERENCES hosts(id),
        check_id     TEXT NOT NULL,
        severity     TEXT NOT NULL,
        weight       INTEGER NOT NULL,
        credit       REAL NOT NULL,
        evidence     TEXT NOT NULL,
        opened_at    INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        resolved_at  INTEGER,
        -- fixed, accepted or not_applicable
        resolution   TEXT
      );
      CREATE UNIQUE INDEX findings_open ON findings (host_id, check_id) WHERE resolved_at IS NULL;
      CREATE INDEX findings_by_tenant_opened ON findings (tenant_id, opened_at);
      CREATE INDEX findings_by_tenant_resolved ON findings (tenant_id, resolved_at);
    `,
  },
  {
    version: 5,
    name: 'initiatives and their progress history',
    sql: `
      -- A project with a measurable target (checks that must pass, an OS lifecycle state,
      -- hardware within its replacement age) over the tenant's hosts in its filter.
      -- filter and target are JSON as the API takes them; rows are cancelled, not deleted.
      CREATE TABLE initiatives (
        id              TEXT PRIMARY KEY,
        tenant_id       TEXT NOT NULL REFERENCES tenants(id),
        title           TEXT NOT NULL,
        owner           TEXT NOT NULL,
        filter          TEXT NOT NULL,
        target          TEXT NOT NULL,
        start_date      TEXT NOT NULL,
        due_date        TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('active', 'done', 'cancelled')),
        suggestion_key  TEXT,
        created_at      INTEGER NOT NULL,
        created_by      TEXT NOT NULL,
        updated_at      INTEGER NOT NULL
      );
      CREATE INDEX initiatives_by_tenant ON initiatives (tenant_id, status);

      -- Hosts in scope and hosts meeting the target over time: a row when either changes,
      -- and at least one a day while the initiative is active (the burn-down's points).
      CREATE TABLE initiative_progress (
        initiative_id  TEXT NOT NULL REFERENCES initiatives(id),
        recorded_at    INTEGER NOT NULL,
        in_scope       INTEGER NOT NULL,
        met            INTEGER NOT NULL,
        PRIMARY KEY (initiative_id, recorded_at)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'sites, archived tenants, the audit log',
    sql: `
      -- Tenants are archived, never deleted: their hosts, history and audit trail stay.
      ALTER TABLE tenants ADD COLUMN archived_at INTEGER;

      -- A client's locations (offices, data centres). Slugs are unique within a tenant.
      CREATE TABLE sites (
        id           TEXT PRIMARY KEY,
        tenant_id    TEXT NOT NULL REFERENCES tenants(id),
        slug         TEXT NOT NULL,
        name         TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        archived_at  INTEGER,
        UNIQUE (tenant_id, slug)
      );

      -- A host's site (NULL: none). Set on the host's first report from its agent's
      -- enrollment token, then only by moving the host.
      ALTER TABLE hosts ADD COLUMN site_id TEXT REFERENCES sites(id);
      CREATE INDEX hosts_by_site ON hosts (site_id) WHERE site_id IS NOT NULL;
      ALTER TABLE enrollment_tokens ADD COLUMN site_id TEXT REFERENCES sites(id);

      -- Who changed what, when: appended by every mutating API route and the admin
      -- command. detail is JSON and never holds a secret.
      CREATE TABLE audit_log (
        id              INTEGER PRIMARY KEY,
        at              INTEGER NOT NULL,
        actor_token_id  TEXT,
        actor_name      TEXT NOT NULL,
        action          TEXT NOT NULL,
        tenant_id       TEXT REFERENCES tenants(id),
        target_type     TEXT NOT NULL,
        target_id       TEXT,
        detail          TEXT NOT NULL
      );
      CREATE INDEX audit_log_by_time ON audit_log (at);
      CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, at);
    `,
  },
  {
    version: 6,
    name: 'agent secret rotation',
    sql: `
      -- A rotation issues a new secret as pending: the current one keeps working until
      -- the agent first authenticates with the pending one, which then replaces it. So
      -- a crash of either side at any point leaves the agent a secret that works.
      ALTER TABLE agents ADD COLUMN pending_secret_hash BLOB;
      -- An admin asked this agent to rotate; the next ingest answer tells it to.
      ALTER TABLE agents ADD COLUMN rotate_requested_at INTEGER;
      -- When the agent's secret was last replaced by a rotation (NULL: never).
      ALTER TABLE agents ADD COLUMN secret_rotated_at INTEGER;
      CREATE INDEX agents_by_tenant ON agents (tenant_id, created_at);
    `,
  },
];
