export {
  createProviders,
  EXPIRED_REASON,
  type ProviderDeps,
  type ProviderMetrics,
  type PushProviderSettings,
  pushProviderSettings,
} from "./providers/index.js";
export { pushWorkerSettings } from "./worker-settings.js";
