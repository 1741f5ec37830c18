import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serialize } from "bson";
import { OP_MSG, parseCommand, splitMessages } from "./mongo-wire.js";

/** An OP_MSG as the wire protocol defines it: header, flagBits, then the given sections. */
function opMsg(sections: Buffer[], flagBits = 0): Buffer {
  const body = Buffer.concat([
    Buffer.from(new Uint32Array([flagBits]).buffer),
    ...sections,
    flagBits & 1 ? Buffer.alloc(4) : Buffer.alloc(0),
  ]);
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(7, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(OP_MSG, 12);
  return Buffer.concat([header, body]);
}
const kind0 = (doc: Record<string, unknown>) => Buffer.concat([Buffer.from([0]), serialize(doc)]);
function kind1(identifier: string, docs: Array<Record<string, unknown>>): Buffer {
  const payload = Buffer.concat([Buffer.from(`${identifier}\0`), ...docs.map((d) => serialize(d))]);
  const size = Buffer.alloc(4);
  size.writeInt32LE(4 + payload.length, 0);
  return Buffer.concat([Buffer.from([1]), size, payload]);
}

describe("mongo-wire", () => {
  it("reads the command name and collection of an OP_MSG body, after document sequences and with a checksum", () => {
    assert.deepEqual(parseCommand(opMsg([kind0({ insert: "msgs_u_1", ordered: false, $db: "im" })])), {
      name: "insert",
      collection: "msgs_u_1",
    });
    assert.deepEqual(parseCommand(opMsg([kind1("documents", [{ _id: 1 }, { _id: 2 }]), kind0({ insert: "msgs_g_0", $db: "im" })], 1)), {
      name: "insert",
      collection: "msgs_g_0",
    });
    assert.deepEqual(parseCommand(opMsg([kind0({ hello: 1, $db: "admin" })])), { name: "hello" });
  });

  it("splits a stream into whole messages and keeps an incomplete one for the next chunk", () => {
    const a = opMsg([kind0({ find: "users", $db: "im" })]);
    const b = opMsg([kind0({ insert: "msgs_u_2", $db: "im" })]);
    const stream = Buffer.concat([a, b]);
    const first = splitMessages(stream.subarray(0, a.length + 5));
    assert.equal(first.messages.length, 1);
    assert.equal(first.rest.length, 5);
    const second = splitMessages(Buffer.concat([first.rest, stream.subarray(a.length + 5)]));
    assert.deepEqual(
      second.messages.map((m) => parseCommand(m)?.collection),
      ["msgs_u_2"],
    );
    assert.equal(second.rest.length, 0);
    assert.throws(() => splitMessages(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
  });
});
