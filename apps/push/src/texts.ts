import { type Language, pickLanguage } from "@im/protocol";

/** Longest preview text in a notification body, characters (providers cut the payload further to their limits). */
export const PREVIEW_CHARS = 100;

type Texts = Record<Language, string>;

/** Placeholders of content types without a text preview (the seed's push texts, as its clients show them). */
const placeholders: Record<number, Texts> = {
  1: { zh: "[消息]", en: "[Message]", "zh-TW": "[訊息]" },
  2: { zh: "[图片]", en: "[Image]", "zh-TW": "[圖片]" },
  3: { zh: "[语音]", en: "[Voice]", "zh-TW": "[語音]" },
  4: { zh: "[位置]", en: "[Location]", "zh-TW": "[位置]" },
  5: { zh: "[动画表情]", en: "[GIF]", "zh-TW": "[動畫表情]" },
  6: { zh: "[视频]", en: "[Video]", "zh-TW": "[影片]" },
  7: { zh: "[音频]", en: "[Audio]", "zh-TW": "[音訊]" },
  8: { zh: "[名片]", en: "[Contact card]", "zh-TW": "[名片]" },
  9: { zh: "[文件]", en: "[File]", "zh-TW": "[檔案]" },
  28: { zh: "[红包]", en: "[Red packet]", "zh-TW": "[紅包]" },
  80: { zh: "[图文]", en: "[Article]", "zh-TW": "[圖文]" },
  81: { zh: "[图文]", en: "[Articles]", "zh-TW": "[圖文]" },
  82: { zh: "[链接]", en: "[Link]", "zh-TW": "[連結]" },
  84: { zh: "[戳一戳]", en: "[Shake]", "zh-TW": "[戳一下]" },
  85: { zh: "[聊天记录]", en: "[Chat history]", "zh-TW": "[聊天記錄]" },
};

/** What notices and calls say (the sender's name is the title, or prefixed in a room). */
const notices: Record<number, Texts> = {
  27: { zh: "评论了你的动态", en: "commented on your moment", "zh-TW": "評論了你的動態" },
  83: { zh: "领取了你的红包", en: "opened your red packet", "zh-TW": "領取了你的紅包" },
  301: { zh: "赞了你的动态", en: "liked your moment", "zh-TW": "讚了你的動態" },
  302: { zh: "评论了你的动态", en: "commented on your moment", "zh-TW": "評論了你的動態" },
  304: { zh: "在动态中提到了你", en: "mentioned you in a moment", "zh-TW": "在動態中提到了你" },
  500: { zh: "请求添加你为好友", en: "wants to be your friend", "zh-TW": "請求加你為好友" },
  501: { zh: "通过了你的好友请求", en: "accepted your friend request", "zh-TW": "通過了你的好友請求" },
  502: { zh: "回复了你的好友请求", en: "replied to your friend request", "zh-TW": "回覆了你的好友請求" },
  503: { zh: "关注了你", en: "followed you", "zh-TW": "關注了你" },
  508: { zh: "添加你为好友", en: "added you as a friend", "zh-TW": "加你為好友" },
  907: { zh: "你被邀请加入群聊", en: "You were added to the group", "zh-TW": "你被邀請加入群組" },
  100: { zh: "邀请你语音通话", en: "Incoming voice call", "zh-TW": "邀請你語音通話" },
  110: { zh: "邀请你视频通话", en: "Incoming video call", "zh-TW": "邀請你視訊通話" },
  115: { zh: "邀请你加入视频会议", en: "Invites you to a video meeting", "zh-TW": "邀請你加入視訊會議" },
  120: { zh: "邀请你加入语音会议", en: "Invites you to a voice meeting", "zh-TW": "邀請你加入語音會議" },
};

const generic = {
  title: { zh: "新消息", en: "New message", "zh-TW": "新訊息" },
  body: { zh: "你收到一条新消息", en: "You have a new message", "zh-TW": "你收到一則新訊息" },
  call: { zh: "来电", en: "Incoming call", "zh-TW": "來電" },
  callEnded: { zh: "通话已结束", en: "Call ended", "zh-TW": "通話已結束" },
  mentioned: { zh: "[有人@我]", en: "[Mentioned]", "zh-TW": "[有人@我]" },
  mentionedAll: { zh: "[@所有人]", en: "[@All]", "zh-TW": "[@所有人]" },
} satisfies Record<string, Texts>;

/** The language of a device's locale (BCP 47: zh-Hant / zh-TW / zh-HK → zh-TW, zh* → zh, else en). */
export const languageOf = (locale: string): Language => pickLanguage(locale || "zh");

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * The user-perceived characters of a text (an emoji sequence joined by U+200D, a flag, a letter with its
 * accents: one each), so a cut never leaves half an emoji or a dangling joiner before the "…".
 */
export function graphemesOf(text: string): string[] {
  return Array.from(graphemes.segment(text), (part) => part.segment);
}

/** Cuts a text to at most `max` code points on a character (grapheme) boundary, with "…" when cut; newlines become spaces. */
export function cut(text: string, max: number): string {
  const clean = text.replace(/\s+/g, " ").trim();
  if ([...clean].length <= max) return clean;
  let out = "";
  let used = 1; // "…"
  for (const part of graphemesOf(clean)) {
    const size = [...part].length;
    if (used + size > max) break;
    used += size;
    out += part;
  }
  return `${out}…`;
}

/** What one notification says to one recipient. */
export interface NotificationInput {
  kind: "alert" | "call" | "call-cancel";
  type: number;
  /** The message's plain text (text messages not encrypted), when there is one. */
  text?: string;
  /** The sender's display name. */
  senderName: string;
  /** The room's name for room messages; undefined for single chats and notices. */
  roomName?: string;
  /** The recipient allows previews (pushPreview 1). */
  preview: boolean;
  /** The recipient was @mentioned (by name, or `all` for @all). */
  mention?: "me" | "all";
}

/** The body part of a message: its text, the type's placeholder, or the notice's sentence. */
function preview(type: number, text: string | undefined, language: Language): string {
  // A text of blanks or invisible characters only (zero-width, direction marks) shows the placeholder instead.
  const shown = type === 1 && text ? cut(text, PREVIEW_CHARS) : "";
  if (shown.replace(/[\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g, "") !== "") return shown;
  return (placeholders[type] ?? notices[type] ?? placeholders[1])?.[language] ?? "";
}

/**
 * Title and body of a notification in the device's language (zh, en, zh-TW):
 * - alert in a single chat or a notice: title = sender, body = preview ("[Image]", the text cut to
 *   PREVIEW_CHARS, "wants to be your friend", ...);
 * - alert in a room: title = room name, body = "<sender>: <preview>", "[Mentioned]" first when @mentioned;
 * - call: title = sender, body = "Incoming voice call"...; call-cancel: title "", body "Call ended";
 * - previews hidden (pushPreview 0): neither sender, room nor content — "New message" / "You have a new
 *   message", or "Incoming call" for calls.
 */
export function notificationText(input: NotificationInput, language: Language): { title: string; body: string } {
  if (input.kind === "call-cancel") return { title: "", body: generic.callEnded[language] };
  if (input.kind === "call") {
    if (!input.preview) return { title: "", body: generic.call[language] };
    return { title: cut(input.senderName, 64), body: (notices[input.type] ?? generic.call)[language] };
  }
  if (!input.preview) return { title: generic.title[language], body: generic.body[language] };
  const sender = cut(input.senderName, 64);
  const body = preview(input.type, input.text, language);
  if (input.roomName !== undefined && input.type !== 907) {
    const mention = input.mention === "me" ? generic.mentioned[language] : input.mention === "all" ? generic.mentionedAll[language] : "";
    return { title: cut(input.roomName, 64), body: `${mention}${sender}: ${body}` };
  }
  if (input.type === 907) return { title: cut(input.roomName ?? sender, 64), body };
  return { title: sender, body };
}
