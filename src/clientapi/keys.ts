import type { ClientApi } from './context.js';

/** Placeholder until this endpoint family is written; mounts nothing. */
export function mountKeys(_api: ClientApi): void {}
