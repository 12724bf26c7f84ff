# Parley: one image for the worker and the API (docker-compose.yml picks the command).
#   docker build -t parley .
#   docker run parley                                  → the API (node dist/workers/api.js)
#   docker run parley node dist/workers/worker.js      → a worker

ARG NODE_IMAGE=node:20-bookworm-slim

# ── build: compile TypeScript, bundle the workflows ───────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY workflows ./workflows
COPY activities ./activities
COPY integrations ./integrations
COPY api ./api
COPY workers ./workers
COPY common ./common
COPY scripts ./scripts
# tsc → dist/. The workflow bundle is built now, so workers start without webpack (PARLEY_WORKFLOW_BUNDLE).
# The bundler script runs through tsx, which works whether or not tsconfig.build.json compiles scripts/.
RUN npm run build \
 && node --import tsx scripts/bundle-workflows.ts dist/workflow-bundle.js \
 && test -f dist/workers/worker.js && test -f dist/workers/api.js

# ── runtime: production dependencies and dist/ only, as the unprivileged node user ────────────────────
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /src/dist ./dist
# Parley's local state folder (only used without a config file); writable by the node user.
RUN mkdir -p /app/.parley && chown node:node /app/.parley
USER node
ENV PARLEY_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    PARLEY_CONFIG=/config/parley.config.yaml \
    PORT=3000 \
    PARLEY_WORKER_METRICS_PORT=9464
EXPOSE 3000 9464
# node directly (not npm), so SIGTERM reaches Parley and it stops gracefully.
CMD ["node", "dist/workers/api.js"]
