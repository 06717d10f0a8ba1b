/** Matrix error codes this server answers with, and the HTTP status each one carries. */
const STATUS = {
  M_FORBIDDEN: 403,
  M_UNKNOWN_TOKEN: 401,
  M_MISSING_TOKEN: 401,
  M_BAD_JSON: 400,
  M_NOT_JSON: 400,
  M_NOT_FOUND: 404,
  M_LIMIT_EXCEEDED: 429,
  M_UNRECOGNIZED: 404,
  M_UNKNOWN: 500,
  M_UNAUTHORIZED: 401,
  M_USER_DEACTIVATED: 403,
  M_USER_IN_USE: 400,
  M_INVALID_USERNAME: 400,
  M_ROOM_IN_USE: 400,
  M_INVALID_ROOM_STATE: 400,
  M_UNSUPPORTED_ROOM_VERSION: 400,
  M_INCOMPATIBLE_ROOM_VERSION: 400,
  M_BAD_STATE: 400,
  M_GUEST_ACCESS_FORBIDDEN: 403,
  M_MISSING_PARAM: 400,
  M_INVALID_PARAM: 400,
  M_TOO_LARGE: 413,
  M_EXCLUSIVE: 400,
  M_INVALID_SIGNATURE: 400,
  M_THREEPID_DENIED: 403,
  M_SERVER_NOT_TRUSTED: 401,
  M_CANNOT_LEAVE_SERVER_NOTICE_ROOM: 403,
} as const;

export type ErrCode = keyof typeof STATUS;

/** An error a client sees as `{ errcode, error, ...extra }` with the status from one table. */
export class MatrixError extends Error {
  readonly status: number;

  constructor(
    readonly errcode: ErrCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
    status?: number,
  ) {
    super(message);
    this.name = 'MatrixError';
    this.status = status ?? STATUS[errcode];
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const forbidden = (reason: string) => new MatrixError('M_FORBIDDEN', reason);
export const notFound = (what: string) => new MatrixError('M_NOT_FOUND', what);
export const badJson = (reason: string) => new MatrixError('M_BAD_JSON', reason);
export const invalidParam = (reason: string) => new MatrixError('M_INVALID_PARAM', reason);
export const missingParam = (reason: string) => new MatrixError('M_MISSING_PARAM', reason);
export const unknownToken = (reason = 'Unrecognised access token') =>
  new MatrixError('M_UNKNOWN_TOKEN', reason, { soft_logout: false });
export const missingToken = () => new MatrixError('M_MISSING_TOKEN', 'Missing access token');
export const limitExceeded = (retryAfterMs: number) =>
  new MatrixError('M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs });
export const unrecognized = (status: 404 | 405, message = 'Unrecognized request') =>
  new MatrixError('M_UNRECOGNIZED', message, {}, status);
