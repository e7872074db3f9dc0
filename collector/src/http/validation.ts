// Validation of JSON bodies without type coercion.
//
// Fastify's default Ajv coerces types (useful for query strings, where everything
// arrives as text). In a body that is wrong: with `null` allowed as "unknown", coercion
// turns a null into 0 or "" while trying the first branch of the union, and the
// contract's one promise, that an unknown is never shown as a zero, breaks. Bodies are
// validated by this Ajv instead: no coercion, no defaults, no removal.
import { Ajv, type AnySchema } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { isDateTime } from '@vcio/shared';

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
