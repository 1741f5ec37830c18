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
