import { z } from "zod";

/**
 * The client bootstrap configuration (the seed's `config` table), returned by GET /v1/config. Apps read it
 * at start-up. Every field is validated; unknown fields are refused so a typo cannot reach clients.
 */
export const clientConfigValues = z.strictObject({
  apiUrl: z.string().describe("REST API base URL"),
  uploadUrl: z.string().describe("Upload service URL"),
  downloadUrl: z.string().describe("Resource download URL"),
  downloadAvatarUrl: z.string().describe("Avatar download URL"),
  liveUrl: z.string().describe("Live-stream push URL"),
  jitsiServer: z.string().describe("Video conference server URL"),
  meetingHost: z.string().describe("Video meeting host"),
  helpUrl: z.string().describe("Help page URL"),
  shareUrl: z.string().describe("Share page URL"),
  softUrl: z.string().describe("App download page URL"),
  fileValidTime: z.number().int().min(-1).describe("Days chat files are kept; -1 = forever"),
  chatRecordTimeOut: z.number().int().min(-1).describe("Days chat records are kept; -1 = forever"),
  closeTelephoneFind: z.number().int().min(0).max(1).describe("1 = search by phone number is off"),
  showContactsUser: z.number().int().min(0).max(1).describe("0 = show contacts who use the app, 1 = don't"),
  displayRedPacket: z.number().int().min(0).max(1).describe("1 = red packets shown on iOS"),
  videoLen: z.number().int().min(0).describe("Longest video recording, seconds"),
  audioLen: z.number().int().min(0).describe("Longest voice recording, seconds"),
  distance: z.number().int().min(0).describe("Radius of 'people nearby', km"),
  androidVersion: z.number().int().min(0).describe("Latest Android version code"),
  iosVersion: z.number().int().min(0).describe("Latest iOS version code"),
  androidAppUrl: z.string().describe("Android download URL"),
  iosAppUrl: z.string().describe("iOS download URL"),
  androidExplain: z.string().describe("Android release notes"),
  iosExplain: z.string().describe("iOS release notes"),
  keywordFilter: z.number().int().min(0).max(1).describe("1 = text messages with a banned word (notKeyword) are refused"),
});

export type ClientConfigValues = z.output<typeof clientConfigValues>;

/** The seed's defaults, for a single-node local install. Operators change them in the config collection. */
export const defaultClientConfig: ClientConfigValues = {
  apiUrl: "http://127.0.0.1:8092/",
  uploadUrl: "http://127.0.0.1:8088/",
  downloadUrl: "http://127.0.0.1:8089/",
  downloadAvatarUrl: "http://127.0.0.1:8089/",
  liveUrl: "rtmp://127.0.0.1:1935/live/",
  jitsiServer: "",
  meetingHost: "",
  helpUrl: "",
  shareUrl: "",
  softUrl: "",
  fileValidTime: -1,
  chatRecordTimeOut: -1,
  closeTelephoneFind: 0,
  showContactsUser: 0,
  displayRedPacket: 1,
  videoLen: 20,
  audioLen: 60,
  distance: 20,
  androidVersion: 0,
  iosVersion: 0,
  androidAppUrl: "",
  iosAppUrl: "",
  androidExplain: "",
  iosExplain: "",
  keywordFilter: 0,
};
