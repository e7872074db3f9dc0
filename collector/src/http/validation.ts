// Validation of JSON bodies without type coercion.
//
// Fastify's default Ajv coerces types (useful for query strings, where everything
// arrives as text). In a body that is wrong: with `null` allowed as "unknown", coercion
// turns a null into 0 or "" while trying the first branch of the union, and the
// contract's one promise, that an unknown is never shown as a zero, breaks. Bodies are
// validated by this Ajv instead: no coercion, no defaults, no removal.
import { Ajv, type AnySchema } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { isDateTime } from '@vcio/shared';
import { HttpError } from './errors.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const ajv = addFormats(
  new Ajv({ coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false }),
);
// The contract's own date-time: ajv-formats accepts leap seconds, which the store cannot
// turn into a time (see isDateTime).
ajv.addFormat('date-time', isDateTime);

export const strictBodyCompiler: FastifySchemaCompiler<AnySchema> = ({ schema }) => {
  const id = (schema as { $id?: string }).$id;
  return (id && ajv.getSchema(id)) || ajv.compile(schema);
};

/** The JSON Schema type of a query-string property, where the route declares one. */
function declaredType(request: FastifyRequest, name: string): unknown {
  const schema = request.routeOptions.schema?.querystring as
    { properties?: Record<string, { type?: unknown }> } | undefined;
  return schema?.properties?.[name]?.type;
}

/**
 * Query-string numbers must be finite. Ajv coerces "1e309" to Infinity, and its integer
 * and range checks let Infinity through; the store then fails on it (a 500). Checked once
 * here, before validation, for every route whose schema declares a numeric parameter.
 */
export function registerFiniteQueryNumbers(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const query = request.query as Record<string, unknown> | null;
    if (!query || typeof query !== 'object') return;
    for (const [name, value] of Object.entries(query)) {
      const type = declaredType(request, name);
      if (type !== 'integer' && type !== 'number') continue;
      for (const text of [value].flat()) {
        if (typeof text === 'string' && Math.abs(Number(text)) === Infinity) {
          throw new HttpError(
            400,
            'invalid_request',
            `querystring/${name} must be a finite number`,
          );
        }
      }
    }
  });
}
