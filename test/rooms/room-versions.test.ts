// The room version table: which features each version switches on.
import t from 'tap';

import { getRoomVersion, ROOM_VERSIONS } from '../../src/rooms/room-versions.js';

t.test('versions 6 to 12 are known and stable; others are not', async (t) => {
  t.same([...ROOM_VERSIONS.keys()], ['6', '7', '8', '9', '10', '11', '12']);
  for (const version of ROOM_VERSIONS.values()) t.equal(version.stable, true, version.id);
  t.equal(getRoomVersion('5'), undefined);
  t.equal(getRoomVersion('13'), undefined);
});

t.test('each feature starts at the version that introduced it', async (t) => {
  const firstVersion: Record<string, number> = {
    knock: 7,
    restrictedJoin: 8,
    knockRestricted: 10,
    integerPowerLevels: 10,
    redactsInContent: 11,
    implicitCreator: 11,
    roomIdFromCreate: 12,
    privilegedCreators: 12,
  };
  for (const [flag, since] of Object.entries(firstVersion)) {
    for (const version of ROOM_VERSIONS.values()) {
      const on = (version as unknown as Record<string, boolean>)[flag];
      t.equal(on, Number(version.id) >= since, `v${version.id} ${flag}`);
    }
  }
});

t.test('redaction algorithms: v6 for 6-7, v8, v9 for 9-10, v11 from 11', async (t) => {
  const expected = { 6: 'v6', 7: 'v6', 8: 'v8', 9: 'v9', 10: 'v9', 11: 'v11', 12: 'v11' };
  for (const [id, algorithm] of Object.entries(expected)) {
    t.equal(getRoomVersion(id)?.redaction, algorithm, `v${id}`);
  }
});

t.test('version entries are frozen', async (t) => {
  t.ok(Object.isFrozen(getRoomVersion('10')));
});
