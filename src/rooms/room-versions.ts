/**
 * The room versions Switchboard understands (6 to 12) and the behaviour each one switches on.
 * Auth rules and redaction read these flags rather than comparing version strings, so a
 * future version is one more table row.
 */
export interface RoomVersion {
  id: string;
  stable: boolean;
  /** v7+: `knock` membership and join rule. */
  knock: boolean;
  /** v8+: `restricted` join rule and `join_authorised_via_users_server`. */
  restrictedJoin: boolean;
  /** v10+: `knock_restricted` join rule. */
  knockRestricted: boolean;
  /** v10+: power level values must be JSON integers, not numeric strings. */
  integerPowerLevels: boolean;
  /** v11+: `redacts` moved from the top level into `content`. */
  redactsInContent: boolean;
  /** v11+: the room creator is the create event's sender; `content.creator` is gone. */
  implicitCreator: boolean;
  /** v12+: the room ID is derived from the create event's reference hash. */
  roomIdFromCreate: boolean;
  /** v12+: creators (sender + `additional_creators`) have infinite power. */
  privilegedCreators: boolean;
  /**
   * Which redaction algorithm applies. v8 has its own: v6 plus join rules' `allow`
   * (rooms/v8 "Redactions").
   */
  redaction: 'v6' | 'v8' | 'v9' | 'v11';
}

const v6: RoomVersion = {
  id: '6',
  stable: true,
  knock: false,
  restrictedJoin: false,
  knockRestricted: false,
  integerPowerLevels: false,
  redactsInContent: false,
  implicitCreator: false,
  roomIdFromCreate: false,
  privilegedCreators: false,
  redaction: 'v6',
};
const v7: RoomVersion = { ...v6, id: '7', knock: true };
const v8: RoomVersion = { ...v7, id: '8', restrictedJoin: true, redaction: 'v8' };
const v9: RoomVersion = { ...v8, id: '9', redaction: 'v9' };
const v10: RoomVersion = { ...v9, id: '10', knockRestricted: true, integerPowerLevels: true };
const v11: RoomVersion = {
  ...v10,
  id: '11',
  redactsInContent: true,
  implicitCreator: true,
  redaction: 'v11',
};
const v12: RoomVersion = { ...v11, id: '12', roomIdFromCreate: true, privilegedCreators: true };

export const ROOM_VERSIONS: ReadonlyMap<string, RoomVersion> = new Map(
  [v6, v7, v8, v9, v10, v11, v12].map((v) => [v.id, Object.freeze(v)] as const),
);

export function getRoomVersion(id: string): RoomVersion | undefined {
  return ROOM_VERSIONS.get(id);
}
