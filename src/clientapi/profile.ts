import type { ClientApi } from './context.js';

/** Placeholder until this endpoint family is written; mounts nothing. */
export function mountProfile(_api: ClientApi): void {}
