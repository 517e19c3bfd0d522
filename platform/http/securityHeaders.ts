import helmet from 'helmet';

/**
 * helmet's protective headers for the JSON API and /healthz. A JSON answer needs nothing from a
 * browser, so its content policy allows nothing and no one may frame it. The console sets its own.
 */
export function apiSecurityHeaders() {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  });
}
