import type { ClientApi } from './context.js';

/** Spec versions this server implements to the level of its README (client-server API). */
const VERSIONS = ['r0.6.1', 'v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8',
  'v1.9', 'v1.10', 'v1.11'];

export function mountServerInfo(api: ClientApi): void {
  const { config } = api.hs;

  // GET /_matrix/client/versions
  api.open('GET', '/versions', async () => ({
    versions: VERSIONS,
    unstable_features: {},
  }), ['/_matrix/client']);

  // GET /.well-known/matrix/client
  api.open('GET', '/matrix/client', async () => ({
    'm.homeserver': { base_url: publicBaseUrl(api) },
  }), ['/.well-known']);

  // GET /_matrix/client/v3/capabilities
  api.authed('GET', '/capabilities', async () => ({
    capabilities: {
      'm.change_password': { enabled: true },
      'm.room_versions': {
        default: config.rooms.default_version,
        available: Object.fromEntries(['6', '7', '8', '9', '10', '11', '12']
          .map((v) => [v, 'stable'])),
      },
      'm.set_displayname': { enabled: true },
      'm.set_avatar_url': { enabled: true },
      'm.3pid_changes': { enabled: false },
      'm.get_login_token': { enabled: false },
    },
  }));
}

export function publicBaseUrl(api: ClientApi): string {
  const { config } = api.hs;
  if (config.public_baseurl) return config.public_baseurl.replace(/\/$/, '');
  const host = config.listen.client.host.includes(':') ? `[${config.listen.client.host}]`
    : config.listen.client.host;
  return `http://${host}:${config.listen.client.port}`;
}
