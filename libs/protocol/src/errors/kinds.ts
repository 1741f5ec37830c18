/**
 * The class of an error. Each kind maps to exactly one HTTP status and one socket error category;
 * this table is the only place where that mapping lives.
 */
export const errorKinds = {
  invalid: { httpStatus: 400, socketCategory: "invalid" },
  unauthenticated: { httpStatus: 401, socketCategory: "auth" },
  forbidden: { httpStatus: 403, socketCategory: "forbidden" },
  not_found: { httpStatus: 404, socketCategory: "not_found" },
  method_not_allowed: { httpStatus: 405, socketCategory: "invalid" },
  conflict: { httpStatus: 409, socketCategory: "conflict" },
  payload_too_large: { httpStatus: 413, socketCategory: "invalid" },
  unsupported_media_type: { httpStatus: 415, socketCategory: "invalid" },
  rate_limited: { httpStatus: 429, socketCategory: "rate_limited" },
  internal: { httpStatus: 500, socketCategory: "internal" },
  unavailable: { httpStatus: 503, socketCategory: "unavailable" },
} as const;

export type ErrorKind = keyof typeof errorKinds;
export type SocketErrorCategory = (typeof errorKinds)[ErrorKind]["socketCategory"];
