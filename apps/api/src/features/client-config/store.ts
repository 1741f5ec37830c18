import type { Models } from "@im/data";
import { isDuplicateKeyError } from "@im/infra";
import { type ClientConfigValues, clientConfigValues, defaultClientConfig } from "./defaults.js";

const CONFIG_ID = "client";

/** Creates the config document with the defaults when it is missing, and adds defaults for new fields. */
export async function ensureClientConfig(models: Models): Promise<void> {
  const existing = await models.clientConfig.findById(CONFIG_ID).lean();
  if (!existing) {
    try {
      await models.clientConfig.create({ _id: CONFIG_ID, values: defaultClientConfig, modifyTime: Date.now() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error; // another replica created it first
    }
    return;
  }
  const missing = Object.keys(defaultClientConfig).filter((key) => !(key in existing.values));
  if (missing.length > 0) {
    const values = { ...defaultClientConfig, ...existing.values };
    await models.clientConfig.updateOne({ _id: CONFIG_ID }, { $set: { values, modifyTime: Date.now() } });
  }
}

/** The current client config; fields an operator stored wrongly fall back to their defaults. */
export async function readClientConfig(models: Models): Promise<ClientConfigValues> {
  const doc = await models.clientConfig.findById(CONFIG_ID).lean();
  const merged: Record<string, unknown> = { ...defaultClientConfig };
  for (const [key, value] of Object.entries(doc?.values ?? {})) {
    if (!(key in defaultClientConfig)) continue;
    const field = clientConfigValues.shape[key as keyof ClientConfigValues];
    if (field.safeParse(value).success) merged[key] = value;
  }
  return clientConfigValues.parse(merged);
}

/**
 * The config with the three media addresses of the deployment: uploadUrl, downloadUrl and downloadAvatarUrl
 * are `<MEDIA_PUBLIC_URL>/` (the upload app serves /v1/uploads, /v1/media and /v1/avatars under it), whatever
 * the config collection stores, so clients always reach the upload app this API runs with (the operator sets
 * MEDIA_PUBLIC_URL from the ImCluster's ingress host or spec.upload.publicUrl).
 * @param mediaPublicUrl base URL without a trailing slash (mediaSettings strips it)
 */
export function withMediaUrls(values: ClientConfigValues, mediaPublicUrl: string): ClientConfigValues {
  const base = `${mediaPublicUrl.replace(/\/+$/, "")}/`;
  return { ...values, uploadUrl: base, downloadUrl: base, downloadAvatarUrl: base };
}
