export { type FerretDbOptions, type FerretDbServer, startFerretDb } from "./ferretdb.js";
export { freePort } from "./free-port.js";
export {
  helm,
  type KubeApiServer,
  type KubeApiServerOptions,
  type KubeCommandOptions,
  type KubeTools,
  type KubeUser,
  kubectl,
  kubeTools,
  OPERATOR_TEST_USER,
  startKubeApiServer,
} from "./kube.js";
export { type ManagedProcess, type SpawnOptions, spawnServer } from "./managed-process.js";
export {
  exifHasGps,
  fakeExecutable,
  type JpegFixtureOptions,
  makeAmr,
  makeAnimatedGif,
  makeJpeg,
  makeM4a,
  makeMp3,
  makeMp4,
  makeOpus,
  makePng,
  makeWav,
  makeWebm,
  writeFixture,
} from "./media-fixtures.js";
export { parseCommand, splitMessages, type WireCommand } from "./mongo-wire.js";
export {
  type ApnsReply,
  type ApnsRequest,
  type ApnsServer,
  type ApnsServerOptions,
  type ApnsTestKey,
  type Clock,
  createApnsTestKey,
  createFcmTestAccount,
  createTestTls,
  type FcmReply,
  type FcmRequest,
  type FcmServer,
  type FcmServerOptions,
  type FcmTestAccount,
  type FcmTokenRequest,
  type HuaweiReply,
  type HuaweiRequest,
  type HuaweiServer,
  type HuaweiServerOptions,
  ReplyScript,
  startApnsServer,
  startFcmServer,
  startHuaweiServer,
  startXiaomiServer,
  type TestTls,
  type XiaomiReply,
  type XiaomiRequest,
  type XiaomiServer,
  type XiaomiServerOptions,
} from "./push-providers/index.js";
export { type RedisServer, type RedisServerOptions, type RewindableRedis, startRedis, startRewindableRedis } from "./redis-server.js";
export { type S3Server, type S3ServerOptions, startS3Server } from "./s3-server.js";
export {
  type CommandAction,
  type CommandFault,
  type CommandRule,
  type ProxyDirection,
  TcpProxy,
  type TcpProxyOptions,
} from "./tcp-proxy.js";
export { ferretDbBinary, redisServerBinary, toolsDir, versityGwBinary } from "./tools.js";
