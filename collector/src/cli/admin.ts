// `vcio-collector admin ...`: tenants, sites, enrollment tokens, API tokens, agents and the
// audit log, straight on the data directory's database. Safe while the collector runs: SQLite in
// WAL mode lets both write, each change is one short transaction, and a busy database is
// waited for (busy_timeout) rather than failed.
//
// Output: a new secret is the only thing printed to stdout by a create command (so
// `TOKEN=$(vcio-collector admin enroll-token create acme --name office)` works); what was
// done goes to stderr. Lists go to stdout. --json prints one JSON document to stdout
// instead. Errors are one line on stderr and exit code 1. Changes are audited with the
// actor "cli (<os user>)".
//
// The database and the route modules are imported when a command runs, not when main.ts
// loads this file: `vcio-collector --help` and `serve` do not pay for them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULTS } from '../config.js';
import type { Actor, TenancyStore } from '../routes/tenants.js';
import { oneLineErrors } from './backup.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);
const json = (value: unknown) => out(JSON.stringify(value, null, 2));

interface Common {
  dataDir: string;
  /** --database / VCIO_DATABASE_URL: PostgreSQL instead of the data directory's SQLite */
  database?: string;
  json?: boolean;
}

/** The database file name (store/sqlite/index.ts's DATABASE_FILE, without loading it). */
const DATABASE_FILE = 'vcio.db';

/** Opens the collector's database, runs `work` with the stores it needs, closes it. */
async function withStore<T>(
  options: Common,
  work: (store: TenancyStore, who: Actor) => Promise<T>,
): Promise<T> {
  const { parseDatabase } = await import('../config.js');
  const database = parseDatabase(options.database);
  if (database.kind === 'postgres') {
    // The same database the collectors use; several of them and this command may write at
    // once (each change is one transaction).
    const [{ openPostgres }, audit] = await Promise.all([
      import('../store/factory.js'),
      import('../audit.js'),
    ]);
    const store = await openPostgres(database, { poolSize: 2 });
    try {
      return await work(store, { principal: null, name: audit.cliActor() });
    } finally {
      await store.close();
    }
  }
  const path = join(options.dataDir, DATABASE_FILE);
  // Opening would create an empty database: a wrong --data-dir must say so instead.
  if (!existsSync(path)) {
    throw new Error(
      `no collector database at ${path}: give the collector's --data-dir (or VCIO_DATA_DIR)`,
    );
  }
  const [
    { openDatabase },
    { sqliteTenantStore },
    { sqliteAccessStore },
    { sqliteAuditStore },
    audit,
  ] = await Promise.all([
    import('../store/sqlite/database.js'),
    import('../store/sqlite/tenants.js'),
    import('../store/sqlite/access.js'),
    import('../store/sqlite/audit.js'),
    import('../audit.js'),
  ]);
  const db = openDatabase({ path });
  try {
    const store: TenancyStore = {
      tenants: sqliteTenantStore(db),
      access: sqliteAccessStore(db),
      audit: sqliteAuditStore(db),
    };
    return await work(store, { principal: null, name: audit.cliActor() });
  } finally {
    db.close();
  }
}

/** The options of the command and of every parent (--data-dir, --json may come anywhere). */
const optionsOf = (command: Command) => command.optsWithGlobals<Common>();

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : '-');

/** Lines of aligned columns. */
function table(rows: string[][]): void {
  if (rows.length === 0) return;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows)
    out(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

/** "2026-12-31T00:00:00Z", or a span from now: 30m, 12h, 7d, 4w. */
export function parseExpiry(text: string, now = new Date()): Date {
  const span = /^(\d{1,6})([mhdw])$/.exec(text);
  if (span) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[span[2] as 'm'];
    return new Date(now.getTime() + Number(span[1]) * unit);
  }
  const at = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at.getTime())) {
    throw new Error(`--expires ${text}: give an ISO date-time or a span such as 30m, 12h, 7d, 4w`);
  }
  return at;
}

function parseMaxUses(text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) {
    throw new Error(`--max-uses ${text}: give a whole number of at least 1`);
  }
  return Number(text);
}

function tenantCommand(): Command {
  const tenant = new Command('tenant').description(
    'client companies: create, rename, archive, list',
  );
  tenant
    .command('create')
    .description('create a tenant')
    .argument('<slug>', 'short id used in URLs: lowercase letters, digits, hyphens')
    .argument('<name>', 'display name')
    .action(
      oneLineErrors(async (slug: string, name: string, _o: unknown, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store, who) => {
          const { createTenant, tenantView } = await import('../routes/tenants.js');
          const created = await createTenant(store, who, { slug, name });
          if (options.json) json(tenantView(created));
          else err(`created tenant ${created.slug} (${created.id})`);
        });
      }),
    );
  tenant
    .command('rename')
    .description("change a tenant's display name")
    .argument('<tenant>', 'tenant slug or id')
    .argument('<name>', 'the new name')
    .action(
      oneLineErrors(async (key: string, name: string, _o: unknown, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store, who) => {
          const { findTenant, renameTenant, tenantView } = await import('../routes/tenants.js');
          const renamed = await renameTenant(store, who, await findTenant(store, key), name);
          if (options.json) json(tenantView(renamed));
          else err(`tenant ${renamed.slug} is now named '${renamed.name}'`);
        });
      }),
    );
  for (const [verb, archived] of [
    ['archive', true],
    ['unarchive', false],
  ] as const) {
    tenant
      .command(verb)
      .description(
        archived
          ? 'hide a tenant from lists (its agents still report; nothing is deleted)'
          : 'bring an archived tenant back',
      )
      .argument('<tenant>', 'tenant slug or id')
      .action(
        oneLineErrors(async (key: string, _o: unknown, command: Command) => {
          const options = optionsOf(command);
          await withStore(options, async (store, who) => {
            const { findTenant, setTenantArchived, tenantView } =
              await import('../routes/tenants.js');
            const changed = await setTenantArchived(
              store,
              who,
              await findTenant(store, key),
              archived,
            );
            if (options.json) json(tenantView(changed));
            else err(`tenant ${changed.slug} is ${archived ? 'archived' : 'active'}`);
          });
        }),
      );
  }
  tenant
    .command('list')
    .description('list tenants with their host counts')
    .option('--archived', 'include archived tenants')
    .action(
      oneLineErrors(async (o: { archived?: boolean }, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store) => {
          const { tenantView } = await import('../routes/tenants.js');
          const tenants = (await store.tenants.listTenants()).filter(
            (t) => o.archived || !t.archivedAt,
          );
          if (options.json) return json({ tenants: tenants.map(tenantView) });
          table([
            ['SLUG', 'NAME', 'HOSTS', 'CREATED', 'ARCHIVED', 'ID'],
            ...tenants.map((t) => [
              t.slug,
              t.name,
              String(t.hostCount),
              iso(t.createdAt),
              iso(t.archivedAt),
              t.id,
            ]),
          ]);
        });
      }),
    );
  return tenant;
}

function siteCommand(): Command {
  const site = new Command('site').description("a tenant's sites (offices, data centres)");
  site
    .command('create')
    .description('create a site in a tenant')
    .argument('<tenant>', 'tenant slug or id')
    .argument('<slug>', 'short id: lowercase letters, digits, hyphens')
    .argument('<name>', 'display name')
    .action(
      oneLineErrors(
        async (key: string, slug: string, name: string, _o: unknown, command: Command) => {
          const options = optionsOf(command);
          await withStore(options, async (store, who) => {
            const { findTenant } = await import('../routes/tenants.js');
            const { createSite, siteView } = await import('../routes/sites.js');
            const tenant = await findTenant(store, key);
            const created = await createSite(store, who, tenant, { slug, name });
            if (options.json) json(siteView(created));
            else err(`created site ${created.slug} in tenant ${tenant.slug} (${created.id})`);
          });
        },
      ),
    );
  site
    .command('list')
    .description("list a tenant's sites with their host counts")
    .argument('<tenant>', 'tenant slug or id')
    .option('--archived', 'include archived sites')
    .action(
      oneLineErrors(async (key: string, o: { archived?: boolean }, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store) => {
          const { findTenant } = await import('../routes/tenants.js');
          const { siteView } = await import('../routes/sites.js');
          const tenant = await findTenant(store, key);
          const sites = (await store.tenants.listSites(tenant.id)).filter(
            (s) => o.archived || !s.archivedAt,
          );
          if (options.json) return json({ tenant: tenant.slug, sites: sites.map(siteView) });
          table([
            ['SLUG', 'NAME', 'HOSTS', 'CREATED', 'ARCHIVED', 'ID'],
            ...sites.map((s) => [
              s.slug,
              s.name,
              String(s.hostCount),
              iso(s.createdAt),
              iso(s.archivedAt),
              s.id,
            ]),
          ]);
        });
      }),
    );
  return site;
}

function enrollTokenCommand(): Command {
  const tokens = new Command('enroll-token').description(
    "a tenant's enrollment tokens: what agents enroll with",
  );
  tokens
    .command('create')
    .description('create an enrollment token; prints the token (once) to stdout')
    .argument('<tenant>', 'tenant slug or id')
    .requiredOption('--name <name>', 'what the token is for, e.g. "head office rollout"')
    .option('--expires <when>', 'ISO date-time, or a span from now: 30m, 12h, 7d, 4w')
    .option('--max-uses <n>', 'at most this many enrollments')
    .option('--site <site>', 'hosts it enrolls start in this site (slug or id)')
    .action(
      oneLineErrors(
        async (
          key: string,
          o: { name: string; expires?: string; maxUses?: string; site?: string },
          command: Command,
        ) => {
          const options = optionsOf(command);
          const expiresAt = o.expires === undefined ? null : parseExpiry(o.expires);
          const maxUses = o.maxUses === undefined ? null : parseMaxUses(o.maxUses);
          await withStore(options, async (store, who) => {
            const { findTenant } = await import('../routes/tenants.js');
            const { createEnrollmentToken, enrollmentTokenView } =
              await import('../routes/tokens.js');
            const tenant = await findTenant(store, key);
            const created = await createEnrollmentToken(store, who, tenant, {
              name: o.name,
              expiresAt,
              maxUses,
              site: o.site ?? null,
            });
            const sites = new Map(created.site ? [[created.site.id, created.site]] : []);
            const view = enrollmentTokenView(created.record, tenant, sites, new Date());
            if (options.json) return json({ ...view, token: created.token });
            out(created.token);
            err(
              `created enrollment token ${view.id} for tenant ${tenant.slug}` +
                (view.site ? `, site ${view.site}` : '') +
                `; expires ${iso(view.expiresAt)}; max uses ${view.maxUses ?? 'unlimited'}` +
                ' (the token above is shown only now)',
            );
          });
        },
      ),
    );
  tokens
    .command('list')
    .description("list a tenant's enrollment tokens (never their secrets)")
    .argument('<tenant>', 'tenant slug or id')
    .action(
      oneLineErrors(async (key: string, _o: unknown, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store) => {
          const { findTenant } = await import('../routes/tenants.js');
          const { enrollmentTokenView, siteSlugs } = await import('../routes/tokens.js');
          const tenant = await findTenant(store, key);
          const sites = await siteSlugs(store, tenant.id);
          const now = new Date();
          const views = (await store.access.listEnrollmentTokens(tenant.id)).map((t) =>
            enrollmentTokenView(t, tenant, sites, now),
          );
          if (options.json) return json({ tenant: tenant.slug, enrollmentTokens: views });
          table([
            ['ID', 'NAME', 'SITE', 'STATE', 'USES', 'EXPIRES', 'CREATED'],
            ...views.map((v) => [
              v.id,
              v.name,
              v.site ?? '-',
              v.state,
              `${v.uses}/${v.maxUses ?? '∞'}`,
              iso(v.expiresAt),
              iso(v.createdAt),
            ]),
          ]);
        });
      }),
    );
  tokens
    .command('revoke')
    .description('revoke an enrollment token: the next enrollment with it is refused')
    .argument('<tenant>', 'tenant slug or id')
    .argument('<id>', 'the token id (et_...)')
    .action(
      oneLineErrors(async (key: string, id: string, _o: unknown, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store, who) => {
          const { findTenant } = await import('../routes/tenants.js');
          const { revokeEnrollmentToken } = await import('../routes/tokens.js');
          const tenant = await findTenant(store, key);
          await revokeEnrollmentToken(store, who, tenant, id);
          if (options.json) json({ id, revoked: true });
          else err(`revoked enrollment token ${id} of tenant ${tenant.slug}`);
        });
      }),
    );
  return tokens;
}

function apiTokenCommand(): Command {
  const tokens = new Command('api-token').description(
    'API tokens: admin (every tenant) or read-only for one tenant',
  );
  tokens
    .command('create')
    .description('create an API token; prints the token (once) to stdout')
    .requiredOption('--name <name>', 'who or what uses it, e.g. "acme portal"')
    .addOption(
      new Option('--role <role>', 'admin: every tenant, may change; read: one tenant, read-only')
        .choices(['admin', 'read'])
        .makeOptionMandatory(),
    )
    .option('--tenant <tenant>', 'the tenant a read token is scoped to (slug or id)')
    .action(
      oneLineErrors(
        async (o: { name: string; role: 'admin' | 'read'; tenant?: string }, command: Command) => {
          const options = optionsOf(command);
          await withStore(options, async (store, who) => {
            const { apiTokenView, createApiToken } = await import('../routes/tokens.js');
            const created = await createApiToken(store, who, {
              name: o.name,
              role: o.role,
              tenant: o.tenant ?? null,
            });
            const tenants = new Map(created.tenant ? [[created.tenant.id, created.tenant]] : []);
            const view = apiTokenView(created.record, tenants);
            if (options.json) return json({ ...view, token: created.token });
            out(created.token);
            err(
              `created ${view.role} API token ${view.id}` +
                (view.tenant ? ` for tenant ${view.tenant}` : ' (every tenant)') +
                ' (the token above is shown only now)',
            );
          });
        },
      ),
    );
  tokens
    .command('list')
    .description('list API tokens (never their secrets)')
    .action(
      oneLineErrors(async (_o: unknown, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store) => {
          const { apiTokenView, tenantSlugs } = await import('../routes/tokens.js');
          const tenants = await tenantSlugs(store);
          const views = (await store.access.listApiTokens()).map((t) => apiTokenView(t, tenants));
          if (options.json) return json({ apiTokens: views });
          table([
            ['ID', 'NAME', 'ROLE', 'TENANT', 'STATE', 'CREATED'],
            ...views.map((v) => [v.id, v.name, v.role, v.tenant ?? '*', v.state, iso(v.createdAt)]),
          ]);
        });
      }),
    );
  tokens
    .command('revoke')
    .description('revoke an API token at once (never the last admin token)')
    .argument('<id>', 'the token id (at_...)')
    .action(
      oneLineErrors(async (id: string, _o: unknown, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store, who) => {
          const { revokeApiToken } = await import('../routes/tokens.js');
          await revokeApiToken(store, who, id);
          if (options.json) json({ id, revoked: true });
          else err(`revoked API token ${id}`);
        });
      }),
    );
  return tokens;
}

function agentsCommand(): Command {
  const agents = new Command('agents').description(
    "a tenant's agents: list them, revoke one, ask one to rotate its secret",
  );
  agents
    .command('list')
    .description("list a tenant's agents (never their secrets)")
    .argument('<tenant>', 'tenant slug or id')
    .option('--revoked', 'include revoked agents')
    .action(
      oneLineErrors(async (key: string, o: { revoked?: boolean }, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store) => {
          const { findTenant } = await import('../routes/tenants.js');
          const { agentView } = await import('../routes/agents.js');
          const tenant = await findTenant(store, key);
          const views = (await store.access.listAgents(tenant.id))
            .filter((a) => o.revoked || !a.revokedAt)
            .map((a) => agentView(a, tenant));
          if (options.json) return json({ tenant: tenant.slug, agents: views });
          table([
            ['ID', 'HOSTNAME', 'STATE', 'VERSION', 'ENROLLED', 'LAST SEEN', 'MACHINE ID'],
            ...views.map((v) => [
              v.id,
              v.hostname,
              v.state + (v.rotateRequestedAt ? ', rotation asked' : ''),
              v.version,
              iso(v.enrolledAt),
              iso(v.lastSeen),
              v.machineId,
            ]),
          ]);
        });
      }),
    );
  agents
    .command('revoke')
    .description(
      'revoke an agent: its reports are refused (a running collector stops accepting them within 60 s); its host and history stay',
    )
    .argument('<id>', 'the agent id (see agents list)')
    .action(
      oneLineErrors(async (id: string, _o: unknown, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store, who) => {
          const { revokeAgent } = await import('../routes/agents.js');
          const agent = await revokeAgent(store, who, id);
          if (options.json) json({ id, revoked: true });
          else err(`revoked agent ${id} (${agent.hostname}); the machine can enroll again`);
        });
      }),
    );
  agents
    .command('rotate')
    .description('ask an agent to rotate its secret: it does so after its next report')
    .argument('<id>', 'the agent id (see agents list)')
    .action(
      oneLineErrors(async (id: string, _o: unknown, command: Command) => {
        const options = optionsOf(command);
        await withStore(options, async (store, who) => {
          const { requestAgentRotation } = await import('../routes/agents.js');
          const agent = await requestAgentRotation(store, who, id);
          if (options.json) json({ id, rotateRequestedAt: agent.rotateRequestedAt });
          else err(`agent ${id} (${agent.hostname}) will rotate its secret after its next report`);
        });
      }),
    );
  return agents;
}

function auditCommand(): Command {
  return new Command('audit')
    .description('recent changes: who changed what, and when (newest first)')
    .option('--tenant <tenant>', "only this tenant's entries (slug or id)")
    .option('--since <when>', 'only entries at or after this ISO date-time')
    .option('--action <action>', 'only this action, e.g. api_token.create')
    .option('--limit <n>', 'at most this many entries', '50')
    .action(
      oneLineErrors(
        async (
          o: { tenant?: string; since?: string; action?: string; limit: string },
          command: Command,
        ) => {
          const options = optionsOf(command);
          if (!/^\d{1,4}$/.test(o.limit) || Number(o.limit) < 1) {
            throw new Error(`--limit ${o.limit}: give a whole number from 1 to 9999`);
          }
          const since = o.since === undefined ? undefined : new Date(o.since);
          if (since && (Number.isNaN(since.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(o.since!))) {
            throw new Error(`--since ${o.since}: give an ISO date-time`);
          }
          await withStore(options, async (store) => {
            const { findTenant } = await import('../routes/tenants.js');
            const { tenantSlugs } = await import('../routes/tokens.js');
            const { auditEntryView } = await import('../routes/audit.js');
            const tenantId = o.tenant ? (await findTenant(store, o.tenant)).id : undefined;
            const page = await store.audit.query({
              tenantId,
              since,
              action: o.action,
              limit: Number(o.limit),
              offset: 0,
            });
            const tenants = await tenantSlugs(store);
            const entries = page.entries.map((e) => auditEntryView(e, tenants));
            if (options.json) return json({ total: page.total, entries });
            table([
              ['AT', 'ACTOR', 'ACTION', 'TENANT', 'TARGET', 'DETAIL'],
              ...entries.map((e) => [
                iso(e.at),
                e.actor.name,
                e.action,
                e.tenant ?? '-',
                `${e.targetType} ${e.targetId ?? ''}`.trim(),
                Object.keys(e.detail).length ? JSON.stringify(e.detail) : '',
              ]),
            ]);
            if (page.total > entries.length) err(`(${entries.length} of ${page.total} entries)`);
          });
        },
      ),
    );
}

export function adminCommand(): Command {
  const admin = new Command('admin')
    .description(
      'administer tenants, sites, tokens, agents and read the audit log, on the data directory (safe while the collector runs)',
    )
    .addOption(
      new Option('--data-dir <dir>', 'the collector data directory (its database: <dir>/vcio.db)')
        .env('VCIO_DATA_DIR')
        .default(DEFAULTS.dataDir),
    )
    .addOption(
      new Option(
        '--database <url>',
        "the collector's PostgreSQL database, as serve takes it (default: SQLite in --data-dir)",
      ).env('VCIO_DATABASE_URL'),
    )
    .option('--json', 'print JSON to stdout (secrets included, once) instead of text')
    .showHelpAfterError();
  for (const sub of [
    tenantCommand(),
    siteCommand(),
    enrollTokenCommand(),
    apiTokenCommand(),
    agentsCommand(),
    auditCommand(),
  ]) {
    admin.addCommand(sub);
  }
  return admin;
}
