import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { messageType } from "@im/protocol";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

describe("audio/video call signalling (types 100–125)", () => {
  let world: RealtimeWorld;
  before(async () => {
    world = await startRealtime(2, { API_SMS_REQUIRED: "false" });
  });
  after(() => world.stop());

  it("relays a call handshake across gateways with the same delivery rules, and an offline callee syncs it", async () => {
    const caller = await registerUser(world.stack, world.api);
    const callee = await registerUser(world.stack, world.api);
    const a = await connectClient(world, caller, gateway(world, 0));
    const b = await connectClient(world, callee, gateway(world, 1));
    const calleeInbox = collect(b);
    const callerInbox = collect(a);
    const to = (userId: number) => String(userId);

    await a.send({ chatType: 1, to: to(callee.userId), type: messageType.videoCallAsk, content: '{"roomId":"call-1"}' });
    await eventually("the ask", () => calleeInbox.some((m) => m.type === messageType.videoCallAsk));
    await b.send({ chatType: 1, to: to(caller.userId), type: messageType.videoCallReady, content: "" });
    await b.send({ chatType: 1, to: to(caller.userId), type: messageType.videoCallAccept, content: "" });
    await eventually("ready and accept", () => callerInbox.filter((m) => m.type >= 110 && m.type <= 114).length === 2);
    assert.deepEqual(
      callerInbox.map((m) => m.type),
      [messageType.videoCallReady, messageType.videoCallAccept],
    );

    b.close();
    await a.send({ chatType: 1, to: to(callee.userId), type: messageType.videoCallEnd, content: '{"seconds":42}' });
    const again = new ImClient({ url: gateway(world, 1).url, token: callee.token, cursors: b.cursors() });
    world.clients.push(again);
    const synced = collect(again);
    await again.connect();
    assert.deepEqual(
      synced.map((m) => m.type),
      [messageType.videoCallEnd],
      "the offline callee gets exactly what it missed",
    );
  });
});
