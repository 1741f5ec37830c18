import { z } from "zod";
import { messageType } from "./message-types.js";

/** An upload's id as messages and room shares name it: 32 lowercase hex digits (128 random bits). */
export const uploadIdSchema = z.string().regex(/^[0-9a-f]{32}$/, "must be an upload id (32 lowercase hex digits)");

/** What an upload is for (the `uploads` record's kind): each kind has its own limits, types and processing. */
export const mediaKinds = ["image", "voice", "video", "file", "avatar"] as const;
export type MediaKind = (typeof mediaKinds)[number];

/**
 * The upload a media message carries, as recorded on its stored copies at send time (sizes bytes, width and
 * height px, duration ms; `name` the sender's file name, for display only).
 */
export const messageMediaSchema = z.object({
  uploadId: z.string(),
  kind: z.enum(mediaKinds),
  contentType: z.string(),
  size: z.number().int().describe("Bytes"),
  width: z.number().int().optional().describe("Pixels (images, videos)"),
  height: z.number().int().optional().describe("Pixels (images, videos)"),
  duration: z.number().int().optional().describe("Milliseconds (voice, video, audio)"),
  name: z.string().optional().describe("The sender's file name, for display only"),
});
export type MessageMedia = z.output<typeof messageMediaSchema>;

/**
 * The media of a delivered, synced or listed message: the recorded upload plus the URLs to fetch it through
 * the upload app (`${MEDIA_PUBLIC_URL}/v1/media/<uploadId>` and `/thumb`), built when the message is served.
 * Fetching needs the access token; it is allowed while the message is visible to the caller (not recalled,
 * not burnt or deleted).
 */
export const deliveredMediaSchema = messageMediaSchema.extend({
  url: z.string().describe("The original (302 to a short-lived presigned URL, or proxied)"),
  thumbUrl: z.string().optional().describe("Image thumbnail or video poster, when the upload has one"),
});
export type DeliveredMedia = z.output<typeof deliveredMediaSchema>;

/** The codes of the media message types: 2 image, 3 voice, 5 gif, 6 video, 7 audio, 9 file. */
export type MediaMessageType = 2 | 3 | 5 | 6 | 7 | 9;

/** Message types that carry an upload (`uploadId` required on send, refused on every other type): 2, 3, 5, 6, 7, 9. */
export const mediaMessageTypes: readonly number[] = [
  messageType.image,
  messageType.voice,
  messageType.gif,
  messageType.video,
  messageType.audio,
  messageType.file,
];

/** True for a message type that carries an upload (see mediaMessageTypes). */
export const isMediaMessageType = (type: number): type is MediaMessageType => mediaMessageTypes.includes(type);

/**
 * Does an upload fit a media message type? 2 image: an image; 5 gif: an image of type image/gif; 3 voice: a
 * voice upload; 7 audio: a voice upload or a file of an audio/* type; 6 video: a video; 9 file: any kind
 * but an avatar. False for every other type.
 */
export function mediaFitsType(type: number, upload: { kind: string; contentType: string }): boolean {
  switch (type) {
    case messageType.image:
      return upload.kind === "image";
    case messageType.gif:
      return upload.kind === "image" && upload.contentType === "image/gif";
    case messageType.voice:
      return upload.kind === "voice";
    case messageType.audio:
      return upload.kind === "voice" || (upload.kind === "file" && upload.contentType.startsWith("audio/"));
    case messageType.video:
      return upload.kind === "video";
    case messageType.file:
      return upload.kind !== "avatar" && (mediaKinds as readonly string[]).includes(upload.kind);
    default:
      return false;
  }
}
