export { type ApnsReply, type ApnsRequest, type ApnsServer, type ApnsServerOptions, startApnsServer } from "./apns.js";
export { type Clock, createTestTls, ReplyScript, type TestTls } from "./common.js";
export { type FcmReply, type FcmRequest, type FcmServer, type FcmServerOptions, type FcmTokenRequest, startFcmServer } from "./fcm.js";
export { type HuaweiReply, type HuaweiRequest, type HuaweiServer, type HuaweiServerOptions, startHuaweiServer } from "./huawei.js";
export { type ApnsTestKey, createApnsTestKey, createFcmTestAccount, type FcmTestAccount } from "./keys.js";
export { startXiaomiServer, type XiaomiReply, type XiaomiRequest, type XiaomiServer, type XiaomiServerOptions } from "./xiaomi.js";
