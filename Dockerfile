# churn-scorer image: `docker compose up` uses it for the scorer and the one-shot
# init service (docker/init-stack.mjs). Not built in CI (no Docker engine there);
# scripts/ci/check-docker-files.sh lints this file.

# --- build: compile TypeScript, then drop dev dependencies -------------------
# Node 24 LTS, the exact version CI tests on (scripts/ci/node-versions.sh); Node 20 is end of life.
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

# --- runtime: production dependencies, compiled code, model and schemas -------
FROM node:24.22.3-bookworm-slim
# HOST: the scorer listens on 127.0.0.1 by default; in a container it must listen on every interface.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
COPY models ./models
COPY schemas ./schemas
# the dashboard's page, script and style, served as they are (src/dashboard/assets; dist holds only compiled code)
COPY src/dashboard/assets ./src/dashboard/assets
COPY docker/init-stack.mjs ./docker/init-stack.mjs
# The image's built-in unprivileged user; the app only reads /app.
USER node
EXPOSE 8080
# curl is not in the slim image: Node's fetch checks liveness.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["bin/churn-scorer", "run"]
