import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { loadProfiles } from '../../../src/bridge/profiles/index.js';
import { readFixture, runStep } from './run-fixture.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const devices = join(import.meta.dirname, '../../../devices');

for (const file of (await readdir(fixtures)).filter((f) => f.endsWith('.yaml')).sort()) {
  const fixture = await readFixture(join(fixtures, file));
  t.test(`the ${fixture.profile} profile reads ${file} as its ecosystem publishes it`, async (t) => {
    const options = { generic: fixture.generic ?? [] } as { generic: typeof fixture.generic;
      maxPayloadBytes?: number };
    if (fixture.maxPayloadBytes !== undefined) options.maxPayloadBytes = fixture.maxPayloadBytes;
    const [profile] = await loadProfiles(devices, [fixture.profile], options);
    for (const step of fixture.steps) runStep(t, profile!, step);
  });
}
