import { badJson, MatrixError } from '../http/errors.js';

export type Json = Record<string, unknown>;

/** The request body as an object, or M_NOT_JSON / M_BAD_JSON. */
export function bodyObject(body: unknown): Json {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new MatrixError('M_BAD_JSON', 'Request body must be a JSON object');
  }
  return body as Json;
}

function wrongType(field: string, expected: string): MatrixError {
  return badJson(`'${field}' must be ${expected}`);
}

export function optString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(field, 'a string');
  return value;
}

export function reqString(body: Json, field: string): string {
  const value = optString(body, field);
  if (value === undefined) throw new MatrixError('M_MISSING_PARAM', `'${field}' is required`);
  return value;
}

export function optBoolean(body: Json, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw wrongType(field, 'a boolean');
  return value;
}

export function optInteger(body: Json, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw wrongType(field, 'an integer');
  }
  return value;
}

export function optObject(body: Json, field: string): Json | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(field, 'an object');
  return value as Json;
}

export function optStringArray(body: Json, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw wrongType(field, 'an array of strings');
  }
  return value as string[];
}

export function optArray(body: Json, field: string): unknown[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(field, 'an array');
  return value;
}

/** A query parameter as a non-negative integer, or M_INVALID_PARAM. */
export function queryInteger(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new MatrixError('M_INVALID_PARAM', `'${name}' must be a non-negative integer`);
  }
  return n;
}

const USER_ID = /^@[^:]+:.+$/;
const ROOM_ID = /^![^:]+(:.+)?$/;

export function checkUserId(value: string, field: string): string {
  if (!USER_ID.test(value)) throw new MatrixError('M_INVALID_PARAM', `'${field}' is not a user ID`);
  return value;
}

export function isRoomId(value: string): boolean {
  return ROOM_ID.test(value);
}

export function checkRoomId(roomId: string): string {
  if (!isRoomId(roomId)) throw new MatrixError('M_INVALID_PARAM', `${roomId} is not a room ID`);
  return roomId;
}
