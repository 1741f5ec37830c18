/**
 * Benchmark (issue 11): uploads through the upload app beside direct presigned PUTs of the same bytes to the
 * same S3 server, in one run.
 *
 *   node --conditions=development --import tsx load/bench/upload.ts [--quick] [--images 50] [--image-mib 2]
 *        [--files 5] [--file-mib 200] [--big-mib 1024]
 *
 * Servers: Redis, FerretDB and the API in this process (tests/support/stack.ts), versitygw (posix backend,
 * --sidecar) and the upload app as its own OS process, built (`npm run build` first; apps/upload/dist/main.js,
 * as the image runs it), so its RSS and CPU are its own.
 *
 * (1) Images: --images distinct JPEGs of about --image-mib MiB each (random noise, so none deduplicates),
 *     posted at once to `POST /v1/uploads?kind=image` (sniffed, EXIF-normalised, thumbnailed by sharp, stored
 *     with their thumbnails); baseline: the same bytes PUT at once to presigned URLs. Thumbnail p99 comes from
 *     the app's `im_media_processing_seconds{step="thumbnail"}` histogram (bucket upper bound).
 * (2) Files: --files distinct random files of --file-mib MiB posted at once to `POST /v1/uploads?kind=file`
 *     (streamed: sniffed and hashed on the way to S3, never whole in memory); baseline: the same bytes PUT at
 *     once to presigned URLs. Goal: app throughput ≥ 0.5× the direct PUTs.
 * (3) One --big-mib MiB file streamed through the app while its RSS is sampled every 100 ms. Goal: < 200 MB.
 *     Run first, on the freshly started app; (1) and (2) report the RSS peak under their load too.
 *
 * Every upload is a multipart/form-data body streamed from disk with its Content-Length, as a client sends it.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { freePort, spawnServer, startS3Server } from "@im/testing";
import { Client } from "minio";
import sharp from "sharp";
import { startStack } from "../../tests/support/stack.js";
import { registerUsers } from "../runner/setup.js";
import { log, machine, ratio, round, summarize, table, writeResult } from "./lib/report.js";
import { cpuSeconds, rssBytes } from "./lib/servers.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    images: { type: "string" },
    "image-mib": { type: "string", default: "2" },
    files: { type: "string" },
    "file-mib": { type: "string" },
    "big-mib": { type: "string" },
  },
});
const quick = values.quick ?? false;
const imageCount = Number(values.images ?? (quick ? 10 : 50));
const imageMiB = Number(values["image-mib"]);
const fileCount = Number(values.files ?? (quick ? 2 : 5));
const fileMiB = Number(values["file-mib"] ?? (quick ? 20 : 200));
const bigMiB = Number(values["big-mib"] ?? (quick ? 128 : 1024));
const MiB = 1024 * 1024;
const root = new URL("../..", import.meta.url).pathname;

/** A JPEG of about `mib` MiB: random noise at quality 95 (noise does not compress), its side scaled until the size fits. */
async function noiseJpeg(mib: number): Promise<Buffer> {
  let side = Math.round(Math.sqrt((mib * MiB) / 1.5));
  for (let attempt = 0; ; attempt++) {
    const raw = randomBytes(side * side * 3);
    const jpeg = await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const off = (mib * MiB) / jpeg.length;
    if (attempt >= 3 || Math.abs(off - 1) < 0.05) return jpeg;
    side = Math.round(side * Math.sqrt(off));
  }
}

async function randomFile(path: string, mib: number): Promise<void> {
  const chunk = 4 * MiB;
  let left = mib * MiB;
  const source = Readable.from(
    (function* () {
      while (left > 0) {
        const size = Math.min(chunk, left);
        left -= size;
        yield randomBytes(size);
      }
    })(),
  );
  await pipeline(source, createWriteStream(path));
}

interface Timed {
  ms: number;
  status: number;
}

/** POSTs `path` as the one file part of a multipart/form-data body, streamed, with its Content-Length. */
async function postFile(base: string, route: string, token: string, path: string, contentType: string): Promise<Timed> {
  const size = (await stat(path)).size;
  const boundary = `----bench${randomBytes(8).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="size"\r\n\r\n${size}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const started = performance.now();
  const url = new URL(route, base);
  return new Promise<Timed>((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": String(head.length + size + tail.length),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status !== 201 && status !== 200) {
            reject(new Error(`upload ${route} answered ${status}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
            return;
          }
          resolve({ ms: performance.now() - started, status });
        });
      },
    );
    req.on("error", reject);
    req.write(head);
    const file = createReadStream(path);
    file.on("error", reject);
    file.on("end", () => req.end(tail));
    file.pipe(req, { end: false });
  });
}

/** PUTs `path` to a presigned URL, streamed, with its Content-Length. */
async function putPresigned(url: string, path: string): Promise<Timed> {
  const size = (await stat(path)).size;
  const started = performance.now();
  return new Promise<Timed>((resolve, reject) => {
    const req = request(url, { method: "PUT", headers: { "content-length": String(size) } }, (res) => {
      res.resume();
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        if (status !== 200) reject(new Error(`presigned PUT answered ${status}`));
        else resolve({ ms: performance.now() - started, status });
      });
    });
    req.on("error", reject);
    createReadStream(path).on("error", reject).pipe(req);
  });
}

/** The upper bound of the bucket holding quantile `q` of a Prometheus histogram in text format. */
function histogramQuantile(metrics: string, name: string, labels: string, q: number): number | undefined {
  const buckets: Array<{ le: number; count: number }> = [];
  for (const line of metrics.split("\n")) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(labels)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const count = Number(line.split(" ").at(-1));
    if (le) buckets.push({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), count });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  return buckets.find((b) => b.count >= q * total)?.le;
}

async function main() {
  const work = join(tmpdir(), `im-upload-bench-${process.pid}`);
  await mkdir(work, { recursive: true });
  log(`machine ${JSON.stringify(machine())}`);
  const stack = await startStack({ API_SMS_REQUIRED: "false" });
  const s3 = await startS3Server();
  const port = await freePort();
  const bucket = "im-media";
  const maxBytes = String(Math.max(bigMiB, fileMiB) * MiB + MiB);
  const app = await spawnServer({
    name: "upload",
    command: process.execPath,
    // The built app (`npm run build`), as the image runs it: tsx's transpiler would add its own memory to the RSS.
    args: [...(process.env.UPLOAD_NODE_ARGS ? process.env.UPLOAD_NODE_ARGS.split(" ") : []), join(root, "apps/upload/dist/main.js")],
    cwd: root,
    readyPort: port,
    readyTimeoutMs: 60_000,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      UPLOAD_HOST: "127.0.0.1",
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2",
      ...(process.env.UPLOAD_PART_SIZE_BYTES ? { UPLOAD_PART_SIZE_BYTES: process.env.UPLOAD_PART_SIZE_BYTES } : {}),
      UPLOAD_PORT: String(port),
      UPLOAD_TMP_DIR: join(work, "app-tmp"),
      UPLOAD_MAX_FILE_BYTES: maxBytes,
      UPLOAD_MAX_IMAGE_BYTES: String((imageMiB + 2) * MiB),
      MONGO_URL: stack.config.MONGO_URL,
      REDIS_URL: stack.config.REDIS_URL,
      LOG_LEVEL: "warn",
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: s3.accessKey,
      S3_SECRET_ACCESS_KEY: s3.secretKey,
      MEDIA_PUBLIC_URL: `http://127.0.0.1:${port}`,
    },
  });
  const base = `http://127.0.0.1:${port}`;
  const storage = new Client({
    endPoint: "127.0.0.1",
    port: s3.port,
    useSSL: false,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: "us-east-1",
  });
  const idleRss = rssBytes(app.pid);
  log(`upload app RSS at start: ${round(idleRss / MiB, 0)} MiB`);
  const results: Record<string, unknown> = { machine: machine(), imageCount, imageMiB, fileCount, fileMiB, bigMiB, idleRssBytes: idleRss };
  try {
    const [user] = await registerUsers(stack.api.url, 1);
    if (!user) throw new Error("no user");
    const token = user.token;

    // (3) first, on the fresh process: one big file, RSS sampled
    log(`one ${bigMiB} MiB file through the app, RSS sampled every 100 ms`);
    const bigPath = join(work, "big.bin");
    await randomFile(bigPath, bigMiB);
    const rssBefore = rssBytes(app.pid);
    let bigPeak = rssBefore;
    const bigSampler = setInterval(() => {
      bigPeak = Math.max(bigPeak, rssBytes(app.pid));
    }, 100);
    const big = await postFile(base, "/v1/uploads?kind=file", token, bigPath, "application/octet-stream");
    clearInterval(bigSampler);
    const bigTable = table(
      ["big file", "seconds", "MiB/s", "RSS before MiB", "RSS peak MiB"],
      [[`${bigMiB} MiB`, round(big.ms / 1000, 1), round(bigMiB / (big.ms / 1000), 1), round(rssBefore / MiB, 0), round(bigPeak / MiB, 0)]],
    );
    console.log(bigTable);
    results.big = { ms: big.ms, rssBeforeBytes: rssBefore, rssPeakBytes: bigPeak };
    await rm(bigPath);
    // (1) images
    log(`making ${imageCount} noise JPEGs of ~${imageMiB} MiB`);
    const imagePaths: string[] = [];
    for (let i = 0; i < imageCount; i++) {
      const path = join(work, `image-${i}.jpg`);
      await writeFile(path, await noiseJpeg(imageMiB));
      imagePaths.push(path);
    }
    const imageBytes = (await Promise.all(imagePaths.map((p) => stat(p)))).reduce((sum, s) => sum + s.size, 0);
    const direct = async (paths: string[], prefix: string) => {
      const urls = await Promise.all(paths.map((_, i) => storage.presignedPutObject(bucket, `bench/${prefix}-${i}`, 3600)));
      const started = performance.now();
      const timings = await Promise.all(paths.map((path, i) => putPresigned(urls[i] ?? "", path)));
      return { seconds: (performance.now() - started) / 1000, timings };
    };
    const through = async (paths: string[], kind: string, contentType: string) => {
      const cpuBefore = cpuSeconds(app.pid);
      const started = performance.now();
      const timings = await Promise.all(paths.map((path) => postFile(base, `/v1/uploads?kind=${kind}`, token, path, contentType)));
      return { seconds: (performance.now() - started) / 1000, timings, cpu: cpuSeconds(app.pid) - cpuBefore };
    };
    log("images: direct presigned PUTs");
    const imgDirect = await direct(imagePaths, "image");
    log("images: through the upload app");
    const imgApp = await through(imagePaths, "image", "image/jpeg");
    log(`upload app RSS after the images: ${round(rssBytes(app.pid) / MiB, 0)} MiB`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const thumbP99 = histogramQuantile(metrics, "im_media_processing_seconds", 'step="thumbnail"', 0.99);
    const thumbP50 = histogramQuantile(metrics, "im_media_processing_seconds", 'step="thumbnail"', 0.5);
    const imgRow = (name: string, r: { seconds: number; timings: Timed[] }) => {
      const s = summarize(r.timings.map((t) => t.ms));
      return [name, round(r.seconds, 2), round(imageBytes / MiB / r.seconds, 1), round(s.p50, 0), round(s.p99, 0)];
    };
    const imageTable = table(
      ["images", "wall s", "MiB/s", "request p50 ms", "request p99 ms"],
      [imgRow("direct presigned PUT", imgDirect), imgRow("upload app (sniff, thumbnail, store)", imgApp)],
    );
    console.log(imageTable);
    console.log(`thumbnail p50 ≤ ${thumbP50} s, p99 ≤ ${thumbP99} s (histogram bucket bounds); app CPU ${round(imgApp.cpu, 2)} s`);
    results.images = { direct: imgDirect, app: imgApp, thumbP50, thumbP99, ratio: imgDirect.seconds / imgApp.seconds };
    await Promise.all(imagePaths.map((p) => rm(p)));

    // (2) files
    log(`making ${fileCount} random files of ${fileMiB} MiB`);
    const filePaths: string[] = [];
    for (let i = 0; i < fileCount; i++) {
      const path = join(work, `file-${i}.bin`);
      await randomFile(path, fileMiB);
      filePaths.push(path);
    }
    log("files: direct presigned PUTs");
    const fileDirect = await direct(filePaths, "file");
    log("files: through the upload app");
    let rssPeak = 0;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssBytes(app.pid));
    }, 100);
    const fileApp = await through(filePaths, "file", "application/octet-stream");
    clearInterval(sampler);
    const totalMiB = fileCount * fileMiB;
    const fileTable = table(
      ["files", "wall s", "MiB/s", "ratio to direct", "app RSS peak MiB"],
      [
        ["direct presigned PUT", round(fileDirect.seconds, 2), round(totalMiB / fileDirect.seconds, 1), "1", "-"],
        [
          "upload app (streamed, sniffed, sha256)",
          round(fileApp.seconds, 2),
          round(totalMiB / fileApp.seconds, 1),
          ratio(fileDirect.seconds, fileApp.seconds),
          round(rssPeak / MiB, 0),
        ],
      ],
    );
    console.log(fileTable);
    results.files = { direct: fileDirect, app: fileApp, ratio: fileDirect.seconds / fileApp.seconds, rssPeakBytes: rssPeak };
    await Promise.all(filePaths.map((p) => rm(p)));

    console.log(`result: ${writeResult("upload", results)}`);
  } finally {
    await app.stop();
    await s3.stop();
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
