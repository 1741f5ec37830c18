// Soak test: VUS devices held connected for DURATION, each sending a 1:1 message every MSG_INTERVAL seconds
// (or RATE per second in total) and, for the first GROUP_SIZE users, a group message every GROUP_INTERVAL
// seconds; every SESSION_SECONDS (±10 %) a device disconnects and reconnects. See load/README.md.
//
//   k6 run -e BASE_URL=https://im.example.com -e VUS=500 -e DURATION=4h load/k6/soak.js

import exec from "k6/execution";
import { durationMs, readConfig } from "./lib/im.js";
import { loadUsersFile, runSession, setupUsers, summaryTrendStats, thresholds } from "./lib/scenario.js";

const config = readConfig(__ENV, { mode: "soak", vus: 50, duration: "30m", sessionSeconds: 300, msgIntervalSeconds: 10 });
const usersFromFile = loadUsersFile(config);

/** @type {import("k6/options").Options} */
export const options = {
  scenarios: {
    soak: {
      executor: "constant-vus",
      vus: config.vus,
      duration: config.duration,
      // Sessions stop sending at the end of DURATION and drain their acks within ACK_TIMEOUT_MS.
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

/** @param {import("./lib/scenario.js").SetupData} data */
export default function (data) {
  runSession(config, data, exec.scenario.startTime + durationMs(config.duration));
}
