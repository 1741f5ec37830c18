# syntax=docker/dockerfile:1
# The one image recipe of the platform, with the app as a build argument. Build from the repository root:
#   docker build --build-arg APP=gateway -t im-gateway .
# APP is api, gateway, scheduler, upload, push, operator, or platform (the default): api, gateway, scheduler, upload
# and push in one image, the one an ImCluster runs (spec.image; the operator starts `node apps/<app>/dist/main.js` in /app
# for each component). The operator's image carries charts/im-platform/dashboards at the path it reads them from.
# Debian (bookworm-slim), not Alpine: the upload app runs Debian's ffmpeg/ffprobe (voice to MP3, video posters),
# installed in the runtime stage of the images that hold the upload app (upload, platform) only. sharp's libvips
# comes prebuilt in its npm optional dependencies (@img/sharp-linux-*), so no install step omits optional ones.
# The image runs `node main.js`, a link to the app's entry (platform: the api), as PID 1, so SIGTERM reaches
# the service kit's graceful shutdown. Not built on the development machine (no Docker there); see docs/kubernetes.md.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
ARG APP=platform
# The workspace folders of the chosen app, the first one being the image's entry.
RUN set -eu; \
    case "$APP" in \
      platform) dirs="apps/api apps/gateway apps/scheduler apps/upload apps/push" ;; \
      api|gateway|scheduler|upload|push) dirs="apps/$APP" ;; \
      operator) dirs="operator" ;; \
      *) echo "unknown APP=$APP: use api, gateway, scheduler, upload, push, operator or platform" >&2; exit 1 ;; \
    esac; \
    echo "$dirs" > /tmp/app-dirs; \
    for dir in $dirs; do npx tsc -b "$dir"; done
# Production dependencies of the chosen apps only, then the runtime tree: package.json files, compiled libs and apps.
RUN --mount=type=cache,target=/root/.npm set -eu; \
    dirs=$(cat /tmp/app-dirs); \
    workspaces=""; for dir in $dirs; do workspaces="$workspaces --workspace=$dir"; done; \
    npm ci --omit=dev --no-audit --no-fund --ignore-scripts $workspaces; \
    mkdir -p /out; cp -a package.json node_modules /out/; \
    for lib in libs/*; do \
      if [ -d "$lib/dist" ]; then mkdir -p "/out/$lib" && cp -a "$lib/package.json" "$lib/dist" "/out/$lib/"; fi; \
    done; \
    for dir in $dirs; do mkdir -p "/out/$dir" && cp -a "$dir/package.json" "$dir/dist" "/out/$dir/"; done; \
    if [ "$APP" = operator ]; then mkdir -p /out/charts/im-platform && cp -a charts/im-platform/dashboards /out/charts/im-platform/; fi; \
    set -- $dirs; ln -s "$1/dist/main.js" /out/main.js; \
    find /out -name '*.map' -delete

FROM ${NODE_IMAGE}
ARG APP=platform
# ffmpeg (with ffprobe) for the upload app; the other images stay without it.
RUN set -eu; \
    if [ "$APP" = upload ] || [ "$APP" = platform ]; then \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg; \
      rm -rf /var/lib/apt/lists/*; \
    fi
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out /app
# uid/gid 1000 is the node user of the official image; numeric, so runAsNonRoot can verify it.
USER 1000:1000
# Ports (set by the charts and the operator): api 8092, gateway 5280, scheduler 9470, upload 8094, push 9472
# (probes and metrics only), operator 8080.
CMD ["node", "main.js"]
