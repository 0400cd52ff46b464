# syntax=docker/dockerfile:1
# One image for the API, the worker and the one-shot `migrate` job (docker-compose.yml picks the command).

# ---- dependencies (native modules such as sqlite3 may need a compiler) -----------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- build: type-check, prebundle the workflow code, drop dev dependencies -------------------------
FROM deps AS build
COPY . .
RUN npx tsc --noEmit -p tsconfig.json
# Writes dist/workflow-bundle.js so workers start without running webpack at boot.
RUN npm run build:workflows
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime -------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
  API_PORT=3000 \
  MEDIA_STORAGE_PATH=/app/storage/media
WORKDIR /app
# tini reaps zombies and forwards SIGTERM, so the worker drains and the API closes cleanly on `docker stop`.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/storage/media /app/data && chown -R node:node /app/storage /app/data
USER node
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "api/main.ts"]
