/**
 * Friend-relationship notice types (seed section 七, 500–509). Stored in NewFriends records and,
 * once the gateway lands, delivered to clients as system messages with these type codes.
 */
export const friendNoticeTypes = {
  greet: 500,
  agree: 501,
  reply: 502,
  follow: 503,
  unfollow: 504,
  delete: 505,
  recommend: 506,
  blacklist: 507,
  directFriend: 508,
  unblacklist: 509,
} as const;

export type FriendNoticeType = (typeof friendNoticeTypes)[keyof typeof friendNoticeTypes];
