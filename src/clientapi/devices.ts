import type { ClientApi } from './context.js';

/** Placeholder until this endpoint family is written; mounts nothing. */
export function mountDevices(_api: ClientApi): void {}
