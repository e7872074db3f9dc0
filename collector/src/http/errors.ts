// One error shape for every answer that is not a success: `{ error, message }` with the
// right status. Bad input is always a 4xx that says what and where; a 500 is only ever
// our own fault, and its details go to the log, not to the client.
import type { FastifyError, FastifyInstance } from 'fastify';
import { isStorageFailure, type StorageAvailability } from '../store/availability.js';
import { StoreUnavailableError } from '../store/types.js';
import { markQuietRejection, STORAGE_RETRY_AFTER_SECONDS } from './overload.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Fastify's own error codes, mapped to vcio's stable error codes. */
const FASTIFY_CODES: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'empty_body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
};

/**
 * `storage`, when given, is told of every storage failure a request met: it logs the
 * change once and refuses reports at the door until storage is back (availability.ts).
 */
export function registerErrorHandling(app: FastifyInstance, storage?: StorageAvailability): void {
  app.setErrorHandler((error: FastifyError | HttpError | StoreUnavailableError, request, reply) => {
    if (error instanceof HttpError) {
      return reply
        .code(error.statusCode)
        .headers(error.headers)
        .send({ error: error.code, message: error.message });
    }
    // A full disk or a read-only database met by any route (an enrollment, a token
    // created), not only ingest: a 503 that says so, never a 500.
    if (error instanceof StoreUnavailableError || isStorageFailure(error)) {
      // The agent keeps the report and retries; the availability logs the change once.
      if (storage) {
        storage.reportFailure(error);
        markQuietRejection(request);
      } else {
        request.log.error({ err: error }, 'storage unavailable: answering 503');
      }
      return reply.code(503).header('retry-after', String(STORAGE_RETRY_AFTER_SECONDS)).send({
        error: 'storage_unavailable',
        message: 'the collector cannot store data right now; retry later',
      });
    }
    if (error.validation) {
      return reply.code(400).send({
        error: 'invalid_request',
        message: `${error.validationContext ?? 'request'}${error.message.replace(/^\w+/, '')}`,
      });
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) {
      return reply.code(known.status).send({ error: known.code, message: error.message });
    }
    if (error instanceof SyntaxError) {
      return reply.code(400).send({ error: 'invalid_json', message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(status >= 500 ? status : 500)
      .send({ error: 'internal', message: 'the collector could not complete the request' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });
}
