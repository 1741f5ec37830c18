import { type FileHandle, open } from "node:fs/promises";

/** Reads a file forwards through a 64 KiB window (never the whole file in memory). */
class FileReader {
  pos = 0;
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(private readonly file: FileHandle) {}

  /** The byte at pos (pos advances), -1 at the end. */
  async byte(): Promise<number> {
    if (this.pos < this.windowStart || this.pos >= this.windowStart + this.window.length) {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await this.file.read(buffer, 0, buffer.length, this.pos);
      this.window = buffer.subarray(0, bytesRead);
      this.windowStart = this.pos;
      if (bytesRead === 0) return -1;
    }
    const value = this.window[this.pos - this.windowStart] as number;
    this.pos++;
    return value;
  }

  /** `count` bytes from pos (fewer at the end). */
  async bytes(count: number): Promise<Buffer> {
    const out = Buffer.alloc(count);
    let n = 0;
    for (; n < count; n++) {
      const value = await this.byte();
      if (value < 0) break;
      out[n] = value;
    }
    return out.subarray(0, n);
  }

  skip(count: number): void {
    this.pos += count;
  }
}

async function jpegEnd(r: FileReader): Promise<number | undefined> {
  if (!(await r.bytes(2)).equals(Buffer.from([0xff, 0xd8]))) return undefined;
  for (;;) {
    if ((await r.byte()) !== 0xff) return undefined;
    let marker = await r.byte();
    while (marker === 0xff) marker = await r.byte();
    if (marker < 0) return undefined;
    if (marker === 0xd9) return r.pos; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    const length = await r.bytes(2);
    if (length.length < 2) return undefined;
    r.skip(length.readUInt16BE(0) - 2);
    if (marker !== 0xda) continue;
    // Entropy-coded data after SOS: ends at the first FF not followed by 00 (stuffing) or a restart marker.
    for (;;) {
      const value = await r.byte();
      if (value < 0) return undefined;
      if (value !== 0xff) continue;
      const next = await r.byte();
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) continue;
      r.pos -= next === 0xff ? 1 : 2;
      break;
    }
  }
}

async function pngEnd(r: FileReader): Promise<number | undefined> {
  r.skip(8);
  for (;;) {
    const header = await r.bytes(8);
    if (header.length < 8) return undefined;
    r.skip(header.readUInt32BE(0) + 4);
    if (header.toString("latin1", 4, 8) === "IEND") return r.pos;
  }
}

async function gifEnd(r: FileReader): Promise<number | undefined> {
  const subBlocks = async () => {
    for (;;) {
      const size = await r.byte();
      if (size <= 0) return size === 0;
      r.skip(size);
    }
  };
  const screen = await r.bytes(13);
  if (screen.length < 13) return undefined;
  const packed = screen[10] as number;
  if (packed & 0x80) r.skip(3 * 2 ** ((packed & 7) + 1));
  for (;;) {
    const block = await r.byte();
    if (block === 0x3b) return r.pos; // trailer
    if (block === 0x21) {
      r.skip(1);
      if (!(await subBlocks())) return undefined;
    } else if (block === 0x2c) {
      const descriptor = await r.bytes(9);
      if (descriptor.length < 9) return undefined;
      const local = descriptor[8] as number;
      if (local & 0x80) r.skip(3 * 2 ** ((local & 7) + 1));
      r.skip(1);
      if (!(await subBlocks())) return undefined;
    } else {
      return undefined;
    }
  }
}

async function webpEnd(r: FileReader): Promise<number | undefined> {
  const header = await r.bytes(8);
  if (header.length < 8 || header.toString("latin1", 0, 4) !== "RIFF") return undefined;
  const size = header.readUInt32LE(4);
  return 8 + size + (size % 2);
}

/**
 * Where the encoded image of a JPEG, PNG, GIF or WebP file ends (bytes), by walking its structure without
 * decoding: bytes after it (an appended executable, ZIP or a phone's "motion photo" video) are not part of
 * the picture and would be served with it if the file were kept as uploaded. Undefined for other types and
 * for structures it cannot follow (the caller re-encodes then).
 */
export async function imageEnd(path: string, mime: string): Promise<number | undefined> {
  const walk = { "image/jpeg": jpegEnd, "image/png": pngEnd, "image/gif": gifEnd, "image/webp": webpEnd }[mime];
  if (!walk) return undefined;
  const file = await open(path, "r");
  try {
    return await walk(new FileReader(file));
  } finally {
    await file.close();
  }
}
