#!/usr/bin/env node
/**
 * Adds a user without opening registration: `npm run add-user -- alice [--admin]`
 * (password read from the terminal, or --password / SWITCHBOARD_PASSWORD for scripts).
 * Uses the same config as the server (--config FILE or SWITCHBOARD_CONFIG). LevelDB allows
 * one process at a time, so run it while the server is stopped, or use the shared-secret
 * route (/_synapse/admin/v1/register) against a running server.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { AccountService } from '../src/accounts/account-service.js';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { AccountStore } from '../src/storage/level/accounts.js';
import { Database } from '../src/storage/level/database.js';

async function readPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question('password: ');
  } finally {
    rl.close();
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      password: { type: 'string', short: 'p' },
      admin: { type: 'boolean' },
    },
  });
  const localpart = positionals[0];
  if (!localpart) {
    console.error('usage: npm run add-user -- LOCALPART [--admin] [--password P] [--config FILE]');
    return 2;
  }
  let config;
  try {
    config = loadConfig({ file: values.config });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`config error: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const password = values.password ?? process.env.SWITCHBOARD_PASSWORD ?? await readPassword();
  if (password.length < 8) {
    console.error('the password must have at least 8 characters');
    return 2;
  }
  let db: Database;
  try {
    db = await Database.open(join(config.data_dir, 'db'));
  } catch (err) {
    console.error(`cannot open ${config.data_dir}: ${(err as Error).message}` +
      ' (is the server running? stop it, or use the shared-secret route)');
    return 1;
  }
  try {
    const accounts = new AccountService(db, new AccountStore(db), config.server_name);
    const userId = await accounts.register(localpart, password, values.admin ?? false);
    console.log(`created ${userId}`);
    return 0;
  } catch (err) {
    console.error(`cannot create ${localpart}: ${(err as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
