// Deploying agents from the collector (README "Deploy from the collector"):
// - GET /downloads/agent/:file, no credentials (the binaries are not secret): the agent
//   binaries `pnpm build:agent` wrote, only those SHA256SUMS lists, and SHA256SUMS itself;
// - POST /api/v1/tenants/:tenant/install-commands (admin): a fresh enrollment token for the
//   tenant and the bash and PowerShell one-liners that download, verify and install with
//   it. The token is in that answer only, and never logged;
// - GET the same path (any API token in scope): the install tokens made so far, no secrets.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { recordAudit } from '../audit.js';
import type { DeployConfig } from '../config.js';
import { AgentBinaries, AGENT_FILES, SUMS_FILE, type AgentPlatform } from '../deploy/binaries.js';
import {
  bashInstallCommand,
  powershellInstallCommand,
  SCRIPT_EXIT,
} from '../deploy/install-commands.js';
import { checkPublicUrl, PublicUrlError, urlFromRequest } from '../deploy/public-url.js';
import { hasControlCharacters } from '../deploy/quoting.js';
import { HttpError } from '../http/errors.js';
import { hashSecret, joinCredential, newSecret, newTokenId } from '../security/tokens.js';
import type { EnrollmentTokenRecord, Store } from '../store/types.js';
import { requireAdmin, visibleTenant } from './visibility.js';

const HOUR = 3_600_000;

/**
 * Install tokens are enrollment tokens whose name starts with this: the list below shows
 * those, and an administrator recognises them among the tenant's other tokens.
 */
export const INSTALL_TOKEN_PREFIX = 'install: ';

// ---------- downloads ----------

function notServed(file: string, binaries: AgentBinaries): HttpError {
  return new HttpError(
    404,
    'not_found',
    binaries.dir === null
      ? `this collector serves no agent binaries (start it with --agent-binaries DIR holding what pnpm build:agent writes)`
      : `no agent binary '${file}' here: the files served are those listed in ${SUMS_FILE}`,
  );
}

/** Quoted, as ETag wants; the content hash, so a rebuilt binary gets a new one. */
const etagOf = (sha256: string) => `"sha256-${sha256}"`;

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');
}

export const agentDownloadRoutes =
  (deploy: DeployConfig | undefined): FastifyPluginAsync =>
  async (app) => {
    const binaries = new AgentBinaries(deploy?.agentBinariesDir ?? null);
    const Params = Type.Object({ file: Type.String({ minLength: 1, maxLength: 128 }) });

    // A static route wins over the parametric one in Fastify's router.
    app.get(`/downloads/agent/${SUMS_FILE}`, async (_request, reply) => {
      const text = await binaries.sumsText();
      if (text === null) throw notServed(SUMS_FILE, binaries);
      return reply
        .header('content-type', 'text/plain; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(text);
    });

    app.get<{ Params: Static<typeof Params> }>(
      '/downloads/agent/:file',
      { schema: { params: Params } },
      async (request, reply) => {
        const opened = await binaries.open(request.params.file);
        if (!opened) throw notServed(request.params.file, binaries);
        const etag = etagOf(opened.sha256);
        reply
          .header('etag', etag)
          // Revalidate every time: a rebuild must not be hidden by a cache.
          .header('cache-control', 'no-cache')
          .header('x-content-type-options', 'nosniff');
        if (etagMatches(request.headers['if-none-match'], etag)) {
          opened.stream.destroy();
          return reply.code(304).send();
        }
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-length', String(opened.size))
          .header('content-disposition', `attachment; filename="${opened.name}"`)
          .send(opened.stream);
      },
    );
  };

// ---------- install commands ----------

const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 128 }) });

const CreateBody = Type.Object(
  {
    /** shown in the token list; default: "install commands <date>" */
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** the token stops enrolling after this many hours (max a year) */
    expiresInHours: Type.Integer({ minimum: 1, maximum: 8784, default: 72 }),
    /** ... or after this many machines */
    maxUses: Type.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
    /**
     * one of the tenant's sites (slug or id): the machines enrolled land in it, and its name
     * is passed to install as --site
     */
    site: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** plain http:// to a collector that is not loopback: pass --insecure-http to the agent */
    insecureHttp: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export interface InstallTokenView {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  maxUses: number | null;
  uses: number;
  revoked: boolean;
  /** usable now: not revoked, not expired, uses left */
  active: boolean;
  /** the site its machines land in */
  siteId: string | null;
}

function tokenView(t: EnrollmentTokenRecord, now: Date): InstallTokenView {
  const expired = t.expiresAt !== null && t.expiresAt.getTime() <= now.getTime();
  const exhausted = t.maxUses !== null && t.uses >= t.maxUses;
  return {
    id: t.id,
    name: t.name.startsWith(INSTALL_TOKEN_PREFIX)
      ? t.name.slice(INSTALL_TOKEN_PREFIX.length)
      : t.name,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    maxUses: t.maxUses,
    uses: t.uses,
    revoked: t.revokedAt !== null,
    active: t.revokedAt === null && !expired && !exhausted,
    siteId: t.siteId ?? null,
  };
}

function badInput(message: string): HttpError {
  return new HttpError(400, 'invalid_request', message);
}

export const installCommandRoutes =
  (store: Store, deploy: DeployConfig | undefined): FastifyPluginAsync =>
  async (app) => {
    const binaries = new AgentBinaries(deploy?.agentBinariesDir ?? null);
    const configuredUrl = deploy?.publicUrl ?? null;

    app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof CreateBody> }>(
      '/tenants/:tenant/install-commands',
      { schema: { params: TenantParams, body: CreateBody } },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const { expiresInHours, maxUses, site, insecureHttp } = request.body;
        const siteRecord = site === undefined ? null : await store.tenants.getSite(tenant.id, site);
        if (site !== undefined && !siteRecord) {
          throw new HttpError(404, 'not_found', `no site ${site} in tenant ${tenant.slug}`);
        }
        if (siteRecord?.archivedAt) {
          throw new HttpError(409, 'site_archived', `site ${siteRecord.slug} is archived`);
        }
        if (siteRecord && hasControlCharacters(siteRecord.name)) {
          throw badInput(
            `the name of site ${siteRecord.slug} has control characters or line breaks`,
          );
        }
        const name = request.body.name ?? `install commands ${new Date().toISOString()}`;
        if (hasControlCharacters(name)) {
          throw badInput('body/name must not contain control characters or line breaks');
        }
        let url: string;
        try {
          url = checkPublicUrl(configuredUrl ?? urlFromRequest(request), insecureHttp);
        } catch (error) {
          if (!(error instanceof PublicUrlError)) throw error;
          const where = configuredUrl
            ? 'the configured --public-url'
            : 'the URL this request reached the collector at (set --public-url to choose it)';
          throw new HttpError(409, 'unusable_public_url', `${where}: ${error.message}`);
        }

        // Checked before the token exists: a refused request leaves no unused secret behind.
        const now = new Date();
        const id = newTokenId('et');
        const secret = newSecret();
        const record: EnrollmentTokenRecord = {
          id,
          tenantId: tenant.id,
          name: `${INSTALL_TOKEN_PREFIX}${name}`,
          secretHash: hashSecret(secret),
          createdAt: now,
          expiresAt: new Date(now.getTime() + expiresInHours * HOUR),
          maxUses,
          uses: 0,
          revokedAt: null,
          siteId: siteRecord?.id ?? null,
        };
        await store.access.insertEnrollmentToken(record);
        await recordAudit(store, request.principal, {
          action: 'enrollment_token.create',
          tenantId: tenant.id,
          targetType: 'enrollment_token',
          targetId: id,
          detail: {
            name: record.name,
            expiresAt: record.expiresAt!.toISOString(),
            maxUses,
            siteId: record.siteId,
            via: 'install-commands',
          },
        });
        // The id only: the secret is never logged.
        request.log.info({ tenant: tenant.slug, tokenId: id }, 'install commands created');

        const token = joinCredential(id, secret);
        const input = {
          url,
          token,
          ...(siteRecord ? { site: siteRecord.name } : {}),
          insecureHttp,
        };
        const available = await binaries.platforms();
        const missing = (Object.keys(AGENT_FILES) as AgentPlatform[]).filter(
          (p) => !available.includes(p),
        );
        const warnings: string[] = [];
        if (binaries.dir === null) {
          warnings.push(
            'this collector serves no agent binaries (--agent-binaries): the commands will fail to download until it does',
          );
        } else if (missing.length > 0) {
          warnings.push(
            `no binary for ${missing.join(', ')} in ${SUMS_FILE} yet: the commands fail on those platforms (run pnpm build:agent)`,
          );
        }
        if (!configuredUrl) {
          warnings.push(
            `the URL ${url} is where this request reached the collector; if agents reach it elsewhere (a TLS proxy, another name), set --public-url`,
          );
        }
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({
            tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
            site: siteRecord
              ? { id: siteRecord.id, slug: siteRecord.slug, name: siteRecord.name }
              : null,
            token: tokenView(record, now),
            enrollmentToken: token,
            notice:
              'The enrollment token is shown only in this answer (the collector keeps its hash): copy the commands now. Anyone holding them can enroll machines into this tenant until the token expires or is used up.',
            url,
            urlSource: configuredUrl ? 'configured' : 'request',
            commands: {
              bash: bashInstallCommand(input),
              powershell: powershellInstallCommand(input),
            },
            exitCodes: {
              ...Object.fromEntries(Object.entries(SCRIPT_EXIT).map(([k, v]) => [v, k])),
              other: 'the exit code of vcio-agent install (README: Install as a service)',
            },
            platforms: { available, missing },
            warnings,
          });
      },
    );

    app.get<{ Params: Static<typeof TenantParams> }>(
      '/tenants/:tenant/install-commands',
      { schema: { params: TenantParams } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const tokens = await store.access.listEnrollmentTokens(tenant.id);
        const now = new Date();
        return {
          tokens: tokens
            .filter((t) => t.name.startsWith(INSTALL_TOKEN_PREFIX))
            .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
            .map((t) => tokenView(t, now)),
        };
      },
    );
  };
