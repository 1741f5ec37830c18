/**
 * Every message type of the seed (section 七), by code. `stored: false` types are relayed to online
 * devices but never stored or synced (typing). `category` groups them for metrics and policy. `origin` says
 * who may create one (see {@link MessageOrigin}): a client `message:send` of a type whose origin is not
 * `client` or `relay` is refused with MESSAGE_TYPE_NOT_ALLOWED.
 */
export const messageTypes = {
  0: { name: "hidden", category: "system", stored: true, origin: "server" },
  1: { name: "text", category: "content", stored: true, origin: "client" },
  2: { name: "image", category: "content", stored: true, origin: "client" },
  3: { name: "voice", category: "content", stored: true, origin: "client" },
  4: { name: "location", category: "content", stored: true, origin: "client" },
  5: { name: "gif", category: "content", stored: true, origin: "client" },
  6: { name: "video", category: "content", stored: true, origin: "client" },
  7: { name: "audio", category: "content", stored: true, origin: "client" },
  8: { name: "card", category: "content", stored: true, origin: "client" },
  9: { name: "file", category: "content", stored: true, origin: "client" },
  10: { name: "tip", category: "system", stored: true, origin: "server" },
  26: { name: "readReceipt", category: "control", stored: true, origin: "client" },
  27: { name: "commentNotice", category: "system", stored: true, origin: "server" },
  28: { name: "redPacket", category: "content", stored: true, origin: "server" },
  80: { name: "article", category: "content", stored: true, origin: "client" },
  81: { name: "articles", category: "content", stored: true, origin: "client" },
  82: { name: "link", category: "content", stored: true, origin: "client" },
  83: { name: "redPacketReceived", category: "system", stored: true, origin: "server" },
  84: { name: "shake", category: "content", stored: true, origin: "client" },
  85: { name: "mergedForward", category: "content", stored: true, origin: "client" },
  100: { name: "voiceCallAsk", category: "call", stored: true, origin: "client" },
  101: { name: "voiceCallReady", category: "call", stored: true, origin: "client" },
  102: { name: "voiceCallAccept", category: "call", stored: true, origin: "client" },
  103: { name: "voiceCallReject", category: "call", stored: true, origin: "client" },
  104: { name: "voiceCallEnd", category: "call", stored: true, origin: "client" },
  110: { name: "videoCallAsk", category: "call", stored: true, origin: "client" },
  111: { name: "videoCallReady", category: "call", stored: true, origin: "client" },
  112: { name: "videoCallAccept", category: "call", stored: true, origin: "client" },
  113: { name: "videoCallReject", category: "call", stored: true, origin: "client" },
  114: { name: "videoCallEnd", category: "call", stored: true, origin: "client" },
  115: { name: "videoMeetingInvite", category: "call", stored: true, origin: "client" },
  116: { name: "videoMeetingJoin", category: "call", stored: true, origin: "client" },
  117: { name: "videoMeetingQuit", category: "call", stored: true, origin: "client" },
  118: { name: "videoMeetingKick", category: "call", stored: true, origin: "client" },
  120: { name: "voiceMeetingInvite", category: "call", stored: true, origin: "client" },
  121: { name: "voiceMeetingJoin", category: "call", stored: true, origin: "client" },
  122: { name: "voiceMeetingQuit", category: "call", stored: true, origin: "client" },
  123: { name: "voiceMeetingKick", category: "call", stored: true, origin: "client" },
  124: { name: "micTurn", category: "call", stored: true, origin: "client" },
  125: { name: "micTurnCancel", category: "call", stored: true, origin: "client" },
  200: { name: "multiDeviceOnline", category: "control", stored: false, origin: "relay" },
  201: { name: "typing", category: "control", stored: false, origin: "relay" },
  202: { name: "recall", category: "control", stored: true, origin: "client" },
  301: { name: "momentLike", category: "system", stored: true, origin: "server" },
  302: { name: "momentComment", category: "system", stored: true, origin: "server" },
  304: { name: "momentRemind", category: "system", stored: true, origin: "server" },
  401: { name: "groupFileUpload", category: "system", stored: true, origin: "server" },
  402: { name: "groupFileDelete", category: "system", stored: true, origin: "server" },
  403: { name: "groupFileDownload", category: "system", stored: true, origin: "server" },
  500: { name: "friendGreet", category: "friend", stored: true, origin: "server" },
  501: { name: "friendAgree", category: "friend", stored: true, origin: "server" },
  502: { name: "friendReply", category: "friend", stored: true, origin: "server" },
  503: { name: "friendFollow", category: "friend", stored: true, origin: "server" },
  504: { name: "friendUnfollow", category: "friend", stored: true, origin: "server" },
  505: { name: "friendDelete", category: "friend", stored: true, origin: "server" },
  506: { name: "friendRecommend", category: "friend", stored: true, origin: "server" },
  507: { name: "friendBlacklist", category: "friend", stored: true, origin: "server" },
  508: { name: "friendDirect", category: "friend", stored: true, origin: "server" },
  509: { name: "friendUnblacklist", category: "friend", stored: true, origin: "server" },
  901: { name: "roomNickname", category: "room", stored: true, origin: "server" },
  902: { name: "roomRename", category: "room", stored: true, origin: "server" },
  903: { name: "roomDelete", category: "room", stored: true, origin: "server" },
  904: { name: "roomMemberRemove", category: "room", stored: true, origin: "server" },
  905: { name: "roomNotice", category: "room", stored: true, origin: "server" },
  906: { name: "roomMute", category: "room", stored: true, origin: "server" },
  907: { name: "roomMemberAdd", category: "room", stored: true, origin: "server" },
  910: { name: "liveBarrage", category: "live", stored: true, origin: "server" },
  911: { name: "liveGift", category: "live", stored: true, origin: "server" },
  912: { name: "liveHeart", category: "live", stored: true, origin: "server" },
  913: { name: "roomAdmin", category: "room", stored: true, origin: "server" },
  914: { name: "liveJoin", category: "live", stored: true, origin: "server" },
  915: { name: "roomShowRead", category: "room", stored: true, origin: "server" },
} as const satisfies Record<number, { name: string; category: MessageCategory; stored: boolean; origin: MessageOrigin }>;

/**
 * Who may originate a message type:
 * - `client`: sent by users with `message:send`, stored and synced (text, media, calls 100–125, recall, read receipt);
 * - `relay`: sent by users but only relayed to online devices, never stored (typing 201, multi-device check 200);
 * - `server`: created by the platform only (tips, red packets 28/83, moments 27/301–304, group files 401–403,
 *   friend notices 500–509, room and live-room events 901–915, hidden 0); a client send is refused.
 */
export type MessageOrigin = "client" | "server" | "relay";

export type MessageCategory = "content" | "system" | "control" | "call" | "friend" | "room" | "live";
export type MessageTypeCode = keyof typeof messageTypes;
export type MessageTypeName = (typeof messageTypes)[MessageTypeCode]["name"];

/** The code of a message type by its name, e.g. `messageType.text === 1`. */
export const messageType = Object.fromEntries(Object.entries(messageTypes).map(([code, def]) => [def.name, Number(code)])) as {
  [K in MessageTypeCode as (typeof messageTypes)[K]["name"]]: K;
};

export const isMessageType = (code: number): code is MessageTypeCode => Object.hasOwn(messageTypes, code);

/** True when a client may send this type with `message:send`: a known type of origin `client` or `relay`. */
export const isClientSendable = (code: number): boolean => isMessageType(code) && messageTypes[code].origin !== "server";
