/**
 * The house's import rules (npm run lint:imports). Layers from the ground up:
 *   domain/                      shared pure vocabulary
 *   platform/                    database, notices engine, Temporal, HTTP and console kits, workflow kit
 *   people/ installedBase/ schedule/   the records every process points at
 *   processes/<process>/         one folder per business process
 *   reports/                     what reads across processes (KPIs, home, exports)
 *   workflows/ activities/ api/ console/ templates/ app/   the registries that name every feature
 *   runtime/ worker/main.ts api/main.ts scripts/          entry points
 * An import may only point down (or sideways inside its own folder); a process reaches another only
 * through that process's public messages.ts.
 */
const ENTRY = '^(runtime/|scripts/|worker/main\\.ts$|api/main\\.ts$)';
const REGISTRY = '^(workflows|activities|api|console|templates|app)/';
const REPORTS = '^reports/';
const PROCESSES = '^processes/';
const RECORDS = '^(people|installedBase|schedule)/';
const PLATFORM = '^platform/';
/** A process's API routes: `api/` (or the dealer's `api.ts`) and a sub-process's `routes.ts`. */
const ROUTES = ['^processes/[^/]+/api/', '^processes/[^/]+/api[.]ts$', '^processes/[^/]+/[^/]+/routes[.]ts$'];

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Files must not import each other in a loop.', from: {}, to: { circular: true } },
    {
      name: 'domain-is-the-ground',
      severity: 'error',
      comment: 'domain/ is pure shared vocabulary: it imports nothing else of the project.',
      from: { path: '^domain/' },
      to: { path: '^(platform|people|installedBase|schedule|processes|reports|workflows|activities|api|console|templates|app|runtime|worker|scripts)/' },
    },
    {
      name: 'platform-knows-no-feature',
      severity: 'error',
      comment: 'The platform serves every feature and names none.',
      from: { path: PLATFORM },
      to: { path: `(${RECORDS})|(${PROCESSES})|(${REPORTS})|(${REGISTRY})|(${ENTRY})` },
    },
    {
      name: 'records-below-processes',
      severity: 'error',
      comment: 'People, the installed base and the schedule are below the processes that use them.',
      from: { path: RECORDS },
      to: { path: `(${PROCESSES})|(${REPORTS})|(${REGISTRY})|(${ENTRY})` },
    },
    {
      name: 'process-through-messages',
      severity: 'error',
      comment: "A process reaches another only through that process's public messages.ts.",
      from: { path: '^processes/([^/]+)/' },
      to: { path: '^processes/', pathNot: ['^processes/$1/', '^processes/[^/]+/messages\\.ts$'] },
    },
    {
      name: 'processes-below-reports',
      severity: 'error',
      from: { path: PROCESSES },
      to: { path: `(${REPORTS})|(${REGISTRY})|(${ENTRY})` },
    },
    {
      name: 'console-through-use-cases',
      severity: 'error',
      comment: "A page calls the process's use cases, never its API routes: both front ends share one layer.",
      from: { path: ['^processes/[^/]+/console/', '^processes/[^/]+/[^/]+/console/'] },
      to: { path: ROUTES },
    },
    {
      name: 'routes-through-use-cases',
      severity: 'error',
      comment: 'A route parses, calls a use case and renders; it does not reach into a repository.',
      from: { path: ROUTES },
      to: { path: ['^processes/[^/]+/repository[.]ts$', '^processes/[^/]+/[^/]+/repository[.]ts$'] },
    },
    { name: 'reports-below-registries', severity: 'error', from: { path: REPORTS }, to: { path: `(${REGISTRY})|(${ENTRY})` } },
    { name: 'registries-below-entry-points', severity: 'error', from: { path: REGISTRY, pathNot: ENTRY }, to: { path: ENTRY } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|data|coverage|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
