#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

const USAGE = 'usage: switchboard [--config FILE]   (or SWITCHBOARD_CONFIG=FILE)';

async function main(): Promise<number> {
  let file: string | undefined;
  try {
    const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    file = values.config;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }

  let config;
  try {
    config = loadConfig({ file });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`switchboard: config error: ${err.message}`);
      return 2;
    }
    throw err;
  }

  const log = createLogger(config.log.level);
  const server = await startServer(config, log);
  log.info({ module: 'main', server_name: config.server_name, data_dir: config.data_dir,
    startup_ms: Math.round(performance.now()) }, 'switchboard started');

  const stop = async (signal: string) => {
    log.info({ module: 'main', signal }, 'stopping');
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return -1;
}

main().then((code) => {
  if (code >= 0) process.exit(code);
}, (err) => {
  console.error('switchboard: failed to start:', err);
  process.exit(1);
});
