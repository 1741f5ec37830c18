/**
 * Every message type of the seed (section 七), by code. `stored: false` types are relayed to online
 * devices but never stored or synced (typing). `category` groups them for metrics and policy.
 */
export const messageTypes = {
  0: { name: "hidden", category: "system", stored: true },
  1: { name: "text", category: "content", stored: true },
  2: { name: "image", category: "content", stored: true },
  3: { name: "voice", category: "content", stored: true },
  4: { name: "location", category: "content", stored: true },
  5: { name: "gif", category: "content", stored: true },
  6: { name: "video", category: "content", stored: true },
  7: { name: "audio", category: "content", stored: true },
  8: { name: "card", category: "content", stored: true },
  9: { name: "file", category: "content", stored: true },
  10: { name: "tip", category: "system", stored: true },
  26: { name: "readReceipt", category: "control", stored: true },
  27: { name: "commentNotice", category: "system", stored: true },
  28: { name: "redPacket", category: "content", stored: true },
  80: { name: "article", category: "content", stored: true },
  81: { name: "articles", category: "content", stored: true },
  82: { name: "link", category: "content", stored: true },
  83: { name: "redPacketReceived", category: "system", stored: true },
  84: { name: "shake", category: "content", stored: true },
  85: { name: "mergedForward", category: "content", stored: true },
  100: { name: "voiceCallAsk", category: "call", stored: true },
  101: { name: "voiceCallReady", category: "call", stored: true },
  102: { name: "voiceCallAccept", category: "call", stored: true },
  103: { name: "voiceCallReject", category: "call", stored: true },
  104: { name: "voiceCallEnd", category: "call", stored: true },
  110: { name: "videoCallAsk", category: "call", stored: true },
  111: { name: "videoCallReady", category: "call", stored: true },
  112: { name: "videoCallAccept", category: "call", stored: true },
  113: { name: "videoCallReject", category: "call", stored: true },
  114: { name: "videoCallEnd", category: "call", stored: true },
  115: { name: "videoMeetingInvite", category: "call", stored: true },
  116: { name: "videoMeetingJoin", category: "call", stored: true },
  117: { name: "videoMeetingQuit", category: "call", stored: true },
  118: { name: "videoMeetingKick", category: "call", stored: true },
  120: { name: "voiceMeetingInvite", category: "call", stored: true },
  121: { name: "voiceMeetingJoin", category: "call", stored: true },
  122: { name: "voiceMeetingQuit", category: "call", stored: true },
  123: { name: "voiceMeetingKick", category: "call", stored: true },
  124: { name: "micTurn", category: "call", stored: true },
  125: { name: "micTurnCancel", category: "call", stored: true },
  200: { name: "multiDeviceOnline", category: "control", stored: false },
  201: { name: "typing", category: "control", stored: false },
  202: { name: "recall", category: "control", stored: true },
  301: { name: "momentLike", category: "system", stored: true },
  302: { name: "momentComment", category: "system", stored: true },
  304: { name: "momentRemind", category: "system", stored: true },
  401: { name: "groupFileUpload", category: "system", stored: true },
  402: { name: "groupFileDelete", category: "system", stored: true },
  403: { name: "groupFileDownload", category: "system", stored: true },
  500: { name: "friendGreet", category: "friend", stored: true },
  501: { name: "friendAgree", category: "friend", stored: true },
  502: { name: "friendReply", category: "friend", stored: true },
  503: { name: "friendFollow", category: "friend", stored: true },
  504: { name: "friendUnfollow", category: "friend", stored: true },
  505: { name: "friendDelete", category: "friend", stored: true },
  506: { name: "friendRecommend", category: "friend", stored: true },
  507: { name: "friendBlacklist", category: "friend", stored: true },
  508: { name: "friendDirect", category: "friend", stored: true },
  509: { name: "friendUnblacklist", category: "friend", stored: true },
  901: { name: "roomNickname", category: "room", stored: true },
  902: { name: "roomRename", category: "room", stored: true },
  903: { name: "roomDelete", category: "room", stored: true },
  904: { name: "roomMemberRemove", category: "room", stored: true },
  905: { name: "roomNotice", category: "room", stored: true },
  906: { name: "roomMute", category: "room", stored: true },
  907: { name: "roomMemberAdd", category: "room", stored: true },
  910: { name: "liveBarrage", category: "live", stored: true },
  911: { name: "liveGift", category: "live", stored: true },
  912: { name: "liveHeart", category: "live", stored: true },
  913: { name: "roomAdmin", category: "room", stored: true },
  914: { name: "liveJoin", category: "live", stored: true },
  915: { name: "roomShowRead", category: "room", stored: true },
} as const satisfies Record<number, { name: string; category: MessageCategory; stored: boolean }>;

export type MessageCategory = "content" | "system" | "control" | "call" | "friend" | "room" | "live";
export type MessageTypeCode = keyof typeof messageTypes;
export type MessageTypeName = (typeof messageTypes)[MessageTypeCode]["name"];

/** The code of a message type by its name, e.g. `messageType.text === 1`. */
export const messageType = Object.fromEntries(Object.entries(messageTypes).map(([code, def]) => [def.name, Number(code)])) as {
  [K in MessageTypeCode as (typeof messageTypes)[K]["name"]]: K;
};

export const isMessageType = (code: number): code is MessageTypeCode => Object.hasOwn(messageTypes, code);
