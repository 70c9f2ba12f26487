# One image for every Meshgate service; compose.yaml picks the command (a subgraph or the gateway).
FROM node:20-bookworm-slim
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production APOLLO_TELEMETRY_DISABLED=true
USER node
# The gateway's port; subgraphs listen on their own PORT.
EXPOSE 4000
# SIGTERM drains: in-flight requests finish and queued audit events are written before exit 0.
STOPSIGNAL SIGTERM
# GATEWAY_NODE_FLAGS (gateway/heap-growth.ts): a larger young generation, settable only at start.
CMD ["node", "--max-semi-space-size=32", "bin/meshgate", "gateway", "--config", "supergraph.yaml"]
