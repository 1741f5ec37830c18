export { createApp, UPLOAD_VERSION, uploadOpenApi } from "./app.js";
export { defaultPublicRoutes, loadUploadConfig, type UploadConfig, uploadConfigSchema } from "./config.js";
export type { UploadDeps } from "./context.js";
export { uploadOpenApiText } from "./openapi.js";
export { allRoutes } from "./routes.js";
export { type RunningUpload, type StartUploadOptions, startUpload } from "./server.js";
