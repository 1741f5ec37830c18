// Spike test: BASE_VUS devices for WARMUP, a jump to SPIKE_VUS within RAMP_UP (a reconnect storm: every new
// VU logs its device in over Socket.IO at once), SPIKE_HOLD at the peak, back to BASE_VUS within RAMP_DOWN
// (VUs beyond it are cut after GRACEFUL_RAMP_DOWN: abrupt disconnects), then RECOVERY at BASE_VUS. Every
// connected VU keeps sending 1:1 (MSG_INTERVAL) and group (GROUP_INTERVAL) messages. See load/README.md.
//
//   k6 run -e BASE_URL=https://im.example.com -e BASE_VUS=100 -e SPIKE_VUS=2000 load/k6/spike.js

import exec from "k6/execution";
import { durationMs, readConfig } from "./lib/im.js";
import { loadUsersFile, runSession, setupUsers, summaryTrendStats, thresholds } from "./lib/scenario.js";

const config = readConfig(__ENV, {
  mode: "spike",
  vus: 20,
  sessionSeconds: 3600,
  msgIntervalSeconds: 10,
  warmup: "1m",
  rampUp: "10s",
  spikeHold: "2m",
  rampDown: "10s",
  recovery: "2m",
  // Looser than the soak's: the peak is where latency is expected to grow.
  receiptP99Ms: 1000,
  deliveryP99Ms: 2000,
  errorRate: 0.02,
});
const usersFromFile = loadUsersFile(config);
const stages = [
  { duration: config.warmup, target: config.baseVus },
  { duration: config.rampUp, target: config.spikeVus },
  { duration: config.spikeHold, target: config.spikeVus },
  { duration: config.rampDown, target: config.baseVus },
  { duration: config.recovery, target: config.baseVus },
];

/** @type {import("k6/options").Options} */
export const options = {
  scenarios: {
    spike: {
      executor: "ramping-vus",
      startVUs: config.baseVus,
      stages,
      gracefulRampDown: config.gracefulRampDown,
      gracefulStop: `${Math.ceil(config.ackTimeoutMs / 1000) + 5}s`,
    },
  },
  thresholds: thresholds(config),
  setupTimeout: config.setupTimeout,
  summaryTrendStats,
};

export function setup() {
  return setupUsers(config, usersFromFile);
}

const totalMs = stages.reduce((sum, stage) => sum + durationMs(stage.duration), 0);

/** @param {import("./lib/scenario.js").SetupData} data */
export default function (data) {
  runSession(config, data, exec.scenario.startTime + totalMs);
}
