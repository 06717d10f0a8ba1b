// Power level helpers shared by the auth rules and the client API.
import t from 'tap';

import {
  actionPowerLevel, eventPowerLevel, notificationPowerLevel, parsePowerLevel, userPowerLevel,
} from '../../src/rooms/power-levels.js';
import { ALICE, BOB, CAROL, RoomBuilder, roomVersion } from './builders.js';

t.test('parsePowerLevel accepts stringy integers only before v10', async (t) => {
  const rows: Array<[unknown, number | undefined, number | undefined]> = [
    // value, v9 result, v10 result
    [50, 50, 50],
    [-10, -10, -10],
    ['100', 100, undefined],
    ['000100', 100, undefined],
    ['+100', 100, undefined],
    [' -100 ', -100, undefined],
    ['1.5', undefined, undefined],
    ['1e3', undefined, undefined],
    ['', undefined, undefined],
    ['++1', undefined, undefined],
    [1.5, undefined, undefined],
    [2 ** 53, undefined, undefined],
    [true, undefined, undefined],
    [null, undefined, undefined],
  ];
  for (const [value, v9, v10] of rows) {
    t.equal(parsePowerLevel(value, roomVersion('9')), v9, `v9 ${JSON.stringify(value)}`);
    t.equal(parsePowerLevel(value, roomVersion('10')), v10, `v10 ${JSON.stringify(value)}`);
  }
});

t.test('userPowerLevel without a power levels event', async (t) => {
  const rows: Array<[string, string, number]> = [
    ['6', ALICE, 100], ['10', ALICE, 100], ['11', ALICE, 100], ['12', ALICE, Infinity],
    ['6', BOB, 0], ['12', BOB, 0],
  ];
  for (const [version, user, expected] of rows) {
    const room = new RoomBuilder(version);
    t.equal(userPowerLevel(user, room.lookup, room.version), expected, `v${version} ${user}`);
  }
});

t.test('the creator is content.creator before v11 and the sender from v11', async (t) => {
  for (const version of ['10', '11']) {
    const room = new RoomBuilder(version, { createContent: { creator: BOB } });
    const expectBob = version === '10' ? 100 : 0;
    t.equal(userPowerLevel(BOB, room.lookup, room.version), expectBob, `v${version} bob`);
    t.equal(userPowerLevel(ALICE, room.lookup, room.version), 100 - expectBob, `v${version} alice`);
  }
});

t.test('userPowerLevel with a power levels event', async (t) => {
  const room = new RoomBuilder('11').powerLevels({ users: { [BOB]: 30 }, users_default: 5 });
  t.equal(userPowerLevel(BOB, room.lookup, room.version), 30);
  t.equal(userPowerLevel(CAROL, room.lookup, room.version), 5);
  t.equal(userPowerLevel(ALICE, room.lookup, room.version), 5, 'v11 creator is not special');

  const v12 = new RoomBuilder('12', { createContent: { additional_creators: [CAROL] } });
  v12.powerLevels({ users: { [BOB]: 100 } });
  t.equal(userPowerLevel(ALICE, v12.lookup, v12.version), Infinity);
  t.equal(userPowerLevel(CAROL, v12.lookup, v12.version), Infinity);
  t.ok(userPowerLevel(CAROL, v12.lookup, v12.version) > 2 ** 53, 'above every integer level');
});

t.test('eventPowerLevel defaults', async (t) => {
  const bare = new RoomBuilder('10');
  t.equal(eventPowerLevel('m.room.name', true, bare.lookup), 0, 'no power levels: state 0');
  t.equal(eventPowerLevel('m.room.message', false, bare.lookup), 0);

  const room = new RoomBuilder('10').powerLevels({});
  t.equal(eventPowerLevel('m.room.name', true, room.lookup), 50, 'state_default is 50');
  t.equal(eventPowerLevel('m.room.message', false, room.lookup), 0, 'events_default is 0');

  room.powerLevels({ state_default: 20, events_default: 10, events: { 'm.room.name': 70 } });
  t.equal(eventPowerLevel('m.room.name', true, room.lookup), 70);
  t.equal(eventPowerLevel('m.room.topic', true, room.lookup), 20);
  t.equal(eventPowerLevel('m.room.message', false, room.lookup), 10);
});

t.test('actionPowerLevel and notificationPowerLevel defaults', async (t) => {
  const room = new RoomBuilder('9');
  const expected = { invite: 0, kick: 50, ban: 50, redact: 50 } as const;
  for (const [action, level] of Object.entries(expected)) {
    t.equal(actionPowerLevel(action as keyof typeof expected, room.lookup), level, action);
  }
  t.equal(notificationPowerLevel('room', room.lookup), 50);

  room.powerLevels({ invite: '20', kick: 1, notifications: { room: 10 } });
  t.equal(actionPowerLevel('invite', room.lookup), 20, 'stringy value read in old rooms');
  t.equal(actionPowerLevel('kick', room.lookup), 1);
  t.equal(actionPowerLevel('ban', room.lookup), 50);
  t.equal(notificationPowerLevel('room', room.lookup), 10);
});
