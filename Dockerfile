# syntax=docker/dockerfile:1
# One image for the API, the worker and the one-shot `migrate` job (docker-compose.yml picks the command).

# ---- dependencies (native modules such as sqlite3 may need a compiler) -----------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm ci's postinstall patches the Temporal SDK's workflow thread (scripts/patch-temporal-sdk.cjs).
COPY scripts/patch-temporal-sdk.cjs scripts/
RUN npm ci --no-audit --no-fund

# ---- build: compile to JavaScript, prebundle the workflow code, drop dev dependencies ---------------
FROM deps AS build
COPY . .
# scripts/build.ts: tsc (a type error fails the build) into dist/, the data files the program reads, the
# console's browser script, and dist/workflow-bundle.js so workers start without running webpack at boot.
RUN npm run build
# TypeScript, tsx and esbuild are development dependencies: none of them reaches the runtime image.
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled JavaScript and production dependencies only ------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
  API_PORT=3000 \
  MEDIA_STORAGE_PATH=/app/storage/media
WORKDIR /app
# tini reaps zombies and forwards SIGTERM, so the worker drains and the API closes cleanly on `docker stop`.
# libjemalloc2's path depends on the architecture: a fixed link for LD_PRELOAD below.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini ca-certificates libjemalloc2 \
  && rm -rf /var/lib/apt/lists/* \
  && ln -s "$(dpkg -L libjemalloc2 | grep -m1 '/libjemalloc\.so\.2$')" /usr/local/lib/libjemalloc.so.2
# Memory allocator: glibc's malloc kept what the SDK's Rust threads and Node freed during a load (the worker
# stayed over 100 MiB higher after it); jemalloc, preloaded, hands it back (background_thread purges even
# while the process is idle). docs/operations.md, "Worker memory". MALLOC_ARENA_MAX only matters if the
# preload is removed: it keeps glibc from giving every allocating thread an arena of its own.
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
  MALLOC_CONF=background_thread:true \
  MALLOC_ARENA_MAX=2
# A preload that cannot load is only a warning at run time: the build fails instead unless node runs with it.
RUN node -e "process.exit(require('fs').readFileSync('/proc/self/maps', 'utf8').includes('jemalloc') ? 0 : 1)"
COPY --from=build --chown=node:node /app/package.json /app/package.json
COPY --from=build --chown=node:node /app/node_modules /app/node_modules
COPY --from=build --chown=node:node /app/dist /app/dist
RUN mkdir -p /app/storage/media /app/data && chown -R node:node /app/storage /app/data
USER node
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--"]
# docker-compose.yml runs the same image as `node dist/worker/main.js` and `node dist/db/cli.js up`.
CMD ["node", "dist/api/main.js"]
