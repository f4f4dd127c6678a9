/**
 * The one error shape every 4xx/5xx of the side-port uses. Pure: no fastify types here, so the CLI and tests
 * can build and check the same shape.
 */

export interface FieldProblem {
  /** A body path ("tenure", "customers[3].tenure") or a pseudo-field in parentheses: "(body)", "(content-type)". */
  field: string;
  message: string;
}

export type ErrorKind =
  | 'invalid_json'
  | 'invalid_body'
  | 'invalid_customer'
  | 'invalid_batch'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'bad_request'
  | 'not_found'
  | 'method_not_allowed'
  | 'request_timeout'
  | 'unauthorized'
  | 'overloaded'
  | 'internal_error';

export interface ErrorBody {
  error: ErrorKind;
  message: string;
  fields: FieldProblem[];
}

export interface HttpError {
  status: number;
  body: ErrorBody;
}

export function httpError(status: number, error: ErrorKind, message: string, fields: FieldProblem[] = []): HttpError {
  return { status, body: { error, message, fields } };
}

export const BODY_FIELD = '(body)';
export const CONTENT_TYPE_FIELD = '(content-type)';
export const AUTHORIZATION_FIELD = '(authorization)';

/** Code of the error thrown when load is shed (the one @fastify/under-pressure uses too). */
export const OVERLOADED_CODE = 'FST_UNDER_PRESSURE';

/** The parts of an error thrown inside fastify (its own FST_ERR_* errors, JSON parse errors, our bugs). */
export interface ThrownError {
  code?: string | undefined;
  statusCode?: number | undefined;
  message: string;
  validation?: ReadonlyArray<{ instancePath?: string; message?: string }> | undefined;
}

/**
 * Maps anything thrown while handling a request to the error shape. Client mistakes (fastify's own 4xx codes)
 * keep a 4xx status; only errors with no client-side status become 500, which means a bug of ours.
 */
export function httpErrorFromThrown(err: ThrownError, limits: { bodyLimitBytes: number }): HttpError {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpError(415, 'unsupported_media_type', 'Content-Type must be application/json', [
        { field: CONTENT_TYPE_FIELD, message: 'must be application/json' },
      ]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError(413, 'payload_too_large', `Request body is larger than ${limits.bodyLimitBytes} bytes`, [
        { field: BODY_FIELD, message: `must be at most ${limits.bodyLimitBytes} bytes` },
      ]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return httpError(400, 'invalid_json', 'Request body is empty; expected a JSON object', [
        { field: BODY_FIELD, message: 'must be a JSON object, got an empty body' },
      ]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return invalidJson(err.message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return httpError(400, 'bad_request', 'Request body size did not match Content-Length', [
        { field: '(content-length)', message: 'must match the body size' },
      ]);
    case OVERLOADED_CODE:
      return httpError(503, 'overloaded', err.message);
    case 'FST_ERR_VALIDATION':
      return httpError(
        400,
        'bad_request',
        'Request failed validation',
        (err.validation ?? []).map((v) => ({
          field: v.instancePath ? v.instancePath.replace(/^\//, '').replaceAll('/', '.') : '(request)',
          message: v.message ?? 'is invalid',
        })),
      );
    default:
      break;
  }
  const status = err.statusCode ?? 500;
  // fastify's JSON parser (secure-json-parse) throws a SyntaxError with statusCode 400 and no FST code.
  if (status === 400 && err.code === undefined) return invalidJson(err.message);
  if (status >= 400 && status < 500) {
    return httpError(status, 'bad_request', err.message, [{ field: '(request)', message: err.message }]);
  }
  return httpError(500, 'internal_error', 'Internal server error');
}

function invalidJson(detail: string): HttpError {
  return httpError(400, 'invalid_json', 'Request body is not valid JSON', [
    { field: BODY_FIELD, message: `must be valid JSON (${detail})` },
  ]);
}

/**
 * The answer to a request the HTTP parser gave up on before fastify saw it (Node's clientError): a request
 * not received in full within the request/headers timeout, headers over Node's size limit, bytes that are
 * not HTTP. The connection is closed after it.
 */
export function httpErrorForConnection(code: string | undefined): HttpError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return httpError(408, 'request_timeout', 'The request was not received in full within the time limit', [
        { field: '(request)', message: 'must be sent in full within the request timeout' },
      ]);
    case 'HPE_HEADER_OVERFLOW':
      return httpError(431, 'bad_request', 'Request headers are too large', [
        { field: '(headers)', message: 'are too large' },
      ]);
    default:
      return httpError(400, 'bad_request', 'Malformed HTTP request', [
        { field: '(request)', message: 'is not valid HTTP/1.1' },
      ]);
  }
}
