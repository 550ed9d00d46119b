# cachet server as a container image (docs/server-deploy.md). Build: docker build -t cachet .
# Run: docker run -p 8080:8080 -v cachet-state:/var/lib/cachet \
#        -v ./server.yaml:/etc/cachet/server.yaml:ro --secret cachet-kek cachet
FROM node:20-bookworm-slim AS build
# pkcs11js (token support) is built with node-gyp.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY web-ui ./web-ui
# npm ci runs "prepare", which builds dist/ (the CLI and server) and dist/web-ui (the front end).
RUN npm ci
RUN npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/cachet
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/node_modules ./node_modules
COPY deploy/container.yaml /etc/cachet/server.yaml
RUN useradd --system --home /var/lib/cachet --shell /usr/sbin/nologin cachet && mkdir -p /var/lib/cachet && chown cachet:cachet /var/lib/cachet && chmod 700 /var/lib/cachet
USER cachet
VOLUME /var/lib/cachet
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) finishes requests in flight before exiting.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/cachet/bin/cachet"]
CMD ["server", "--config", "/etc/cachet/server.yaml"]
