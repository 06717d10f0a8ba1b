import type { ClientApi } from './context.js';

/** Placeholder until this endpoint family is written; mounts nothing. */
export function mountToDevice(_api: ClientApi): void {}
