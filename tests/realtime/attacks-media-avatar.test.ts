// Attacks on avatarUrl (docs/messaging.md "Avatars"): only "" or this very user's/room's avatar URL under
// MEDIA_PUBLIC_URL, exactly as the upload app makes it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiClient } from "../support/client.js";
import { Rooms } from "../support/rooms.js";
import { startStack, type TestStack } from "../support/stack.js";

const MEDIA = "https://media.example.test";

describe("attacks: avatarUrl tricks", () => {
  let stack: TestStack;
  let r: Rooms;
  before(async () => {
    stack = await startStack({ MEDIA_PUBLIC_URL: MEDIA, API_SMS_REQUIRED: "false" });
    r = new Rooms(stack, new ApiClient(stack.api.url));
  });
  after(() => stack.stop());

  it("refuses look-alikes of one's own avatar URL", async () => {
    const [me, other] = await r.users(2);
    const id = me.userId;
    const patch = (avatarUrl: string) => r.client.patch<{ avatarUrl: string }>("/v1/users/me", { avatarUrl }, me.token);
    const refused = [
      `https://evil@media.example.test/v1/avatars/users/${id}?v=1`,
      `https://media.example.test@evil.example.com/v1/avatars/users/${id}?v=1`,
      `HTTPS://MEDIA.EXAMPLE.TEST/v1/avatars/users/${id}?v=1`,
      `https://media.example.test:443/v1/avatars/users/${id}?v=1`,
      `https://media.example.test/v1/avatars/users/${id}/../${other.userId}?v=1`,
      `https://media.example.test/v1/avatars/users/${other.userId}/../${id}?v=1`,
      `https://media.example.test/v1/avatars/users/%2e%2e/users/${id}?v=1`,
      `https://media.example.test/v1/avatars/users/${id}?v=1#x`,
      `https://media.example.test/v1/avatars/users/${id}?v=1&v=2`,
      `https://media.example.test/v1/avatars/users/${id}?v=`,
      `https://media.example.test/v1/avatars/users/${id}0?v=1`,
      `https://media.example.test/v1/avatars/users/0${id}?v=1`,
      `https://media.example.test//v1/avatars/users/${id}?v=1`,
      `//media.example.test/v1/avatars/users/${id}?v=1`,
      `javascript:alert(1)//https://media.example.test/v1/avatars/users/${id}?v=1`,
    ];
    for (const url of refused) {
      const reply = await patch(url);
      assert.equal(reply.status, 400, `${JSON.stringify(url)} → ${reply.status}`);
    }
    assert.equal((await patch(`${MEDIA}/v1/avatars/users/${id}?v=123`)).status, 200);
    // Surrounding whitespace is trimmed by the URL parser before the check: what is stored is the clean URL.
    const padded = await patch(` ${MEDIA}/v1/avatars/users/${id}?v=7\n`);
    assert.equal(padded.status, 200);
    assert.equal(padded.body.avatarUrl, `${MEDIA}/v1/avatars/users/${id}?v=7`);
  });
});
