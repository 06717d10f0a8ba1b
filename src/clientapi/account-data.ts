import type { ClientApi } from './context.js';

/** Placeholder until this endpoint family is written; mounts nothing. */
export function mountAccountData(_api: ClientApi): void {}
