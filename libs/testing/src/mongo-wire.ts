// Just enough of the MongoDB wire protocol for a fault-injecting proxy to tell commands apart.
// Source: https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/ (standard message header,
// OP_MSG) and https://bsonspec.org/spec.html (document, element, string).

/** OP_MSG, the opcode of every command since MongoDB 3.6 (and of every command FerretDB answers). */
export const OP_MSG = 2013;

/** Size of the standard message header: messageLength, requestID, responseTo, opCode (int32 LE each). */
export const HEADER_BYTES = 16;

/** The header of one wire message. */
export interface WireHeader {
  /** Whole message, header included, in bytes. */
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** The command an OP_MSG carries: the first key of its body document and, when a string, its value. */
export interface WireCommand {
  /** e.g. "insert", "find", "hello". */
  name: string;
  /** The collection the command names (`{insert: "msgs_u_1", ...}`), when the first value is a string. */
  collection?: string;
}

/** Reads the header at the start of `bytes`, or undefined when fewer than 16 bytes are there. */
export function readHeader(bytes: Buffer): WireHeader | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  return {
    length: bytes.readInt32LE(0),
    requestId: bytes.readInt32LE(4),
    responseTo: bytes.readInt32LE(8),
    opCode: bytes.readInt32LE(12),
  };
}

/**
 * Splits a byte stream into whole wire messages. Returns the complete messages and the bytes of an
 * incomplete one left over (to be prefixed to the next chunk). Throws on a length below the header size
 * (not a MongoDB stream).
 */
export function splitMessages(stream: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const header = readHeader(stream.subarray(offset));
    if (!header) break;
    if (header.length < HEADER_BYTES) throw new Error(`not a MongoDB wire message: length ${header.length}`);
    if (stream.length - offset < header.length) break;
    messages.push(stream.subarray(offset, offset + header.length));
    offset += header.length;
  }
  return { messages, rest: stream.subarray(offset) };
}

/** Reads a NUL-terminated UTF-8 string (a BSON cstring) at `offset`; returns it and the offset after the NUL. */
function readCString(bytes: Buffer, offset: number): { value: string; next: number } | undefined {
  const end = bytes.indexOf(0, offset);
  if (end < 0) return undefined;
  return { value: bytes.toString("utf8", offset, end), next: end + 1 };
}

/** The first key of the BSON document at `offset`, and its value when it is a string (type 0x02). */
function firstElement(bytes: Buffer, offset: number): WireCommand | undefined {
  const type = bytes[offset + 4]; // after the document's int32 length
  if (type === undefined || type === 0) return undefined;
  const key = readCString(bytes, offset + 5);
  if (!key) return undefined;
  if (type !== 0x02) return { name: key.value };
  const size = bytes.readInt32LE(key.next);
  return { name: key.value, collection: bytes.toString("utf8", key.next + 4, key.next + 4 + size - 1) };
}

/**
 * The command of one whole OP_MSG message (flagBits, then sections: kind 0 is the body document whose first
 * key is the command name; kind 1 is a document sequence such as an insert's `documents`, skipped).
 * Undefined for other opcodes or a message without a body section.
 */
export function parseCommand(message: Buffer): WireCommand | undefined {
  const header = readHeader(message);
  if (!header || header.opCode !== OP_MSG) return undefined;
  const flagBits = message.readUInt32LE(HEADER_BYTES);
  // Bit 0 (checksumPresent): the last 4 bytes are a CRC-32C, not a section.
  const end = flagBits & 1 ? header.length - 4 : header.length;
  let offset = HEADER_BYTES + 4;
  while (offset < end) {
    const kind = message[offset];
    if (kind === 0) return firstElement(message, offset + 1);
    if (kind !== 1) return undefined;
    offset += 1 + message.readInt32LE(offset + 1); // the sequence's size counts itself, not the kind byte
  }
  return undefined;
}
