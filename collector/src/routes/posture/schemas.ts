// The posture routes' schemas in one place: path parameters, queries and bodies. Each is
// the route's validation and its documentation at once (Fastify with TypeBox).
import { Type } from '@sinclair/typebox';

/** Days in queries and acceptance lifetimes are counted in these. */
export const DAY = 86_400_000;

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 128 }) });
export const AcceptanceParams = Type.Object({
  tenant: Type.String({ minLength: 1, maxLength: 128 }),
  id: Type.String({ minLength: 1, maxLength: 64 }),
});

export const TrendQuery = Type.Object(
  { days: Type.Integer({ minimum: 1, maximum: 3660, default: 90 }) },
  { additionalProperties: false },
);

export const TenantPostureQuery = Type.Object(
  {
    days: Type.Integer({ minimum: 1, maximum: 3660, default: 90 }),
    /** "what changed since the last review": findings opened and resolved since then */
    since: Type.Optional(Type.String({ format: 'date-time' })),
    top: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  },
  { additionalProperties: false },
);

const SeverityName = Type.Union([
  Type.Literal('critical'),
  Type.Literal('high'),
  Type.Literal('medium'),
  Type.Literal('low'),
]);

export const FindingsQuery = Type.Object(
  {
    status: Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('all')], {
      default: 'open',
    }),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    severity: Type.Optional(SeverityName),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    check: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

export const AcceptanceBody = Type.Object(
  {
    checkId: Type.String({ minLength: 1, maxLength: 128 }),
    /** absent or null: every host of the tenant */
    hostId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    reason: Type.String({ minLength: 3, maxLength: 2000 }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const HostAttributesBody = Type.Object(
  {
    role: Type.Optional(
      Type.Union([Type.Literal('server'), Type.Literal('workstation'), Type.Null()]),
    ),
    purchaseDate: Type.Optional(Type.Union([IsoDate, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

const Days = Type.Integer({ minimum: 1, maximum: 3650 });
export const SettingsBody = Type.Object(
  {
    thresholds: Type.Optional(
      Type.Object(
        {
          securityPendingDays: Type.Optional(Days),
          noInstallDays: Type.Optional(Days),
          rebootPendingDays: Type.Optional(Days),
          signatureMaxAgeDays: Type.Optional(Days),
          maxAdmins: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
          offlineHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 8760 })),
          diskFullRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    serverWeight: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
    replacement: Type.Optional(
      Type.Object(
        {
          workstationYears: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
          serverYears: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
        },
        { additionalProperties: false },
      ),
    ),
    endingSoonDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
    extendedSupport: Type.Optional(Type.Boolean()),
    replacementCost: Type.Optional(
      Type.Object(
        {
          workstation: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
          server: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
          currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
