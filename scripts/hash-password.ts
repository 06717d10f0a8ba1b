#!/usr/bin/env node
/**
 * Prints a password hash for a device user in the config (mqtt.users[].password_hash):
 * `npm run build && node dist/scripts/hash-password.js` asks for the password on the terminal
 * (or takes --password / SWITCHBOARD_PASSWORD for scripts). The hash is scrypt, the same
 * scheme as Matrix account passwords, so the config never holds a device's password.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { hashPassword } from '../src/accounts/passwords.js';

async function readPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question('device password: ');
  } finally {
    rl.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { password: { type: 'string', short: 'p' } } });
  const password = values.password ?? process.env.SWITCHBOARD_PASSWORD ?? await readPassword();
  if (password.length === 0) {
    console.error('the password must not be empty');
    return 2;
  }
  console.log(await hashPassword(password));
  return 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
