# syntax=docker/dockerfile:1
# One image for every outdial role: `docker run outdial <role>` (api, scheduler, dialer, agent,
# sinks, migrate, serve, demo). TypeScript runs through tsx (a runtime dependency), so there is
# no compile stage; the deps stage keeps npm's cache and build tooling out of the final image.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# onnxruntime-node's postinstall downloads CUDA libraries; the agent's VAD runs on CPU.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
# tini reaps the agent framework's job processes and forwards SIGTERM so roles can drain.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    HOST=0.0.0.0 \
    PORT=3000
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root src ./src
COPY --chown=root:root db ./db
COPY --chown=root:root examples ./examples
# Code stays root-owned and read-only to the process; it runs as the image's unprivileged user.
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/outdial.js"]
CMD ["api"]
