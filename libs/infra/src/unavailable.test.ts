import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MaxRetriesPerRequestError } from "ioredis/built/errors/index.js";
import mongoose from "mongoose";
import { LockBusyError } from "./lock.js";
import { classifyRetryable, isDependencyUnavailable } from "./unavailable.js";

const { MongoNetworkError, MongoServerError, MongoServerSelectionError } = mongoose.mongo;

describe("classifyRetryable", () => {
  it("answers an unreachable MongoDB or Redis SERVICE_UNAVAILABLE and lock contention BUSY_RETRY", () => {
    const unavailable = [
      new MaxRetriesPerRequestError(2),
      new Error("Connection is closed."),
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" }),
      new MongoNetworkError("connection reset"),
      new MongoServerSelectionError("Server selection timed out after 5000 ms", {
        type: "Unknown",
        servers: new Map(),
        stale: false,
        compatible: true,
        heartbeatFrequencyMS: 10_000,
        localThresholdMS: 15,
        setName: null,
        maxElectionId: null,
        maxSetVersion: null,
        commonWireVersion: 0,
        logicalSessionTimeoutMinutes: null,
      } as never),
      Object.assign(new Error("Operation `m.insertMany()` buffering timed out after 10000ms"), { name: "MongooseError" }),
      Object.assign(new Error("insert outcome unknown"), { retryable: true }),
      new Error("store failed", { cause: new MongoNetworkError("socket closed") }),
    ];
    for (const error of unavailable) {
      assert.deepEqual(classifyRetryable(error), { key: "SERVICE_UNAVAILABLE", retryAfterSeconds: 1 }, String(error));
    }
    assert.deepEqual(classifyRetryable(new LockBusyError(["k"])), { key: "BUSY_RETRY", retryAfterSeconds: 1 });
  });

  it("leaves bugs and the client's faults alone (answered INTERNAL_ERROR or as they are)", () => {
    const duplicate = new MongoServerError({ message: "E11000 duplicate key", code: 11000 });
    for (const error of [new TypeError("x is undefined"), duplicate, new Error("ERR wrong number of arguments"), "text", null, undefined]) {
      assert.equal(classifyRetryable(error), undefined, String(error));
      assert.equal(isDependencyUnavailable(error), false);
    }
  });
});
