import { z } from "zod";

const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), "must be an http:// or https:// URL")
  .transform((value) => value.replace(/\/+$/, ""));

/**
 * Settings of the object storage (S3 API: MinIO in production, versitygw locally) and of the public media
 * addresses, shared by every app that stores, links or deletes media (upload, gateway, API, scheduler).
 * The operator fills the S3_* variables from `spec.objectStorage` (operator/src/render/settings.ts).
 */
export const mediaSettings = {
  S3_ENDPOINT: httpUrl.default("http://127.0.0.1:7070").describe("S3 API endpoint the apps reach the storage at (internal address)"),
  S3_PUBLIC_ENDPOINT: httpUrl
    .optional()
    .describe("S3 endpoint clients reach, used to sign presigned URLs (the public host); default S3_ENDPOINT"),
  S3_REGION: z.string().min(1).default("us-east-1").describe("S3 region the requests are signed for"),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name")
    .default("im-media")
    .describe("Bucket of every media object (private; layout in docs/architecture.md)"),
  S3_ACCESS_KEY_ID: z.string().min(1).default("im-local").describe("S3 access key id"),
  S3_SECRET_ACCESS_KEY: z.string().min(1).default("im-local-secret").describe("S3 secret access key (secret)"),
  MEDIA_PUBLIC_URL: httpUrl
    .default("http://127.0.0.1:8094")
    .describe("Base URL clients reach the upload app at (through the ingress); media and avatar URLs in messages start with it"),
};
