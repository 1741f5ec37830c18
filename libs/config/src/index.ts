export { envBoolean, envInt, envList } from "./env-types.js";
export { ConfigError, describeConfig, type LoadOptions, loadConfig, redactConfig } from "./load-config.js";
export { mediaSettings } from "./media-settings.js";
export { platformSettings } from "./platform-settings.js";
export { pushQueueSettings } from "./push-settings.js";
