# One image for both roles: `node dist/worker/main.js` or `node dist/api/main.js`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
# Templates and console assets live beside each feature's code; keep their paths (platform/templateFiles.ts).
RUN mkdir /assets && find . -path ./node_modules -prune -o -path ./test -prune -o \( -name '*.hbs' -o -name console.css -o -name kpi-charts.js \) -type f -print | xargs cp --parents -t /assets

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /assets ./
COPY package.json ./
USER node
CMD ["node", "dist/api/main.js"]
