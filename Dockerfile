# edgechain node image: runs the TypeScript sources directly on Node 24 (type stripping).
FROM node:24-slim

ENV NODE_ENV=production
WORKDIR /app

# dependencies first, for layer caching; devDependencies (tsc, vitest, the pinned node) are not needed
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY proto ./proto
COPY config ./config
COPY data ./data

# node data lives in a volume; the image runs as the unprivileged "node" user
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]

EXPOSE 8545 30303
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8545/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

ENTRYPOINT ["node", "--max-semi-space-size=4", "--heap-growing-percent=100", "bin/edgechain.js"]
CMD ["start", "--config", "/app/config/docker/proxy.json"]
