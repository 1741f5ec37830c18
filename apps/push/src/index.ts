export { pushWorkerSettings } from "./worker-settings.js";
